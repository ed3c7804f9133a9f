"""Difference-in-differences with staggered adoption (Callaway and Sant'Anna, 2021).

Group-time average treatment effects ATT(g, t) for each cohort g (the period its units were
first treated) against a comparison group (never treated, or not yet treated by t), without
covariates, where the doubly robust estimator is the difference of mean changes:

    ATT(g, t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C]

with base period b = g - 1 for t >= g, and b = t - 1 before treatment (the "varying" base, so
pre-period estimates are placebo tests of parallel trends). The aggregations weigh cohorts by
their size: `simple` (every post-treatment ATT(g, t)), `group` (each cohort's mean effect),
`dynamic` (by time since treatment) and `calendar`. Standard errors come from a bootstrap over
units (the panel is resampled by unit, so serial correlation within a unit is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cityhub.errors import BadRequestData


@dataclass(frozen=True)
class Panel:
    """A balanced panel: outcome[unit, period], the first treated period per unit (0: never)."""

    units: list[str]
    periods: list[int]
    outcome: np.ndarray  # shape (units, periods)
    first_treated: np.ndarray  # shape (units,)


def balanced_panel(
    rows: Sequence[dict[str, Any]], unit: str, time: str, outcome: str, group: str
) -> Panel:
    """A panel from records; refuses missing or non-numeric values and unbalanced units."""
    if not rows:
        raise BadRequestData("the panel is empty")
    missing = [c for c in (unit, time, outcome, group) if c not in rows[0]]
    if missing:
        raise BadRequestData(f"the panel has no column(s) {', '.join(missing)}")
    values: dict[str, dict[int, float]] = {}
    first: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        try:
            period = int(float(row[time]))
            y = float(row[outcome])
            g = int(float(row[group] or 0))
        except (TypeError, ValueError) as exc:
            raise BadRequestData(
                f"row {number}: {time}, {outcome} and {group} must be numbers ({exc})"
            ) from exc
        if y != y:
            raise BadRequestData(f"row {number}: {outcome} is missing")
        key = str(row[unit])
        values.setdefault(key, {})[period] = y
        if first.setdefault(key, g) != g:
            raise BadRequestData(f"unit {key} has more than one first-treatment period")
    periods = sorted({p for per_unit in values.values() for p in per_unit})
    units = sorted(values)
    unbalanced = [u for u in units if len(values[u]) != len(periods)]
    if unbalanced:
        raise BadRequestData(
            f"the panel is unbalanced: {len(unbalanced)} unit(s) miss periods, e.g. {unbalanced[0]}"
        )
    outcome_matrix = np.array([[values[u][p] for p in periods] for u in units])
    return Panel(units, periods, outcome_matrix, np.array([first[u] for u in units]))


@dataclass
class DidResult:
    att: dict[tuple[int, int], float]
    aggregate: dict[str, float]
    se: dict[str, float] = field(default_factory=dict)
    att_se: dict[tuple[int, int], float] = field(default_factory=dict)
    cohorts: dict[int, int] = field(default_factory=dict)
    control: str = "never"

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "cohorts": {str(g): n for g, n in self.cohorts.items()},
            "att_gt": [
                {"group": g, "time": t, "att": round(v, 6), "se": _round(self.att_se.get((g, t)))}
                for (g, t), v in sorted(self.att.items())
            ],
            "aggregate": {
                k: {"att": round(v, 6), "se": _round(self.se.get(k))}
                for k, v in self.aggregate.items()
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _att_gt(panel: Panel, weights: np.ndarray, control: str) -> dict[tuple[int, int], float]:
    """ATT(g, t) with unit weights (1 for the estimate, bootstrap counts for resamples)."""
    col = {p: i for i, p in enumerate(panel.periods)}
    out: dict[tuple[int, int], float] = {}
    groups = sorted({int(g) for g in panel.first_treated if g > 0})
    for g in groups:
        if g - 1 not in col:
            continue  # treated from the first period on: no pre-period to compare with
        treated = (panel.first_treated == g) * weights
        for t in panel.periods[1:]:
            base = g - 1 if t >= g else t - 1
            if base not in col:
                continue
            if control == "never":
                comparison = (panel.first_treated == 0) * weights
            else:  # not yet treated by t (nor by the base period)
                later = max(t, base)
                comparison = ((panel.first_treated == 0) | (panel.first_treated > later)) & (
                    panel.first_treated != g
                )
                comparison = comparison * weights
            if treated.sum() == 0 or comparison.sum() == 0:
                continue
            change = panel.outcome[:, col[t]] - panel.outcome[:, col[base]]
            out[(g, t)] = float(
                change @ treated / treated.sum() - change @ comparison / comparison.sum()
            )
    return out


def _aggregate(att: dict[tuple[int, int], float], sizes: dict[int, float]) -> dict[str, float]:
    post = {k: v for k, v in att.items() if k[1] >= k[0]}
    if not post:
        return {}
    total = sum(sizes[g] for g, _ in post)
    simple = sum(v * sizes[g] for (g, _), v in post.items()) / total
    cohorts = sorted({g for g, _ in post})
    by_group = {g: float(np.mean([v for (gg, _), v in post.items() if gg == g])) for g in cohorts}
    group_total = sum(sizes[g] for g in cohorts)
    group = sum(by_group[g] * sizes[g] for g in cohorts) / group_total
    events: dict[int, list[tuple[float, float]]] = {}
    for (g, t), v in att.items():
        events.setdefault(t - g, []).append((v, sizes[g]))
    dynamic = {
        e: sum(v * w for v, w in items) / sum(w for _, w in items) for e, items in events.items()
    }
    calendar: dict[int, list[tuple[float, float]]] = {}
    for (g, t), v in post.items():
        calendar.setdefault(t, []).append((v, sizes[g]))
    by_time = {
        t: sum(v * w for v, w in items) / sum(w for _, w in items) for t, items in calendar.items()
    }
    out = {
        "simple": simple,
        "group": group,
        "dynamic": float(np.mean([v for e, v in dynamic.items() if e >= 0])),
        "calendar": float(np.mean(list(by_time.values()))),
    }
    out.update({f"group:{g}": v for g, v in by_group.items()})
    out.update({f"event:{e}": v for e, v in sorted(dynamic.items())})
    return out


def callaway_santanna(
    panel: Panel, control: str = "never", bootstrap: int = 499, seed: int = 0
) -> DidResult:
    """Group-time ATTs, their aggregations and bootstrap standard errors."""
    if control not in ("never", "notyet"):
        raise BadRequestData("control must be 'never' or 'notyet'")
    if not (panel.first_treated > 0).any():
        raise BadRequestData("no unit is ever treated")
    if control == "never" and not (panel.first_treated == 0).any():
        raise BadRequestData("no never-treated unit to compare with; use control='notyet'")
    ones = np.ones(len(panel.units))
    att = _att_gt(panel, ones, control)
    if not att:
        raise BadRequestData("no cohort has a pre-treatment period in the panel")
    sizes = {int(g): float((panel.first_treated == g).sum()) for g in set(panel.first_treated)}
    result = DidResult(
        att=att,
        aggregate=_aggregate(att, sizes),
        cohorts={g: int(n) for g, n in sizes.items() if g > 0},
        control=control,
    )
    if bootstrap:
        rng = np.random.default_rng(seed)
        draws_att: dict[tuple[int, int], list[float]] = {k: [] for k in att}
        draws_agg: dict[str, list[float]] = {k: [] for k in result.aggregate}
        n = len(panel.units)
        for _ in range(bootstrap):
            w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
            resampled = _att_gt(panel, w, control)
            boot_sizes = {g: float(w[panel.first_treated == g].sum()) or 1e-12 for g in sizes}
            for cell, v in resampled.items():
                draws_att[cell].append(v)
            for name, v in _aggregate(resampled, boot_sizes).items():
                if name in draws_agg:
                    draws_agg[name].append(v)
        result.att_se = {c: float(np.std(v, ddof=1)) for c, v in draws_att.items() if len(v) > 1}
        result.se = {a: float(np.std(v, ddof=1)) for a, v in draws_agg.items() if len(v) > 1}
    return result
