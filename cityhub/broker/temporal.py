"""Temporal representation of entities: parameters, history reads, aggregation, rendering."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cityhub.broker.changes import history_row, to_us
from cityhub.broker.normalize import ATTRIBUTE_TYPES, check_name, parse_instance
from cityhub.broker.render import RenderOptions, render_instance
from cityhub.errors import BadRequestData
from cityhub.jsonld import TermMap
from cityhub.limits import whole_number
from cityhub.store.records import Bucket, Entity, HistoryQuery, HistoryRow, Instance

AGGREGATES = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")
_TIME_COLUMNS = {
    "observedAt": "observed_us",
    "modifiedAt": "modified_us",
    "createdAt": "modified_us",
    "deletedAt": "deleted_us",  # only the instances that record a deletion
}
_VALUES_KEY = {
    "Property": "values",
    "GeoProperty": "values",
    "Relationship": "objects",
    "LanguageProperty": "languageMaps",
    "VocabProperty": "vocabs",
    "ListProperty": "valueLists",
    "ListRelationship": "objectLists",
    "JsonProperty": "jsons",
}
_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
MAX_DURATION_SECONDS = 1000 * 365 * 86400
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def parse_duration(text: str) -> int:
    """An ISO 8601 duration in microseconds (years of 365 days, months of 30 days)."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise BadRequestData(f"invalid ISO 8601 duration {text!r}, e.g. PT1H or P1D")
    seconds = sum(
        float(v) * unit for v, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if v
    )
    if seconds > MAX_DURATION_SECONDS:
        raise BadRequestData(f"duration {text!r} is longer than 1,000 years")
    return int(seconds * 1_000_000)


@dataclass(frozen=True)
class TemporalParams:
    time_column: str = "observed_us"
    time_property: str = "observedAt"
    start_us: int | None = None
    end_us: int | None = None
    last_n: int | None = None
    fmt: str = "normalized"  # normalized | temporalValues | aggregatedValues
    methods: tuple[str, ...] = ()
    period_us: int = 0  # 0: the whole interval is one period


def _time(params: Mapping[str, Any], key: str) -> int:
    raw = params.get(key)
    if not raw:
        raise BadRequestData(f"{key} is required with this timerel")
    try:
        return to_us(str(raw))
    except ValueError as exc:
        raise BadRequestData(f"{key} is not an ISO 8601 date-time: {raw!r}") from exc


def parse_temporal(params: Mapping[str, Any], options: set[str]) -> TemporalParams:
    prop = str(params.get("timeproperty") or "observedAt")
    if prop not in _TIME_COLUMNS:
        raise BadRequestData("timeproperty must be observedAt, createdAt, modifiedAt or deletedAt")
    start = end = None
    timerel = params.get("timerel")
    if timerel == "before":
        end = _time(params, "timeAt")
    elif timerel == "after":
        start = _time(params, "timeAt")
    elif timerel == "between":
        start, end = _time(params, "timeAt"), _time(params, "endTimeAt")
        if end <= start:
            raise BadRequestData("endTimeAt must be later than timeAt")
    elif timerel is not None:
        raise BadRequestData("timerel must be before, after or between")
    last_n = None
    if params.get("lastN") is not None:
        last_n = whole_number(params["lastN"], "lastN", 1, 1_000_000)
    fmt = "normalized"
    methods: tuple[str, ...] = ()
    period = 0
    if "aggregatedValues" in options:
        fmt = "aggregatedValues"
        raw = params.get("aggrMethods")
        if not raw:
            raise BadRequestData("aggregatedValues needs aggrMethods, e.g. avg,max")
        methods = tuple(m.strip() for m in str(raw).split(","))
        bad = [m for m in methods if m not in AGGREGATES]
        if bad:
            raise BadRequestData(f"unknown aggrMethods {bad}: use {', '.join(AGGREGATES)}")
        duration = str(params.get("aggrPeriodDuration") or "PT0S")
        period = parse_duration(duration)
    elif "temporalValues" in options:
        fmt = "temporalValues"
    return TemporalParams(_TIME_COLUMNS[prop], prop, start, end, last_n, fmt, methods, period)


def history_query(ids: list[str], attrs: frozenset[str] | None, tp: TemporalParams) -> HistoryQuery:
    return HistoryQuery(
        tuple(ids),
        tuple(sorted(attrs)) if attrs is not None else None,
        tp.time_column,
        tp.start_us,
        tp.end_us,
        tp.last_n,
    )


