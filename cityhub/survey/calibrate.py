"""Weights calibrated to population margins: post-stratification (one variable) and raking
(iterative proportional fitting over several), and the residuals that carry the calibration
into linearised variances (a calibrated estimate varies only through what the margins do not
explain, as in R's `postStratify`/`rake` and Deville & Särndal's calibration estimators)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cityhub.errors import BadRequestData
from cityhub.survey.design import Floats, Ints

RAKE_TOLERANCE = 1e-10  # relative gap between a weighted margin and its total, at most
RAKE_ROUNDS = 1000


@dataclass(frozen=True)
class Margin:
    """A calibration variable: each response's level (coded) and each level's population."""

    name: str
    codes: Ints
    totals: Floats
    levels: tuple[str, ...]


def margin(name: str, values: list[str], totals: dict[str, float]) -> Margin:
    """Match the responses' levels of `name` to a margins table (level -> population)."""
    import pandas as pd

    found, seen = pd.factorize(pd.Series(values, dtype=str))
    missing = sorted(str(v) for v in seen if str(v) not in totals)
    if missing:
        raise BadRequestData(f"{name}: level {missing[0]!r} is in the data but not in the margins")
    present = {str(v) for v in seen}
    absent = [level for level in totals if level not in present]
    if absent:
        raise BadRequestData(
            f"{name}: level {absent[0]!r} has a population total but no response; "
            "collapse it with another level"
        )
    levels = tuple(sorted(totals))
    index = {level: i for i, level in enumerate(levels)}
    codes = np.array([index[str(v)] for v in seen], dtype=np.int64)[found]
    return Margin(name, codes, np.array([totals[level] for level in levels]), levels)


def _sums(m: Margin, weights: Floats) -> Floats:
    return np.bincount(m.codes, weights=weights, minlength=len(m.levels)).astype(np.float64)


def poststratify(weights: Floats, m: Margin) -> Floats:
    """Weights scaled within each level so they add up to its population."""
    return weights * (m.totals / _sums(m, weights))[m.codes]


def rake(weights: Floats, margins: list[Margin]) -> tuple[Floats, int]:
    """Iterative proportional fitting to every margin; returns the weights and the rounds."""
    if len({float(np.sum(m.totals)) for m in margins}) > 1:
        totals = ", ".join(f"{m.name} {np.sum(m.totals):g}" for m in margins)
        raise BadRequestData(f"the margins must add up to one population: {totals}")
    current = weights.copy()
    for rounds in range(1, RAKE_ROUNDS + 1):
        for m in margins:
            current = poststratify(current, m)
        gap = max(float(np.max(np.abs(_sums(m, current) / m.totals - 1))) for m in margins)
        if gap < RAKE_TOLERANCE:
            return current, rounds
    raise BadRequestData(f"raking did not converge in {RAKE_ROUNDS} rounds (margins conflict)")


def residuals(scores: Floats, weights: Floats, margins: list[Margin]) -> Floats:
    """`scores` minus their weighted least-squares fit on the margins' level indicators."""
    if not margins:
        return scores
    if len(margins) == 1:
        m = margins[0]
        fit = np.bincount(m.codes, weights=weights * scores) / _sums(m, weights)
        return scores - fit[m.codes]
    sizes = [len(m.levels) for m in margins]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    k = int(starts[-1])
    gram = np.zeros((k, k))
    right = np.zeros(k)
    for a, ma in enumerate(margins):
        sa = slice(starts[a], starts[a + 1])
        right[sa] = np.bincount(ma.codes, weights=weights * scores, minlength=sizes[a])
        for b in range(a, len(margins)):
            mb = margins[b]
            pair = ma.codes * sizes[b] + mb.codes
            block = np.bincount(pair, weights=weights, minlength=sizes[a] * sizes[b])
            block = block.reshape(sizes[a], sizes[b])
            gram[sa, starts[b] : starts[b + 1]] = block
            gram[starts[b] : starts[b + 1], sa] = block.T
    coef = np.linalg.pinv(gram) @ right  # the indicators are collinear (each margin sums to 1)
    fit = np.zeros_like(scores)
    for a, m in enumerate(margins):
        fit += coef[starts[a] : starts[a + 1]][m.codes]
    return scores - fit
