"""A survey design over n responses: weights, strata, primary sampling units (PSUs) and the
finite population correction, as arrays ready for vectorised estimation.

Semantics follow R's `svydesign(ids=~psu, strata=~stratum, weights=~w, fpc=~N)`: `fpc` is the
population size of each stratum (of PSUs when there are clusters, of units when there are
none); without strata the whole sample is one stratum; without clusters each response is its
own PSU. Variances are the with-replacement between-PSU formula within strata, multiplied by
(1 − n_h/N_h) when the population size is known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cityhub.errors import BadRequestData

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Design:
    weights: Floats
    stratum: Ints  # 0..H-1 per response
    psu: Ints  # 0..P-1 per response, unique across strata
    psu_stratum: Ints  # the stratum of each PSU
    psu_count: Ints  # sampled PSUs per stratum (n_h)
    correction: Floats  # 1 - n_h / N_h per stratum (1 when N_h is unknown)
    strata_names: tuple[str, ...]

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    @property
    def degrees_of_freedom(self) -> int:
        """PSUs minus strata, the design's degrees of freedom for t intervals."""
        return int(self.psu_stratum.shape[0] - self.psu_count.shape[0])

    def with_weights(self, weights: Floats) -> Design:
        return Design(
            weights,
            self.stratum,
            self.psu,
            self.psu_stratum,
            self.psu_count,
            self.correction,
            self.strata_names,
        )


def _codes(values: list[str] | None, n: int) -> tuple[Ints, tuple[str, ...]]:
    if values is None:
        return np.zeros(n, dtype=np.int64), ("",)
    import pandas as pd

    codes, names = pd.factorize(pd.Series(values, dtype=str), sort=True)
    return codes.astype(np.int64), tuple(str(v) for v in names)


def make_design(
    weights: Floats,
    strata: list[str] | None = None,
    clusters: list[str] | None = None,
    population: Floats | None = None,
) -> Design:
    """Check and encode a design; `population` is N_h per response (the same within a stratum)."""
    n = int(weights.shape[0])
    if n < 2:
        raise BadRequestData("a survey estimate needs at least two responses")
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        bad = int(np.argmax(~np.isfinite(weights) | (weights <= 0)))
        raise BadRequestData(f"row {bad + 2}: a weight must be a positive number")
    stratum, names = _codes(strata, n)
    if clusters is None:
        psu_key = np.arange(n, dtype=np.int64)
    else:
        cluster_codes, _ = _codes(clusters, n)
        psu_key = stratum * (int(cluster_codes.max()) + 1) + cluster_codes
    _, first, psu = np.unique(psu_key, return_index=True, return_inverse=True)
    psu = psu.astype(np.int64)
    psu_stratum = stratum[first]
    psu_count = np.bincount(psu_stratum, minlength=len(names)).astype(np.int64)
    lonely = [names[h] or "(all)" for h in np.flatnonzero(psu_count < 2)]
    if lonely:
        raise BadRequestData(
            f"stratum {lonely[0]!r} has a single PSU: its variance cannot be estimated "
            "(merge it with a neighbouring stratum)"
        )
    correction = np.ones(len(names))
    if population is not None:
        sizes = np.full(len(names), np.nan)
        for h in range(len(names)):
            values = np.unique(population[stratum == h])
            if values.shape[0] != 1 or not np.isfinite(values[0]):
                raise BadRequestData(
                    f"stratum {names[h] or '(all)'!r}: the population size (--fpc) must be one "
                    "number for the whole stratum"
                )
            sizes[h] = values[0]
        if np.any(sizes < psu_count):
            h = int(np.argmax(sizes < psu_count))
            raise BadRequestData(
                f"stratum {names[h] or '(all)'!r}: the population size {sizes[h]:g} is smaller "
                f"than the {psu_count[h]} sampled {'PSUs' if clusters else 'responses'}"
            )
        correction = 1.0 - psu_count / sizes
    return Design(weights, stratum, psu, psu_stratum, psu_count, correction, names)


def variance_of_total(design: Design, scores: Floats) -> float:
    """Variance of Σ scores (scores are already weighted) under the design."""
    psu_totals = np.bincount(design.psu, weights=scores, minlength=design.psu_stratum.shape[0])
    h = design.psu_stratum
    n_h = design.psu_count.astype(np.float64)
    means = np.bincount(h, weights=psu_totals, minlength=n_h.shape[0]) / n_h
    squares = np.bincount(h, weights=(psu_totals - means[h]) ** 2, minlength=n_h.shape[0])
    return float(np.sum(design.correction * n_h / (n_h - 1) * squares))
