"""Interrupted time series: segmented regression with HAC (Newey-West) standard errors.

    y_t = b0 + b1·t + b2·after_t + b3·(t - t0)·after_t [+ seasonal dummies] + e_t

b2 is the change in level at the interruption t0 and b3 the change in slope. The errors of a
city series are autocorrelated, so the standard errors are Newey-West with a Bartlett kernel
(lag floor(4·(n/100)^(2/9)) unless given). Seasonal dummies (period `season`, e.g. 12 for
monthly data) absorb a regular yearly pattern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cityhub.errors import BadRequestData

NAMES = ("intercept", "trend", "level_change", "slope_change")


@dataclass
class ItsResult:
    coefficients: dict[str, float]
    std_errors: dict[str, float]
    n: int
    pre_periods: int
    lags: int
    counterfactual: list[float]
    fitted: list[float]

    def z(self, name: str) -> float:
        return self.coefficients[name] / self.std_errors[name]

    def p_value(self, name: str) -> float:
        return math.erfc(abs(self.z(name)) / math.sqrt(2))

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "pre_periods": self.pre_periods,
            "hac_lags": self.lags,
            "effects": {
                name: {
                    "estimate": round(self.coefficients[name], 6),
                    "se": round(self.std_errors[name], 6),
                    "p_value": round(self.p_value(name), 6),
                }
                for name in ("level_change", "slope_change")
            },
            "trend": round(self.coefficients["trend"], 6),
            "fitted": [round(v, 6) for v in self.fitted],
            "counterfactual": [round(v, 6) for v in self.counterfactual],
        }


def series_from_rows(
    rows: Sequence[dict[str, Any]], time: str, value: str, interruption: str
) -> tuple[list[str], list[float], int]:
    """(periods, values, index of the interruption) from records, sorted by period."""
    if not rows or time not in rows[0] or value not in rows[0]:
        raise BadRequestData(f"the series needs the columns {time} and {value}")
    ordered = sorted(rows, key=lambda r: str(r.get(time, "")))
    periods = [str(r.get(time, "")) for r in ordered]
    if interruption not in periods:
        raise BadRequestData(f"the interruption {interruption!r} is not a period of the series")
    try:
        values = [float(r[value]) for r in ordered]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequestData(f"every {value} must be a number ({exc})") from exc
    return periods, values, periods.index(interruption)


def newey_west(x: np.ndarray, residuals: np.ndarray, lags: int) -> np.ndarray:
    """HAC covariance of OLS coefficients (Bartlett weights, small-sample factor n/(n-k))."""
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    scores = x * residuals[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        cross = scores[lag:].T @ scores[:-lag]
        meat += weight * (cross + cross.T)
    cov: np.ndarray = bread @ meat @ bread * n / (n - k)
    return cov


def interrupted_time_series(
    values: Sequence[float],
    interruption: int,
    season: int = 0,
    lags: int | None = None,
) -> ItsResult:
    """Fit the segmented regression; `interruption` is the index of the first treated period."""
    y = np.asarray(values, dtype=float)
    if y.ndim != 1 or np.isnan(y).any():
        raise BadRequestData("the series must be numbers with no gaps")
    n = len(y)
    min_pre = max(8, 2 * season)
    if interruption < min_pre:
        raise BadRequestData(f"too few pre-interruption periods: {interruption} < {min_pre}")
    if n - interruption < 3:
        raise BadRequestData("at least three periods are needed after the interruption")
    t = np.arange(n, dtype=float)
    after = (t >= interruption).astype(float)
    columns = [np.ones(n), t, after, (t - interruption) * after]
    if season > 1:
        columns += [(t % season == s).astype(float) for s in range(1, season)]
    x = np.column_stack(columns)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    lag = lags if lags is not None else math.floor(4 * (n / 100) ** (2 / 9))
    se = np.sqrt(np.diag(newey_west(x, residuals, lag)))
    no_policy = x.copy()
    no_policy[:, 2:4] = 0
    return ItsResult(
        coefficients={name: float(beta[i]) for i, name in enumerate(NAMES)},
        std_errors={name: float(se[i]) for i, name in enumerate(NAMES)},
        n=n,
        pre_periods=interruption,
        lags=lag,
        counterfactual=[float(v) for v in no_policy @ beta],
        fitted=[float(v) for v in x @ beta],
    )
