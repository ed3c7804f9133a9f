"""Forecasts of an indicator's series with prediction intervals, the method chosen by backtest.

Candidates: naive, seasonal naive, ETS (additive error; trend none/damped; additive season when
the series is long enough), ARIMA (a small order grid chosen by AIC, with a Chinese-holiday
regressor for daily and monthly series) and Theta. Every candidate is scored by a rolling-origin
backtest (MASE against the in-sample naive or seasonal-naive error, and sMAPE); the one with
the lowest MASE forecasts. Statsmodels does the fitting; nothing needs a GPU or a compiler.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from cityhub.citizen.workdays import is_workday
from cityhub.errors import BadRequestData
from cityhub.indicators.periods import Period, period_containing

SEASON = {"day": 7, "month": 12, "quarter": 4, "year": 1}
METHODS = ("naive", "seasonal_naive", "ets", "arima", "theta")
Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96}


@dataclass
class Forecast:
    method: str
    level: float
    periods: list[str]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    backtest: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "level": self.level,
            "points": [
                {"period": p, "mean": m, "lower": lo, "upper": hi}
                for p, m, lo, hi in zip(
                    self.periods, self.mean, self.lower, self.upper, strict=True
                )
            ],
            "backtest": self.backtest,
            "notes": self.notes,
        }


def next_periods(last: Period, count: int) -> list[Period]:
    out = []
    current = last
    for _ in range(count):
        current = period_containing(current.last + timedelta(days=1), last.grain)
        out.append(current)
    return out


def holiday_days(period: Period) -> float:
    """Statutory rest days that fall on weekdays inside the period (春节, 国庆 …)."""
    day, count = period.first, 0
    while day <= period.last:
        if day.weekday() < 5 and not is_workday(day):
            count += 1
        day += timedelta(days=1)
    return float(count)


Fitter = Callable[[np.ndarray, int, int, float, np.ndarray | None], tuple[np.ndarray, np.ndarray]]


def _naive(y: np.ndarray, m: int, h: int, z: float, _x: Any) -> tuple[np.ndarray, np.ndarray]:
    sigma = float(np.std(np.diff(y), ddof=1)) if len(y) > 2 else 0.0
    steps = np.arange(1, h + 1)
    return np.full(h, y[-1]), z * sigma * np.sqrt(steps)


def _snaive(y: np.ndarray, m: int, h: int, z: float, _x: Any) -> tuple[np.ndarray, np.ndarray]:
    if m <= 1 or len(y) < 2 * m:
        raise ValueError("too short for a seasonal naive forecast")
    mean = np.array([y[len(y) - m + (i % m)] for i in range(h)])
    sigma = float(np.std(y[m:] - y[:-m], ddof=1))
    k = np.arange(h) // m + 1
    return mean, z * sigma * np.sqrt(k)


def _ets(y: np.ndarray, m: int, h: int, z: float, _x: Any) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    series = pd.Series(y)
    best: Any = None
    seasonal = [None, "add"] if m > 1 and len(y) >= 2 * m + 2 else [None]
    trends: list[tuple[str | None, bool]] = [(None, False)]
    if len(y) >= 6:
        trends.append(("add", True))
    for trend, damped in trends:
        for season in seasonal:
            model = ETSModel(
                series,
                error="add",
                trend=trend,
                damped_trend=damped,
                seasonal=season,
                seasonal_periods=m if season else None,
            )
            fit = model.fit(disp=False)
            if best is None or fit.aicc < best.aicc:
                best = fit
    frame = best.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=_alpha(z))
    mean = frame["mean"].to_numpy()
    return mean, mean - frame["pi_lower"].to_numpy()


def _arima(
    y: np.ndarray, m: int, h: int, z: float, x: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.tsa.arima.model import ARIMA

    train_x = x[: len(y)] if x is not None and x[: len(y)].std() > 0 else None
    future_x = x[len(y) : len(y) + h] if train_x is not None and x is not None else None
    best: Any = None
    for order in ((1, 0, 0), (0, 1, 1), (1, 1, 0), (1, 1, 1), (2, 0, 0)):
        trend = "c" if order[1] == 0 else "t" if len(y) > 8 else "n"
        try:
            fit = ARIMA(y, exog=train_x, order=order, trend=trend).fit()
        except (ValueError, np.linalg.LinAlgError):
            continue
        if best is None or fit.aic < best.aic:
            best = fit
    if best is None:
        raise ValueError("no ARIMA order could be fitted")
    result = best.get_forecast(h, exog=future_x)
    mean = np.asarray(result.predicted_mean)
    low = np.asarray(result.conf_int(alpha=_alpha(z)))[:, 0]
    return mean, mean - low


def _theta(y: np.ndarray, m: int, h: int, z: float, _x: Any) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    deseason = m > 1 and len(y) >= 2 * m
    fit = ThetaModel(y, period=m if deseason else 1, deseasonalize=deseason).fit()
    mean = np.asarray(fit.forecast(h))
    low = np.asarray(fit.prediction_intervals(h, alpha=_alpha(z)))[:, 0]
    return mean, mean - low


FITTERS: dict[str, Fitter] = {
    "naive": _naive,
    "seasonal_naive": _snaive,
    "ets": _ets,
    "arima": _arima,
    "theta": _theta,
}


def _alpha(z: float) -> float:
    from scipy.stats import norm

    return float(2 * (1 - norm.cdf(z)))


def mase_scale(y: np.ndarray, m: int) -> float:
    lag = m if m > 1 and len(y) > m else 1
    diffs = np.abs(y[lag:] - y[:-lag])
    return float(diffs.mean()) if len(diffs) else float("nan")


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    denom = np.abs(actual) + np.abs(predicted)
    ok = denom > 0
    return float(np.mean(200 * np.abs(actual - predicted)[ok] / denom[ok])) if ok.any() else 0.0


def backtest(
    y: np.ndarray,
    m: int,
    horizon: int,
    origins: int,
    exog: np.ndarray | None = None,
    methods: tuple[str, ...] = METHODS,
) -> dict[str, dict[str, float]]:
    """Rolling-origin evaluation: for each of the last `origins` cut points, fit on what came
    before, forecast `horizon` steps and score them. MASE uses the training part's in-sample
    one-step (or one-season) naive error as its scale."""
    n = len(y)
    cuts = [n - horizon - k for k in range(origins)][::-1]
    cuts = [c for c in cuts if c >= max(4, 2 if m <= 1 else m + 2)]
    scores: dict[str, dict[str, float]] = {}
    for method in methods:
        mases, smapes = [], []
        for cut in cuts:
            train, test = y[:cut], y[cut : cut + horizon]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mean, _ = FITTERS[method](train, m, len(test), 1.96, exog)
            except Exception:  # a model that cannot fit this series is left out, not fatal
                break
            scale = mase_scale(train, m)
            if not np.isfinite(mean).all() or not scale:
                break
            mases.append(float(np.mean(np.abs(test - mean))) / scale)
            smapes.append(smape(test, mean))
        else:
            if mases:
                scores[method] = {
                    "mase": round(float(np.mean(mases)), 4),
                    "smape": round(float(np.mean(smapes)), 3),
                    "origins": float(len(mases)),
                }
    return scores


_REMEMBERED: OrderedDict[tuple[Any, ...], Forecast] = OrderedDict()
_REMEMBERED_LOCK = threading.Lock()


def forecast_series(
    values: list[float],
    periods: list[Period],
    horizon: int,
    level: float = 0.95,
    methods: tuple[str, ...] | None = None,
    holidays: bool = True,
) -> Forecast:
    """Forecast `horizon` periods after the last one, choosing the method by backtest. The same
    series asked again is answered from memory (the last 512 forecasts of this process)."""
    key = (tuple(values), tuple(periods), horizon, level, methods, holidays)
    with _REMEMBERED_LOCK:
        known = _REMEMBERED.get(key)
        if known is not None:
            _REMEMBERED.move_to_end(key)
            return known
    made = _forecast_series(values, periods, horizon, level, methods, holidays)
    with _REMEMBERED_LOCK:
        _REMEMBERED[key] = made
        while len(_REMEMBERED) > 512:
            _REMEMBERED.popitem(last=False)
    return made


def _forecast_series(
    values: list[float],
    periods: list[Period],
    horizon: int,
    level: float,
    methods: tuple[str, ...] | None,
    holidays: bool,
) -> Forecast:
    if len(values) < 4:
        raise BadRequestData(f"a forecast needs at least 4 past values, got {len(values)}")
    if horizon < 1:
        raise BadRequestData("the forecast horizon must be at least one period")
    if level not in Z:
        raise BadRequestData(f"level must be one of {', '.join(str(k) for k in Z)}")
    y = np.asarray(values, dtype=float)
    if not np.isfinite(y).all():
        raise BadRequestData("the series has missing or non-numeric values")
    grain = periods[-1].grain
    m = SEASON[grain]
    future = next_periods(periods[-1], horizon)
    exog = None
    notes = []
    if holidays and grain in ("day", "month"):
        exog = np.array([holiday_days(p) for p in (*periods, *future)])
        notes.append("ARIMA uses the count of weekday public holidays per period as a regressor")
    candidates = methods or METHODS
    test_h = min(horizon, max(1, len(y) // 4))
    origins = min(6, max(1, len(y) // 4))
    scores = backtest(y, m, test_h, origins, exog, candidates)
    ranked = sorted(scores, key=lambda k: scores[k]["mase"])
    chosen = ranked[0] if ranked else "naive"
    if not ranked:
        notes.append("too short to backtest; the naive forecast is used")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, half = FITTERS[chosen](y, m, horizon, Z[level], exog)
    half = np.where(np.isfinite(half), np.abs(half), 0.0)
    lower, upper = mean - half, mean + half
    if (y >= 0).all():
        # A quantity that has never been negative (a concentration, a count, a share) is not
        # forecast below zero: the band and the mean are cut at 0.
        if (lower < 0).any() or (mean < 0).any():
            notes.append("the series has never been negative: the band is cut at 0")
        mean, lower = np.maximum(mean, 0.0), np.maximum(lower, 0.0)
    return Forecast(
        chosen,
        level,
        [p.label for p in future],
        [_r(v) for v in mean],
        [_r(v) for v in lower],
        [_r(v) for v in upper],
        scores,
        notes,
    )


def _r(value: float) -> float:
    return round(float(value), 6) if math.isfinite(value) else float("nan")
