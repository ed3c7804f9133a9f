"""Stratified random samples from a frame: how many to draw in each stratum (proportional or
Neyman allocation), the draw itself (simple random sampling without replacement within each
stratum, reproducible from a seed), and the design weights and population sizes the estimates
need (`weight = N_h / n_h`, `fpc = N_h`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cityhub.errors import BadRequestData

MIN_PER_STRATUM = 2  # a stratum's variance needs two responses


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    raw = shares / shares.sum() * total
    out: np.ndarray = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    return out


def allocate(
    population: Sequence[int], size: int, spread: Sequence[float] | None = None
) -> list[int]:
    """Sample sizes per stratum adding up to `size`: proportional to N_h, or to N_h·S_h
    (Neyman) when `spread` gives each stratum's standard deviation. Every stratum gets at
    least two (or all it has) and never more than it has; the rest is shared by largest
    remainders."""
    sizes = np.asarray(population, dtype=np.int64)
    if np.any(sizes < 1):
        raise BadRequestData("every stratum needs at least one unit in the frame")
    if not 0 < size <= int(sizes.sum()):
        raise BadRequestData(f"the sample size must be from 1 to the frame's {int(sizes.sum()):,}")
    floor = np.minimum(sizes, MIN_PER_STRATUM)
    if int(floor.sum()) > size:
        raise BadRequestData(
            f"{len(sizes)} strata need at least {int(floor.sum())} responses (two each)"
        )
    weights = sizes.astype(np.float64)
    if spread is not None:
        sd = np.asarray(spread, dtype=np.float64)
        if np.any(~np.isfinite(sd)) or np.any(sd < 0):
            raise BadRequestData("a stratum's standard deviation must be a number, zero or more")
        weights = weights * np.where(sd > 0, sd, 1e-9)
    # Strata whose share falls below two (or all they have) or above what they have are fixed
    # there; the others share the rest in proportion, until nothing moves; then rounding.
    fixed = np.full(sizes.shape[0], -1, dtype=np.int64)
    while True:
        free = fixed < 0
        left = size - int(fixed[~free].sum())
        ideal = np.zeros(sizes.shape[0])
        if free.any():
            ideal[free] = left * weights[free] / weights[free].sum()
        low = free & (ideal < floor)
        high = free & (ideal > sizes)
        if not (low.any() or high.any()):
            break
        fixed[low] = floor[low]
        fixed[high] = sizes[high]
    taken = np.where(free, 0, fixed)
    if free.any():
        taken[free] = _largest_remainder(ideal[free], left)
    return [int(v) for v in taken]


def draw(strata: Sequence[str], sizes: dict[str, int], seed: int) -> np.ndarray:
    """Row indexes of the sample: `sizes[h]` rows of each stratum, without replacement."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(strata, dtype=object)
    chosen = []
    for h in sorted(sizes):
        rows = np.flatnonzero(labels == h)
        chosen.append(np.sort(rng.choice(rows, size=sizes[h], replace=False)))
    return np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=np.int64)


def stratum_sd(values: Sequence[float]) -> float:
    data = [v for v in values if not math.isnan(v)]
    return float(np.std(data, ddof=1)) if len(data) > 1 else 0.0
