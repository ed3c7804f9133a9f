"""Weighted totals, means and proportions, overall or by domain, with linearised (Taylor)
standard errors, t intervals on the design's degrees of freedom and design effects.

A domain (a district, an age group) is estimated on the whole design with the responses
outside it scored zero, never by cutting the sample, so its variance counts the randomness of
the domain's own sample size (R's `svyby`). A response whose variable is empty is treated the
same way (R's `na.rm = TRUE`). After calibration the scores are replaced by their residuals on
the calibration margins (`calibrate.residuals`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from cityhub.errors import BadRequestData
from cityhub.survey.calibrate import Margin, residuals
from cityhub.survey.design import Design, Floats, variance_of_total

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    variable: str
    statistic: str  # mean, total or proportion
    by: str | None  # the domain's value, None for the whole population
    level: str | None  # the category, for a proportion
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    deff: float | None
    n: int  # responses that count (in the domain, variable not empty)
    suppressed: bool = False  # fewer responses than the publication threshold: no figures

    def suppress_below(self, minimum: int) -> Estimate:
        """The estimate with its figures withheld when fewer than `minimum` responses make it
        (disclosure control: a cell of two or three people can identify them)."""
        if self.n >= minimum:
            return self
        nan = math.nan
        return replace(
            self, estimate=nan, se=nan, ci_low=nan, ci_high=nan, deff=None, suppressed=True
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def _t(df: int) -> float:
    from scipy.special import stdtrit  # the t quantile, without importing scipy.stats (1 s)

    return float(stdtrit(max(df, 1), 0.5 + LEVEL / 2))


def _srs_variance(
    w: Floats, y: Floats, inside: np.ndarray, mean: float
) -> tuple[float, int, float]:
    """Weighted element variance S², sample size and estimated population of the domain."""
    n = int(np.count_nonzero(inside))
    population = float(np.sum(w[inside]))
    if n < 2:
        return math.nan, n, population
    s2 = float(np.sum(w[inside] * (y[inside] - mean) ** 2)) / population * n / (n - 1)
    return s2, n, population


def _one(
    design: Design,
    margins: list[Margin],
    values: Floats,
    inside: np.ndarray,
    statistic: str,
) -> tuple[float, float, float | None, int]:
    w = design.weights
    y = np.where(inside, values, 0.0)
    population = float(np.sum(w[inside]))
    if population <= 0:
        return math.nan, math.nan, None, 0
    total = float(np.sum(w * y))
    if statistic == "total":
        linear = y
        estimate = total
    else:
        estimate = total / population
        linear = np.where(inside, (values - estimate) / population, 0.0)
    variance = variance_of_total(design, w * residuals(linear, w, margins))
    s2, n, size = _srs_variance(w, np.where(inside, values, 0.0), inside, total / population)
    srs = s2 / n * (1 - n / size) if n >= 2 and size > n else math.nan
    if statistic == "total":
        srs *= size**2
    deff = variance / srs if srs and not math.isnan(srs) and srs > 0 else None
    return estimate, math.sqrt(max(variance, 0.0)), deff, n


def estimate(
    design: Design,
    variable: str,
    values: Floats,
    statistic: str,
    domains: list[str] | None = None,
    margins: list[Margin] | None = None,
    categories: list[str] | None = None,
) -> list[Estimate]:
    """`statistic` of `variable` overall, or for each domain when `domains` gives each
    response's domain. A proportion takes `categories` (each response's answer as text) and
    gives one estimate per answer."""
    margins = margins or []
    present = ~np.isnan(values) if categories is None else np.array([c != "" for c in categories])
    groups: list[tuple[str | None, np.ndarray]] = [(None, present)]
    if domains is not None:
        labels = np.asarray(domains, dtype=object)
        groups = [(str(d), present & (labels == d)) for d in sorted(set(domains))]
    t = _t(design.degrees_of_freedom)
    out = []
    for name, inside in groups:
        if statistic == "proportion":
            assert categories is not None
            answers = np.asarray(categories, dtype=object)
            levels = sorted({c for c in categories if c != ""})
            targets: list[tuple[str | None, Floats]] = [
                (str(level), (answers == level).astype(np.float64)) for level in levels
            ]
            kind = "mean"
        else:
            targets = [(None, values)]
            kind = statistic
        for level, series in targets:
            value, se, deff, n = _one(design, margins, series, inside, kind)
            out.append(
                Estimate(
                    variable,
                    statistic,
                    name,
                    level,
                    value,
                    se,
                    value - t * se,
                    value + t * se,
                    deff,
                    n,
                )
            )
    return out


def numbers(raw: list[str], column: str) -> Floats:
    """A column of numbers; an empty cell is missing, anything else not a number is an error."""
    import pandas as pd

    text = pd.Series(raw, dtype=str).str.strip()
    out: Floats = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    wrong = np.flatnonzero(np.isnan(out) & (text != "").to_numpy())
    if wrong.size:
        i = int(wrong[0])
        raise BadRequestData(f"row {i + 2}, column {column!r}: {raw[i]!r} is not a number")
    return out
