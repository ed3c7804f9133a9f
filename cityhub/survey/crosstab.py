"""Two-way tables of weighted shares with a design-corrected test of independence: Rao and
Scott's second-order correction of Pearson's X², in the F form of R's `svychisq` (statistic
"F", its default). The design effect matrix Δ compares the linearised covariance of the cell
shares with their covariance under simple random sampling, in the space of the interactions
left after the row and column margins are fitted; F = X² / trace(Δ) on
trace(Δ)² / trace(Δ²) and that times the design's degrees of freedom."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cityhub.errors import BadRequestData
from cityhub.survey.calibrate import Margin, residuals
from cityhub.survey.design import Design, Floats


@dataclass(frozen=True)
class CrossTab:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    shares: Floats  # r × c weighted shares of the responses that answered both
    se: Floats  # r × c linearised standard errors of the shares
    n: int
    counts: np.ndarray  # r × c responses in each cell
    pearson: float  # X² on the sample size, from the weighted shares
    f: float  # Rao–Scott F = X² / trace(Δ)
    df_num: float  # trace(Δ)² / trace(Δ²)
    df_den: float  # df_num × the design's degrees of freedom
    p_value: float

    def suppress_below(self, minimum: int) -> CrossTab:
        """Shares of cells made from fewer than `minimum` responses withheld (the test of
        independence is kept: it is about the whole table)."""
        small = self.counts < minimum
        if not small.any():
            return self
        return replace(
            self, shares=np.where(small, np.nan, self.shares), se=np.where(small, np.nan, self.se)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": list(self.rows),
            "columns": list(self.columns),
            "shares": _nulls(self.shares),
            "se": _nulls(self.se),
            "counts": self.counts.tolist(),
            "n": self.n,
            "pearson": self.pearson,
            "rao_scott": {
                "f": self.f,
                "df_num": self.df_num,
                "df_den": self.df_den,
                "p_value": self.p_value,
            },
        }


def _nulls(table: Floats) -> list[list[float | None]]:
    return [[None if v != v else float(v) for v in row] for row in table]


def _covariance(design: Design, scores: Floats) -> Floats:
    """Covariance of the totals of several weighted score columns (n × k) under the design."""
    psus = design.psu_stratum.shape[0]
    totals = np.zeros((psus, scores.shape[1]))
    np.add.at(totals, design.psu, scores)
    h = design.psu_stratum
    n_h = design.psu_count.astype(np.float64)
    means = np.zeros((n_h.shape[0], scores.shape[1]))
    np.add.at(means, h, totals)
    means /= n_h[:, None]
    centred = totals - means[h]
    factor = (design.correction * n_h / (n_h - 1))[h]
    covariance: Floats = (centred * factor[:, None]).T @ centred
    return covariance


def crosstab(
    design: Design,
    row_values: list[str],
    column_values: list[str],
    margins: list[Margin] | None = None,
) -> CrossTab:
    from scipy.special import fdtrc

    rows_all = np.asarray(row_values, dtype=object)
    cols_all = np.asarray(column_values, dtype=object)
    inside = (rows_all != "") & (cols_all != "")
    rows = tuple(sorted({str(v) for v in rows_all[inside]}))
    columns = tuple(sorted({str(v) for v in cols_all[inside]}))
    if len(rows) < 2 or len(columns) < 2:
        raise BadRequestData("a cross-tabulation needs at least two answers in each variable")
    r, c = len(rows), len(columns)
    row_index = {v: i for i, v in enumerate(rows)}
    col_index = {v: i for i, v in enumerate(columns)}
    cell = np.full(design.size, -1, dtype=np.int64)
    where = np.flatnonzero(inside)
    cell[where] = [
        row_index[str(a)] * c + col_index[str(b)]
        for a, b in zip(rows_all[where], cols_all[where], strict=True)
    ]
    w = design.weights
    population = float(np.sum(w[inside]))
    k = r * c
    indicator = np.zeros((design.size, k))
    indicator[where, cell[where]] = 1.0
    shares = (w @ indicator) / population
    linear = np.where(inside[:, None], (indicator - shares) / population, 0.0)
    scores = np.column_stack([w * residuals(linear[:, j], w, margins or []) for j in range(k)])
    cov = _covariance(design, scores)
    n = int(np.count_nonzero(inside))
    table = shares.reshape(r, c)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(
            n * np.nansum(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0))
        )
    # R's svychisq: the interaction contrasts left after the main effects (least squares),
    # compared in the metric of the shares' inverse (the SRS covariance is diag(p)/n there)
    grid_r, grid_c = np.divmod(np.arange(k), c)
    main = np.column_stack(
        [np.ones(k)]
        + [(grid_r == i).astype(float) for i in range(1, r)]
        + [(grid_c == j).astype(float) for j in range(1, c)]
    )
    interactions = np.column_stack(
        [((grid_r == i) & (grid_c == j)).astype(float) for i in range(1, r) for j in range(1, c)]
    )
    contrasts = interactions - main @ np.linalg.lstsq(main, interactions, rcond=None)[0]
    inverse = np.diag(np.where(shares > 0, 1.0 / np.where(shares > 0, shares, 1.0), 0.0))
    srs = contrasts.T @ (inverse / n) @ contrasts
    design_cov = contrasts.T @ inverse @ cov @ inverse @ contrasts
    delta = np.linalg.solve(srs, design_cov)
    trace = float(np.trace(delta))
    df_num = trace**2 / float(np.trace(delta @ delta))
    df_den = df_num * design.degrees_of_freedom
    f = pearson / trace
    return CrossTab(
        rows, columns, table, np.sqrt(np.clip(np.diag(cov), 0, None)).reshape(r, c), n,
        np.bincount(cell[where], minlength=k).reshape(r, c),
        pearson, f, df_num, df_den, float(fdtrc(df_num, df_den, f)),
    )  # fmt: skip
