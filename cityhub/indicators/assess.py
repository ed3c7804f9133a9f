"""Assess indicators against targets: achieved / on track / at risk / off track, with numbers.

Four situations, one method each:

- the target's period is over: the value meets the target (achieved) or not (off track);
- the period is running: the indicator is recomputed one grain finer (months of a year, days of
  a month), the rest of the period is forecast with intervals and folded into a projected
  period value; on track when even the unfavourable bound meets the target, at risk when only
  the central projection does, off track otherwise;
- the target lies more than a period ahead (a multi-year goal): Open SDG's progress measure,
  the ratio of the observed compound annual growth rate since the base period to the rate
  required to reach the target on time (≥ 0.95 on track, ≥ 0.6 at risk, below off track);
- 序时进度 targets (``kind = "elapsed"``): a cumulative execution rate is compared with the share
  of the period that has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cityhub.indicators.definitions import Definition
from cityhub.indicators.forecast import forecast_series
from cityhub.indicators.periods import Period, elapsed_share, parse_period, periods_between
from cityhub.store.indicator_sql import IndicatorValue, Target
from cityhub.timeutil import format_utc

STATUS_TEXT = {
    "achieved": ("已达成", "achieved"),
    "on_track": ("进度正常", "on track"),
    "at_risk": ("存在风险", "at risk"),
    "off_track": ("偏离目标", "off track"),
    "no_data": ("数据不足", "not enough data"),
}
FINER = {"year": "month", "quarter": "month", "month": "day"}


@dataclass
class Assessment:
    indicator: str
    place: str
    period: str
    target: float | None
    target_kind: str
    status: str
    method: str
    numbers: dict[str, Any] = field(default_factory=dict)
    explanation: dict[str, str] = field(default_factory=dict)
    assessed_us: int = 0  # when it was judged (UTC microseconds)

    def as_dict(self) -> dict[str, Any]:
        zh, en = STATUS_TEXT[self.status]
        return {
            "indicator": self.indicator,
            "place": self.place,
            "period": self.period,
            "target": self.target,
            "targetKind": self.target_kind,
            "status": self.status,
            "statusText": {"zh": zh, "en": en},
            "method": self.method,
            "numbers": self.numbers,
            "explanation": self.explanation,
            "assessedAt": (
                format_utc(datetime.fromtimestamp(self.assessed_us / 1e6, UTC))
                if self.assessed_us
                else None
            ),
        }


def meets(value: float, target: float, kind: str) -> bool:
    return value <= target if kind == "max" else value >= target


def target_kind(target: Target, definition: Definition) -> str:
    if target.kind in ("max", "min", "elapsed"):
        return target.kind
    return "max" if definition.direction == "lower" else "min"


MIN_FINER = 4  # finer-grained values a running period's projection needs


def assess_final(d: Definition, t: Target, kind: str, value: IndicatorValue) -> Assessment:
    assert value.value is not None and t.value is not None
    ok = meets(value.value, t.value, kind)
    sign = "≤" if kind == "max" else "≥"
    return Assessment(
        d.id,
        t.place,
        t.period,
        t.value,
        kind,
        "achieved" if ok else "off_track",
        "final",
        {"value": value.value, "observations": value.observations},
        {
            "zh": f"{t.period}年度值 {value.value:g}{d.unit}，目标 {sign}{t.value:g}",
            "en": f"{t.period} value {value.value:g} {d.unit} against target {sign} {t.value:g}",
        },
    )


def project_running(
    d: Definition,
    t: Target,
    kind: str,
    period: Period,
    finer: list[IndicatorValue],
    today: date,
    combine: str,
) -> Assessment:
    """Fold observed sub-periods and forecast ones into a projected value for the period."""
    assert t.value is not None
    observed = [v for v in finer if v.value is not None]
    if len(observed) < MIN_FINER:
        why = ("月度等细分数据少于 4 个", "fewer than 4 finer-grained values")
        return no_data(d, t, kind, "projection", why)
    subs = [parse_period(v.period) for v in observed]
    remaining = [
        p
        for p in periods_between(subs[-1].grain, subs[-1].last, period.last)
        if p.first > subs[-1].last
    ]
    inside = [(p, v) for p, v in zip(subs, observed, strict=True) if p.first >= period.first]
    values = [float(v.value) for v in observed if v.value is not None]
    fc = forecast_series(values, subs, len(remaining)) if remaining else None
    weights = [p.days for p, _ in inside] + [p.days for p in remaining]
    now_part = [float(v.value or 0) for _, v in inside]

    def fold(extra: list[float]) -> float:
        parts = now_part + extra
        if combine == "sum":
            return sum(parts)
        total = sum(weights[: len(parts)])
        return sum(w * x for w, x in zip(weights, parts, strict=False)) / total

    mean = fold(fc.mean if fc else [])
    low = fold(fc.lower if fc else [])
    high = fold(fc.upper if fc else [])
    bad_bound = high if kind == "max" else low
    if not meets(mean, t.value, kind):
        status = "off_track"
    elif meets(bad_bound, t.value, kind):
        status = "on_track"
    else:
        status = "at_risk"
    numbers = {
        "observedPeriods": len(inside),
        "forecastPeriods": len(remaining),
        "projected": round(mean, 4),
        "projectedLower": round(low, 4),
        "projectedUpper": round(high, 4),
        "level": fc.level if fc else None,
        "method": fc.method if fc else None,
        "backtest": fc.backtest if fc else {},
        "elapsedShare": round(elapsed_share(period, today), 4),
    }
    return Assessment(
        d.id,
        t.place,
        t.period,
        t.value,
        kind,
        status,
        "projection",
        numbers,
        {
            "zh": f"预计{t.period}为 {mean:.4g}（区间 {low:.4g}–{high:.4g}），目标 {t.value:g}",
            "en": f"projected {t.period}: {mean:.4g} ({low:.4g}–{high:.4g}), target {t.value:g}",
        },
    )


def open_sdg(
    d: Definition, t: Target, kind: str, yearly: list[IndicatorValue], target_year: int
) -> Assessment:
    """Open SDG progress status from the compound annual growth rate (CAGR)."""
    assert t.value is not None
    series = [(int(v.period[:4]), v.value) for v in yearly if v.value is not None]
    if t.base_period:
        series = [s for s in series if s[0] >= int(t.base_period[:4])]
    if len(series) < 2:
        return no_data(
            d, t, kind, "open_sdg", ("需要基期及其后的年度值", "needs a base year and a later year")
        )
    (y0_year, y0), (yi_year, yi) = series[0], series[-1]
    assert y0 is not None and yi is not None
    numbers: dict[str, Any] = {"baseYear": y0_year, "base": y0, "latestYear": yi_year, "latest": yi}
    if meets(yi, t.value, kind):
        return Assessment(
            d.id,
            t.place,
            t.period,
            t.value,
            kind,
            "achieved",
            "open_sdg",
            numbers,
            _sdg_text(t, "target already met", "目标已提前达成"),
        )
    if y0 <= 0 or yi <= 0 or t.value <= 0 or yi_year <= y0_year or target_year <= y0_year:
        return no_data(
            d,
            t,
            kind,
            "open_sdg",
            ("年均增速需要正值且年份不同", "CAGR needs positive values and years apart"),
        )
    observed = (yi / y0) ** (1 / (yi_year - y0_year)) - 1
    required = (t.value / y0) ** (1 / (target_year - y0_year)) - 1
    ratio = observed / required if required else math.inf
    numbers.update(
        {
            "observedCAGR": round(observed, 6),
            "requiredCAGR": round(required, 6),
            "ratio": round(ratio, 4),
        }
    )
    if ratio >= 0.95:
        status, en, zh = "on_track", "on track (R ≥ 0.95)", "进度正常（R ≥ 0.95）"
    elif ratio >= 0.6:
        status, en, zh = (
            "at_risk",
            "progress, acceleration needed (0.6 ≤ R < 0.95)",
            "需加速（0.6 ≤ R < 0.95）",
        )
    elif ratio >= 0:
        status, en, zh = "off_track", "limited progress (0 ≤ R < 0.6)", "进展有限（0 ≤ R < 0.6）"
    else:
        status, en, zh = "off_track", "deterioration (R < 0)", "倒退（R < 0）"
    return Assessment(
        d.id, t.place, t.period, t.value, kind, status, "open_sdg", numbers, _sdg_text(t, en, zh)
    )


def _sdg_text(t: Target, en: str, zh: str) -> dict[str, str]:
    return {"zh": f"{t.period}目标 {t.value:g}：{zh}", "en": f"{t.period} target {t.value:g}: {en}"}


def assess_elapsed(
    d: Definition, t: Target, period: Period, values: list[IndicatorValue], today: date
) -> Assessment:
    """A cumulative rate (e.g. budget execution, %) against the time elapsed (序时进度)."""
    inside = [
        v
        for v in values
        if v.value is not None
        and parse_period(v.period).first >= period.first
        and parse_period(v.period).last <= period.last
    ]
    if not inside:
        return no_data(d, t, "elapsed", "elapsed", ("期内尚无数值", "no value inside the period"))
    latest = inside[-1]
    assert latest.value is not None
    as_of = min(parse_period(latest.period).last, today)
    expected = 100 * elapsed_share(period, as_of) * ((t.value or 100) / 100)
    gap = latest.value - expected
    if as_of >= period.last:
        status = "achieved" if gap >= 0 else "off_track"
    else:
        status = "on_track" if gap >= 0 else "at_risk" if gap >= -5 else "off_track"
    return Assessment(
        d.id,
        t.place,
        t.period,
        t.value,
        "elapsed",
        status,
        "elapsed",
        {
            "latestPeriod": latest.period,
            "value": latest.value,
            "expected": round(expected, 2),
            "gapPoints": round(gap, 2),
        },
        {
            "zh": f"截至{latest.period}执行率 {latest.value:.1f}%，序时进度 {expected:.1f}%",
            "en": f"{latest.value:.1f}% executed by {latest.period}; time elapsed {expected:.1f}%",
        },
    )


def no_data(d: Definition, t: Target, kind: str, method: str, why: tuple[str, str]) -> Assessment:
    """Not enough data to judge; `why` in Chinese and English."""
    return Assessment(
        d.id,
        t.place,
        t.period,
        t.value,
        kind,
        "no_data",
        method,
        {"reason": why[1]},
        {"zh": f"数据不足：{why[0]}", "en": f"not enough data: {why[1]}"},
    )


# How long after its period ends an indicator's latest value is still current: a yearly
# statistic for year Y is published during Y+1, so it is stale once Y+2 has begun.
STALE_AFTER_DAYS = {"year": 400, "quarter": 200, "month": 100, "week": 30, "day": 14}


def with_staleness(
    result: Assessment, values: list[IndicatorValue], grain: str, today: date
) -> Assessment:
    """Flag a judgement made on data older than its publication lag allows: the standing is
    kept (it is what the data says), the explanation and `numbers.staleSince` say how old."""
    observed = [v for v in values if v.value is not None]
    if not observed or result.status == "no_data":
        return result
    latest = parse_period(observed[-1].period)
    age = (today - latest.last).days
    if age <= STALE_AFTER_DAYS.get(grain, 400):
        return result
    years = age / 365.25
    zh_age = f"{years:.0f} 年" if years >= 1.5 else f"{age} 天"
    en_age = f"{years:.0f} years" if years >= 1.5 else f"{age} days"
    result.numbers = {**result.numbers, "staleSince": latest.label, "staleDays": age}
    said = result.explanation
    result.explanation = {
        "zh": f"{said.get('zh', '')}；注意：数据截至{latest.label}，已 {zh_age}未更新",
        "en": f"{said.get('en', '')}; note: data as of {latest.label}, not updated for {en_age}",
    }
    return result
