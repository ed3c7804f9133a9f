"""Compute indicator values from the platform's own data and keep them in the store.

Each definition kind has one function: history (device attributes), requests (citizen
requests), series (uploaded official statistics), entities (what exists now, per place and
per km²), derived (growth or ratio of other indicators) and sql (a city's own SELECT). The heavy
kinds run as one statement in the store (see `store.indicator_queries`); Python only maps devices to
places and writes the results.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cityhub.citizen.places import Locator
from cityhub.errors import BadRequestData
from cityhub.indicators.definitions import Definition, Library
from cityhub.indicators.history_fold import HistoryPlan, day_frame, fold_history
from cityhub.indicators.periods import (
    Period,
    local_day,
    parse_period,
    periods_between,
    standard_offset_us,
)
from cityhub.indicators.request_fold import fold_requests, request_frame
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.store import Store
from cityhub.store.indicator_queries import REQUEST_MEASURES, history_source
from cityhub.store.indicator_sql import IndicatorValue, number
from cityhub.store.records import EntityFilter

AREA_ATTR = "areaServed"


@dataclass
class RunCache:
    """What one computation run reads once and several definitions share: device -> place
    memberships per entity type, and the citizen-request scan per service-code filter."""

    members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    requests: dict[tuple[str, ...], Any] = field(default_factory=dict)
    plans: dict[tuple[str, ...], HistoryPlan] = field(default_factory=dict)
    days: dict[tuple[str, ...], Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """The local days to compute over (inclusive)."""

    first: date
    last: date


MEMBERS_TTL = 600.0  # seconds a type's device-to-district map is reused while its count holds


class IndicatorEngine:
    def __init__(
        self,
        store: Store,
        library: Library,
        vocabulary: Vocabulary,
        locator: Locator,
        zone: str,
        tenant: str = "",
    ) -> None:
        self.store = store
        self.library = library
        self.vocabulary = vocabulary  # each source type read in its own terms
        self.locator = locator
        self.zone = zone
        self.tenant = tenant
        self.offset_us = standard_offset_us(zone)
        # members per (type, places): kept while the type's entity count is unchanged, for at
        # most MEMBERS_TTL seconds (a device that moves to another district is counted there
        # within that time); saves walking and locating every device on each run
        self._members: dict[tuple[str, tuple[str, ...]], tuple[float, int, Any]] = {}

    # -- entry point --------------------------------------------------------------------------
    def compute(
        self,
        ids: list[str] | None,
        window: Window,
        progress: Callable[[Definition], None] | None = None,
        now_us: int | None = None,
    ) -> dict[str, int]:
        """Compute the chosen indicators (and what they depend on); returns values per id."""
        now = now_us if now_us is not None else int(time.time() * 1_000_000)
        written: dict[str, int] = {}
        cache = RunCache()
        todo = self.library.in_order(ids)
        for definition in todo:  # one scan per attribute serves all its definitions
            if definition.kind == "history":
                periods = periods_between(definition.periodicity, window.first, window.last)
                if periods:
                    self._plan(definition, periods, cache)
        for definition in todo:
            rows = self.values_of(definition, window, now, cache)
            self.store.indicators.put_indicator_values(definition.id, rows)
            written[definition.id] = len(rows)
            if progress is not None:
                progress(definition)
        return written

    def values_of(
        self,
        d: Definition,
        window: Window,
        now_us: int,
        cache: RunCache | None = None,
    ) -> list[IndicatorValue]:
        if d.kind == "series":  # official statistics are small: always their whole extent
            window = self._series_extent(d) or window
        if d.kind == "derived":  # follows whatever its sources cover
            window = self._values_extent(d) or window
        periods = periods_between(d.periodicity, window.first, window.last)
        if not periods:
            return []
        kind = d.kind
        cache = cache if cache is not None else RunCache()
        if kind == "history":
            raw = self._history(d, periods, cache)
        elif kind == "requests":
            raw = self._requests(d, periods, now_us, cache)
        elif kind == "series":
            raw = self._series(d, periods)
        elif kind == "entities":
            raw = self._entities(d, periods, now_us)
        elif kind == "derived":
            raw = self._derived(d, periods)
        else:
            raw = self._custom(d, periods, now_us)
        by_label = {p.label: p for p in periods}
        out = []
        for label, place, value, count in raw:
            period = by_label.get(str(label))
            if period is None:  # a day outside the periods asked for
                continue
            start, end = period.bounds_us(self.zone)
            v = number(value)
            out.append(
                IndicatorValue(
                    d.id,
                    str(place),
                    period.label,
                    start,
                    end,
                    round(v, d.decimals + 2) if v is not None else None,
                    int(count or 0),
                    now_us,
                )
            )
        return out

    # -- kinds ----------------------------------------------------------------------------------
    def members(self, entity_type: str, places: Iterable[str]) -> list[tuple[str, str]]:
        """(entity id, place) for every device of a type: the city, and its district from
        ``areaServed`` or, failing that, from its location inside the district boundaries."""
        key = (entity_type, tuple(sorted(set(places))))
        flt = EntityFilter(any_types=(self.vocabulary.expand_type(entity_type),))
        count = self.store.count_entities(self.tenant, flt)
        cached = self._members.get(key)
        if cached is not None and cached[1] == count and time.monotonic() - cached[0] < MEMBERS_TTL:
            return list(cached[2])
        found = self._walk_members(entity_type, key[1])
        self._members[key] = (time.monotonic(), count, found)
        return list(found)

    def _walk_members(self, entity_type: str, places: Iterable[str]) -> list[tuple[str, str]]:
        wanted = set(places)
        terms = self.vocabulary.terms(entity_type)
        area_iri = terms.expand(AREA_ATTR)
        out: list[tuple[str, str]] = []
        flt = EntityFilter(any_types=(terms.expand(entity_type),))
        for entity in self.store.iter_entities(self.tenant, flt):
            if "city" in wanted:
                out.append((entity.id, "city"))
            if "district" in wanted:
                district = self._district_of(entity.attrs, area_iri)
                if district:
                    out.append((entity.id, district))
        return out

    def _district_of(self, attrs: dict[str, list[dict[str, Any]]], area_iri: str) -> str | None:
        for inst in attrs.get(area_iri, []):
            if isinstance(inst.get("value"), str):
                return self.locator.gazetteer.canonical_district(inst["value"])
        for inst in attrs.get(self.vocabulary.core.expand("location"), []):
            value = inst.get("value")
            if isinstance(value, dict) and value.get("type") == "Point":
                lon, lat = value["coordinates"][:2]
                return self.locator.locate(float(lat), float(lon)).district
        return None

    def _history_key(self, d: Definition) -> tuple[tuple[str, ...], str | None]:
        spec = d.compute
        entity_type = str(spec.get("entity_type", ""))
        attribute = str(spec.get("attribute", ""))
        if not entity_type or not attribute:
            raise BadRequestData(f"{d.id}: a history indicator needs entity_type and attribute")
        source, hit = history_source(spec)
        return (entity_type, attribute, source), hit

    def _plan(self, d: Definition, periods: list[Period], cache: RunCache) -> HistoryPlan:
        key, hit = self._history_key(d)
        plan = cache.plans.setdefault(key, HistoryPlan())
        plan.add(hit, self._span(periods))
        return plan

    def _history(
        self, d: Definition, periods: list[Period], cache: RunCache
    ) -> list[tuple[Any, ...]]:
        key, hit = self._history_key(d)
        plan = cache.plans.get(key)
        if plan is None or (hit is not None and hit not in plan.hits):
            cache.days.pop(key, None)
            plan = self._plan(d, periods, cache)
        if key not in cache.days:
            entity_type, attribute, source = key
            if entity_type not in cache.members:  # both levels: definitions pick their own
                cache.members[entity_type] = self.members(entity_type, ("city", "district"))
            members = cache.members[entity_type]
            rows: list[tuple[Any, ...]] = []
            if members:
                rows = self.store.indicators.history_days(
                    source,
                    plan.hits,
                    members,
                    self.offset_us,
                    self.tenant,
                    self.vocabulary.terms(entity_type).expand(attribute),
                    plan.span_us,
                )
            cache.days[key] = day_frame(rows, len(plan.hits))
        column = f"h{plan.hits.index(hit)}" if hit is not None else None
        days = (periods[0].day_keys[0], periods[-1].day_keys[1])
        rows = fold_history(cache.days[key], d.compute, column, d.periodicity, days)
        levels = set(d.places)
        return [r for r in rows if ("city" if r[1] == "city" else "district") in levels]

    def _span(self, periods: list[Period]) -> tuple[int, int]:
        return periods[0].bounds_us(self.zone)[0], periods[-1].bounds_us(self.zone)[1]

    def _requests(
        self, d: Definition, periods: list[Period], now_us: int, cache: RunCache
    ) -> list[tuple[Any, ...]]:
        measure = str(d.compute.get("measure", "count"))
        if measure not in REQUEST_MEASURES:
            raise BadRequestData(f"requests measure must be one of {', '.join(REQUEST_MEASURES)}")
        codes = tuple(sorted(str(c) for c in d.compute.get("service_codes") or ()))
        span = self._span(periods)
        key = (*codes, f"@{span[0]}-{span[1]}")
        if key not in cache.requests:
            cache.requests[key] = request_frame(
                self.store.indicators.request_days(codes, self.offset_us, now_us, span)
            )
        return fold_requests(cache.requests[key], measure, d.periodicity, d.places)

    def _series_extent(self, d: Definition) -> Window | None:
        name = str(d.compute.get("series", d.id))
        extent = self.store.indicators.series_extent(name)
        if extent is None:
            return None
        return Window(local_day(extent[0], self.zone), local_day(extent[1], self.zone))

    def _values_extent(self, d: Definition) -> Window | None:
        spans = [
            (v.start_us, v.end_us)
            for source in d.depends_on
            for v in self.store.indicators.indicator_values(source)
        ]
        if not spans:
            return None
        first = local_day(min(s for s, _ in spans), self.zone)
        return Window(first, local_day(max(e for _, e in spans) - 1, self.zone))

    def _series(self, d: Definition, periods: list[Period]) -> list[tuple[Any, ...]]:
        name = str(d.compute.get("series", d.id))
        rows, aggregate = self.store.indicators.series_rows(
            d.compute, d.periodicity, self.offset_us, name, self._span(periods)
        )
        if aggregate != "last":
            return rows
        latest: dict[tuple[str, str], tuple[Any, ...]] = {}
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for label, place, _at, value in rows:  # ordered by time: the last one wins
            latest[(label, place)] = (label, place, value)
            counts[(label, place)] += 1
        return [(*row, counts[key]) for key, row in latest.items()]

    def _entities(self, d: Definition, periods: list[Period], now_us: int) -> list[tuple[Any, ...]]:
        """Entities that exist now, counted in the period that contains today (a stock, not
        a flow: earlier periods keep what was computed then)."""
        today = local_day(now_us, self.zone)
        current = [p for p in periods if p.first <= today <= p.last]
        if not current:
            return []
        spec = d.compute
        members = self.members(str(spec.get("entity_type", "")), d.places)
        counts: dict[str, int] = defaultdict(int)
        for _, place in members:
            counts[place] += 1
        per = spec.get("per")
        rows: list[tuple[Any, ...]] = []
        areas = self._areas() if per == "km2" else {}
        for place, count in sorted(counts.items()):
            if per == "km2":
                area = areas.get(place)
                if not area:
                    continue
                rows.append((current[0].label, place, count / area, count))
            else:
                rows.append((current[0].label, place, count, count))
        return rows

    def _areas(self) -> dict[str, float]:
        """km² per district (from the District entities) and for the whole city."""
        areas: dict[str, float] = {}
        terms = self.vocabulary.terms("District")
        flt = EntityFilter(any_types=(terms.expand("District"),))
        code_iri, area_iri = terms.expand("districtCode"), terms.expand("areaKm2")
        for entity in self.store.iter_entities(self.tenant, flt):
            code = next((i.get("value") for i in entity.attrs.get(code_iri, [])), None)
            area = next((i.get("value") for i in entity.attrs.get(area_iri, [])), None)
            if isinstance(code, str) and isinstance(area, int | float):
                areas[self.locator.gazetteer.canonical_district(code)] = float(area)
        if areas:
            areas["city"] = sum(areas.values())
        return areas

    def _derived(self, d: Definition, periods: list[Period]) -> list[tuple[Any, ...]]:
        spec = d.compute
        op = spec.get("op")
        labels = {p.label for p in periods}
        if op == "growth":
            source = self._values_by_place(str(spec["of"]))
            rows = []
            for place, series in source.items():
                ordered = sorted(series.items(), key=lambda item: parse_period(item[0]).first)
                for (_, before), (label, after) in itertools.pairwise(ordered):
                    if label in labels and before and after is not None:
                        rows.append((label, place, (after / before - 1) * 100, 2))
            return rows
        if op == "ratio":
            top = self._values_by_place(str(spec["numerator"]))
            bottom = self._values_by_place(str(spec["denominator"]))
            scale = float(spec.get("scale", 1))
            rows = []
            for place, series in top.items():
                for label, value in series.items():
                    under = bottom.get(place, {}).get(label)
                    if label in labels and value is not None and under:
                        rows.append((label, place, value / under * scale, 2))
            return rows
        raise BadRequestData(f"{d.id}: derived op must be 'growth' or 'ratio'")

    def _values_by_place(self, indicator: str) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = defaultdict(dict)
        for v in self.store.indicators.indicator_values(indicator):
            out[v.place][v.period] = v.value
        return out

    def _custom(self, d: Definition, periods: list[Period], now_us: int) -> list[tuple[Any, ...]]:
        named = {"tenant": self.tenant, "now_us": now_us, "day_offset_us": self.offset_us}
        rows = self.store.indicators.custom_rows(
            str(d.compute.get("sql", "")), periods, self.zone, named
        )
        return [(r[0], r[1], r[2], r[3] if len(r) > 3 else 0) for r in rows]