_FIRST_US = int(datetime(1, 1, 2, tzinfo=UTC).timestamp()) * 1_000_000
_LAST_US = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()) * 1_000_000


def iso(us: int) -> str:
    """A moment in microseconds as NGSI-LD writes it; moments beyond the calendar's ends (an
    open-ended period) are written as its first or last second."""
    us = min(max(us, _FIRST_US), _LAST_US)
    moment = datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_short(us: int) -> str:
    """As `iso`, without a fraction when it is zero (how aggregation periods are written)."""
    text = iso(us)
    return text.replace(".000000Z", "Z")


def render_temporal(
    entity: Entity, rows: list[HistoryRow], tm: TermMap, opts: RenderOptions, tp: TemporalParams
) -> dict[str, Any]:
    out = _head(entity, tm)
    for row in rows:
        name = tm.compact(row.attr)
        inst = dict(row.instance)
        if tp.fmt == "temporalValues":
            kind = str(inst.get("type", "Property"))
            slot = out.setdefault(name, {"type": kind, _VALUES_KEY.get(kind, "values"): []})
            when = inst.get("observedAt") if tp.time_property == "observedAt" else None
            if row.deleted_us is not None:
                when = iso(row.deleted_us)
            content = inst.get(ATTRIBUTE_TYPES.get(kind, "value"))
            if kind == "LanguageProperty":  # each entry names its member (4.5.18)
                content = {"languageMap": content}
            slot[_VALUES_KEY.get(kind, "values")].append([content, when or iso(row.modified_us)])
            continue
        rendered = render_instance(inst, tm, opts)
        if isinstance(rendered, dict):
            rendered["instanceId"] = row.instance_id
            if row.deleted_us is not None:
                rendered["deletedAt"] = iso(row.deleted_us)
        out.setdefault(name, []).append(rendered)
    return out


def empty_attribute(kind: str, tp: TemporalParams) -> Any:
    """An attribute with no instance in this page, in the page's representation."""
    if tp.fmt == "temporalValues":
        return {"type": kind, _VALUES_KEY.get(kind, "values"): []}
    return []


def _head(entity: Entity, tm: TermMap) -> dict[str, Any]:
    types = [tm.compact(t) for t in entity.types]
    return {"id": entity.id, "type": types[0] if len(types) == 1 else types}


def render_aggregates(
    entity: Entity,
    buckets: list[Bucket],
    kinds: dict[str, str],
    tm: TermMap,
    tp: TemporalParams,
    start_us: int,
    period_us: int,
) -> dict[str, Any]:
    out = _head(entity, tm)
    for b in buckets:
        if b.entity_id != entity.id:
            continue
        begin = start_us + b.index * period_us
        span = [iso_short(begin), iso_short(begin + period_us)]
        slot = out.setdefault(tm.compact(b.attr), {"type": kinds.get(b.attr, "Property")})
        for method in tp.methods:
            slot.setdefault(method, []).append([_aggregate(b, method), *span])
    return out


def _aggregate(b: Bucket, method: str) -> float | int | None:
    if method == "totalCount":
        return b.count
    if method == "distinctCount":
        return b.distinct
    if method == "stddev":
        if b.mean is None or b.sumsq is None or not b.count:
            return None
        return math.sqrt(max(0.0, b.sumsq / b.count - b.mean * b.mean))
    return {"sum": b.total, "avg": b.mean, "min": b.low, "max": b.high, "sumsq": b.sumsq}[method]


def parse_temporal_attributes(
    body: Mapping[str, Any], tm: TermMap, now: str
) -> list[tuple[str, Instance]]:
    """(attribute IRI, instance) for every instance of a temporal representation body."""
    found: list[tuple[str, Instance]] = []
    for name, raw in body.items():
        if name in ("id", "type", "@context", "scope", "createdAt", "modifiedAt"):
            continue
        iri = tm.expand(check_name(name))
        for item in raw if isinstance(raw, list) else [raw]:
            inst = parse_instance(name, item, tm, now)
            inst["createdAt"] = inst["modifiedAt"] = now
            found.append((iri, inst))
    return found


def rows_for(entity_id: str, pairs: list[tuple[str, Instance]]) -> list[HistoryRow]:
    return [history_row(entity_id, attr, inst) for attr, inst in pairs]
