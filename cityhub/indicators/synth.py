"""Synthetic control (Abadie and Gardeazabal, 2003; Abadie, Diamond and Hainmueller, 2010).

The treated unit is compared with a weighted average of donor units (weights >= 0, summing to
one) that matches its predictors before the treatment. Predictors are scaled by their standard
deviation across units; predictor importances V are chosen so the synthetic unit tracks the
treated unit's outcome best over the optimisation period (nested optimisation: for each V the
donor weights W solve a simplex-constrained least squares; V is searched by Nelder-Mead from
several starts, the best kept). Inference is by placebos in space: each donor in turn is
treated as if it had been treated, and the treated unit's ratio of post- to pre-treatment
RMSPE is ranked among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize, nnls

from cityhub.errors import BadRequestData


@dataclass(frozen=True)
class Predictor:
    variable: str
    periods: tuple[int, ...]  # averaged over these periods


@dataclass
class SynthResult:
    treated: str
    weights: dict[str, float]
    importance: dict[str, float]
    periods: list[int]
    actual: list[float]
    synthetic: list[float]
    pre_rmspe: float
    post_rmspe: float
    treatment_period: int
    placebo: dict[str, float] = field(default_factory=dict)  # unit -> post/pre RMSPE ratio
    p_value: float | None = None

    def gap(self) -> list[float]:
        return [a - s for a, s in zip(self.actual, self.synthetic, strict=True)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "treated": self.treated,
            "treatment_period": self.treatment_period,
            "weights": {k: round(v, 4) for k, v in self.weights.items() if v >= 0.0005},
            "predictor_importance": {k: round(v, 4) for k, v in self.importance.items()},
            "pre_rmspe": round(self.pre_rmspe, 6),
            "post_rmspe": round(self.post_rmspe, 6),
            "series": [
                {"period": p, "actual": a, "synthetic": round(s, 6), "gap": round(a - s, 6)}
                for p, a, s in zip(self.periods, self.actual, self.synthetic, strict=True)
            ],
            "placebo_ratios": {k: round(v, 4) for k, v in self.placebo.items()},
            "p_value": self.p_value,
        }


class SynthPanel:
    """Values by (unit, period, variable) from records."""

    def __init__(self, rows: Sequence[dict[str, Any]], unit: str, time: str) -> None:
        if not rows:
            raise BadRequestData("the panel is empty")
        for column in (unit, time):
            if column not in rows[0]:
                raise BadRequestData(f"the panel has no column {column}")
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}
        for number, row in enumerate(rows, start=1):
            try:
                period = int(float(row[time]))
            except (TypeError, ValueError) as exc:
                raise BadRequestData(f"row {number}: {time} must be a number") from exc
            self.rows[(str(row[unit]), period)] = row
        self.units = sorted({u for u, _ in self.rows})
        self.periods = sorted({p for _, p in self.rows})
        self.columns = set(rows[0])

    def value(self, unit: str, period: int, variable: str) -> float:
        row = self.rows.get((unit, period))
        if row is None:
            return float("nan")
        raw = row.get(variable)
        if raw in (None, "", "NA"):
            return float("nan")
        try:
            return float(raw)
        except (TypeError, ValueError) as exc:
            raise BadRequestData(
                f"{variable} of {unit} in {period} is not a number: {raw!r}"
            ) from exc

    def mean(self, unit: str, variable: str, periods: Sequence[int]) -> float:
        values = [self.value(unit, p, variable) for p in periods]
        known = [v for v in values if v == v]
        if not known:
            raise BadRequestData(f"{unit} has no {variable} in {periods[0]}-{periods[-1]}")
        return float(np.mean(known))


def _simplex_weights(x0: np.ndarray, x1: np.ndarray, v: np.ndarray) -> np.ndarray:
    """argmin_w (x1 - x0 w)' diag(v) (x1 - x0 w), w >= 0, sum w = 1 (a heavy row enforces
    the sum in a non-negative least squares)."""
    root = np.sqrt(v)
    a, b = x0 * root[:, None], x1 * root
    heavy = 1e4 * max(1.0, float(np.abs(a).max()))
    w, _ = nnls(np.vstack([a, heavy * np.ones(a.shape[1])]), np.concatenate([b, [heavy]]))
    total = w.sum()
    return w / total if total > 0 else np.full(len(w), 1 / len(w))


def _fit(
    x1: np.ndarray, x0: np.ndarray, z1: np.ndarray, z0: np.ndarray, starts: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    def loss(theta: np.ndarray) -> float:
        v = np.abs(theta) + 1e-12
        w = _simplex_weights(x0, x1, v / v.sum())
        return float(np.mean((z1 - z0 @ w) ** 2))

    k = len(x1)
    rng = np.random.default_rng(seed)
    best = None
    for start in [np.ones(k) / k, *(rng.random(k) for _ in range(starts))]:
        found = minimize(
            loss,
            start,
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-12},
        )
        if best is None or found.fun < best.fun:
            best = found
    assert best is not None
    v = np.abs(best.x) + 1e-12
    v = v / v.sum()
    return _simplex_weights(x0, x1, v), v


def synthetic_control(
    panel: SynthPanel,
    outcome: str,
    treated: str,
    treatment_period: int,
    predictors: Sequence[Predictor],
    optimize_periods: Sequence[int],
    donors: Sequence[str] | None = None,
    placebos: bool = True,
    starts: int = 5,
    seed: int = 0,
) -> SynthResult:
    if treated not in panel.units:
        raise BadRequestData(f"the treated unit {treated!r} is not in the panel")
    pool = [u for u in (donors or panel.units) if u != treated]
    missing = [u for u in pool if u not in panel.units]
    if missing:
        raise BadRequestData(f"donor(s) not in the panel: {', '.join(missing)}")
    if len(pool) < 2:
        raise BadRequestData("a synthetic control needs at least two donors")
    for column in {outcome, *(p.variable for p in predictors)}:
        if column not in panel.columns:
            raise BadRequestData(f"the panel has no column {column}")
    pre = [p for p in optimize_periods if p < treatment_period]
    if len(pre) < 3:
        raise BadRequestData("at least three pre-treatment periods are needed to fit the outcome")
    if not predictors:
        predictors = [Predictor(outcome, tuple(pre))]
    result = _one(panel, outcome, treated, pool, treatment_period, predictors, pre, starts, seed)
    if placebos:
        ratios = {}
        for unit in pool:
            others = [u for u in pool if u != unit]
            fake = _one(panel, outcome, unit, others, treatment_period, predictors, pre, 1, seed)
            ratios[unit] = fake.post_rmspe / max(fake.pre_rmspe, 1e-12)
        mine = result.post_rmspe / max(result.pre_rmspe, 1e-12)
        result.placebo = ratios
        result.p_value = round((1 + sum(r >= mine for r in ratios.values())) / (1 + len(ratios)), 4)
    return result


def _one(
    panel: SynthPanel,
    outcome: str,
    treated: str,
    pool: list[str],
    treatment_period: int,
    predictors: Sequence[Predictor],
    pre: list[int],
    starts: int,
    seed: int,
) -> SynthResult:
    def column(unit: str) -> np.ndarray:
        return np.array([panel.mean(unit, p.variable, p.periods) for p in predictors])

    x1 = column(treated)
    x0 = np.column_stack([column(u) for u in pool])
    scale = np.std(np.column_stack([x1[:, None], x0]), axis=1, ddof=1)
    scale[scale == 0] = 1.0
    z1 = np.array([panel.value(treated, p, outcome) for p in pre])
    z0 = np.array([[panel.value(u, p, outcome) for u in pool] for p in pre])
    if np.isnan(z1).any() or np.isnan(z0).any():
        raise BadRequestData(f"{outcome} is missing in the optimisation periods")
    w, v = _fit(x1 / scale, x0 / scale[:, None], z1, z0, starts, seed)
    periods = [p for p in panel.periods if not np.isnan(panel.value(treated, p, outcome))]
    actual = [panel.value(treated, p, outcome) for p in periods]
    donors = np.array([[panel.value(u, p, outcome) for u in pool] for p in periods])
    synthetic = list(np.nan_to_num(donors) @ w)
    gaps = np.array(actual) - np.array(synthetic)
    before = np.array([p < treatment_period for p in periods])
    return SynthResult(
        treated=treated,
        weights=dict(zip(pool, (float(x) for x in w), strict=True)),
        importance={
            f"{p.variable}[{p.periods[0]}-{p.periods[-1]}]": float(x)
            for p, x in zip(predictors, v, strict=True)
        },
        periods=periods,
        actual=actual,
        synthetic=[float(s) for s in synthetic],
        pre_rmspe=float(np.sqrt(np.mean(gaps[before] ** 2))) if before.any() else 0.0,
        post_rmspe=float(np.sqrt(np.mean(gaps[~before] ** 2))) if (~before).any() else 0.0,
        treatment_period=treatment_period,
    )
