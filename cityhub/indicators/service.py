"""The indicator service: definitions, computation, uploaded series, targets, assessment,
forecasts and the KeyPerformanceIndicator entities that publish the latest values."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cityhub.broker.batch import batch_upsert
from cityhub.broker.service import EntityService
from cityhub.citizen.places import Locator
from cityhub.errors import BadRequestData
from cityhub.indicators import assess as a
from cityhub.indicators.compute import IndicatorEngine, Window
from cityhub.indicators.definitions import Definition, Library
from cityhub.indicators.forecast import Forecast, forecast_series
from cityhub.indicators.kpi import KPI_TYPE, kpi_entity
from cityhub.indicators.periods import Period, local_day, parse_period, parse_time
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.store import Store
from cityhub.store.indicator_sql import IndicatorValue, Target


class IndicatorService:
    def __init__(
        self,
        store: Store,
        entities: EntityService,
        vocabulary: Vocabulary,
        library: Library,
        locator: Locator,
        zone: str,
        city: str,
        tenant: str = "",
    ) -> None:
        self.store = store
        self.entities = entities
        self.core = vocabulary.terms(KPI_TYPE)  # the KPIs it publishes, in their model's terms
        self.library = library
        self.zone = zone
        self.city = city
        self.tenant = tenant
        self.engine = IndicatorEngine(store, library, vocabulary, locator, zone, tenant)

    # -- definitions and values ---------------------------------------------------------------
    def definition(self, ident: str) -> Definition:
        return self.library.get(ident)

    def compute(
        self,
        ids: list[str] | None,
        first: date,
        last: date,
        progress: Callable[[Definition], None] | None = None,
        now_us: int | None = None,
        publish: bool = True,
    ) -> dict[str, int]:
        if first > last:
            raise BadRequestData(f"the window starts ({first}) after it ends ({last})")
        for ident in ids or []:
            self.library.get(ident)
        written = self.engine.compute(ids, Window(first, last), progress, now_us)
        self.sync_targets(ids)
        if publish:  # values only: standings are judged by `assess` (it runs forecasts)
            self.publish(list(written))
        return written

    def values(self, ident: str, place: str | None = None) -> list[IndicatorValue]:
        self.library.get(ident)
        return self.store.indicators.indicator_values(ident, place)

    def panel(
        self, ids: list[str], yearly: bool = False, places: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Stored values as evaluation records: one per place and period, with columns
        ``place``, ``period`` and one per indicator (empty where a value is missing)."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for ident in ids:
            d = self.library.get(ident)
            if yearly and d.periodicity != "year":
                raise BadRequestData(
                    f"{ident} is a {d.periodicity} indicator: synthetic control and "
                    "difference-in-differences take yearly values (use its for finer series)"
                )
            for v in self.store.indicators.indicator_values(ident):
                if places is None or v.place in places:
                    row = rows.setdefault(
                        (v.place, v.period), {"place": v.place, "period": v.period}
                    )
                    row[ident] = "" if v.value is None else v.value
        if not rows:
            raise BadRequestData(f"{', '.join(ids)} has no values: compute it first")
        for row in rows.values():
            for ident in ids:
                row.setdefault(ident, "")
        return [rows[key] for key in sorted(rows)]

    # -- uploaded series ------------------------------------------------------------------------
    def load_series(
        self,
        ident: str,
        path: Path,
        time_column: str | None = None,
        value_column: str | None = None,
        place_column: str | None = None,
        city_place: str | None = None,
    ) -> int:
        """Load a CSV/XLSX of official statistics into the series a definition reads."""
        d = self.library.get(ident)
        if d.kind != "series":
            raise BadRequestData(f"{ident} is computed from platform data, not an uploaded series")
        source = d.compute.get("source", {})
        tcol = time_column or source.get("time_column", "time")
        vcol = value_column or source.get("value_column", "value")
        pcol = place_column if place_column is not None else source.get("place_column")
        city = city_place if city_place is not None else source.get("city_place")
        points = []
        for number, row in enumerate(read_table(path), start=2):
            if tcol not in row or vcol not in row:
                raise BadRequestData(f"{path.name} has no column '{tcol}' or '{vcol}'")
            raw_value = row[vcol].strip() if isinstance(row[vcol], str) else row[vcol]
            if raw_value in ("", None):
                continue  # a gap, not an error
            try:
                value = float(raw_value)
            except (TypeError, ValueError) as exc:
                raise BadRequestData(
                    f"{path.name} line {number}: '{raw_value}' in {vcol} is not a number"
                ) from exc
            if source.get("zero_is_missing") and value == 0:
                continue
            _, first = parse_time(str(row[tcol]))
            place = str(row.get(pcol) or "").strip() if pcol else "city"
            if not place:
                raise BadRequestData(f"{path.name} line {number}: empty {pcol}")
            if city and place == city:
                place = "city"
            at_us = parse_period(first.isoformat()).bounds_us(self.zone)[0]
            points.append((place, at_us, value))
        if not points:
            raise BadRequestData(f"{path.name} has no numeric values in column '{vcol}'")
        self.store.indicators.put_series(str(d.compute.get("series", d.id)), points, replace=True)
        return len(points)

    # -- targets --------------------------------------------------------------------------------
    def set_target(
        self,
        ident: str,
        period: str,
        value: float | None,
        place: str = "city",
        kind: str = "auto",
        base_period: str | None = None,
        note: str = "",
    ) -> Target:
        d = self.library.get(ident)
        parse_period(period)
        if base_period:
            parse_period(base_period)
        if kind not in ("auto", "max", "min", "elapsed"):
            raise BadRequestData("target kind must be auto, max, min or elapsed")
        if value is None and kind != "elapsed":
            raise BadRequestData("a target needs a value")
        if kind == "auto":
            kind = "max" if d.direction == "lower" else "min"
        target = Target(ident, place, period, kind, value, base_period, note, _now_us())
        self.store.indicators.put_target(target)
        return target

    def sync_targets(self, ids: list[str] | None = None) -> None:
        """Store the default targets a definition carries, unless the city has set its own."""
        existing = {(t.indicator, t.place, t.period) for t in self.store.indicators.targets()}
        for d in self.library.in_order(ids):
            for raw in d.targets:
                key = (d.id, str(raw.get("place", "city")), str(raw["period"]))
                if key not in existing:
                    self.set_target(
                        d.id,
                        key[2],
                        float(raw["value"]) if "value" in raw else None,
                        key[1],
                        str(raw.get("kind", "auto")),
                        raw.get("base_period"),
                        str(raw.get("note", "")),
                    )

    def assess(
        self, ids: list[str] | None = None, now_us: int | None = None, publish: bool = False
    ) -> list[a.Assessment]:
        """Judge the targets (all, or those of `ids`); with `publish`, the KPI entities get the
        standings (currentStanding, businessTarget) too."""
        now = now_us if now_us is not None else _now_us()
        today = local_day(now, self.zone)
        wanted = set(ids) if ids else None
        out = []
        for t in self.store.indicators.targets():
            if wanted is not None and t.indicator not in wanted:
                continue
            d = self.library.get(t.indicator)
            out.append(replace(self._assess_one(d, t, today, now), assessed_us=now))
        if publish:
            self.publish(sorted({x.indicator for x in out}), out)
        return out

    def _assess_one(self, d: Definition, t: Target, today: date, now_us: int) -> a.Assessment:
        values = self.store.indicators.indicator_values(d.id, t.place)
        judged = self._judge(d, t, values, today, now_us)
        if judged.method == "final":  # the period is over: its own value decides, however old
            return judged
        return a.with_staleness(judged, values, d.periodicity, today)

    def _judge(
        self, d: Definition, t: Target, values: list[IndicatorValue], today: date, now_us: int
    ) -> a.Assessment:
        kind = a.target_kind(t, d)
        period = parse_period(t.period)
        if kind == "elapsed":
            return a.assess_elapsed(d, t, period, values, today)
        own = next((v for v in values if v.period == t.period and v.value is not None), None)
        if today > period.last:
            if own is None:
                return a.no_data(
                    d, t, kind, "final", (f"尚无{t.period}的数值", f"no value for {t.period}")
                )
            return a.assess_final(d, t, kind, own)
        if today >= period.first:
            finer = self._finer_values(d, t, period, now_us)
            if own is not None and len(finer) < a.MIN_FINER:
                # too little finer to project from (a yearly survey, say): the period's own
                # value, published while it runs, is the one it will have
                return a.assess_final(d, t, kind, own)
            combine = "sum" if d.compute.get("aggregate") in ("sum", "count") else "mean"
            if d.compute.get("measure") in ("count", "overdue_open"):
                combine = "sum"
            return a.project_running(d, t, kind, period, finer, today, combine)
        yearly = [v for v in values if parse_period(v.period).grain == "year"]
        return a.open_sdg(d, t, kind, yearly, period.first.year)

    def _finer_values(
        self, d: Definition, t: Target, period: Any, now_us: int
    ) -> list[IndicatorValue]:
        grain = a.FINER.get(period.grain)
        if grain is None or d.kind in ("derived", "entities"):
            return []
        finer = replace(
            d, periodicity=grain, places=(t.place,) if t.place in ("city",) else d.places
        )
        history_start = date(period.first.year - 3, 1, 1)
        last = min(local_day(now_us, self.zone), period.last)
        rows = self.engine.values_of(finer, Window(history_start, last), now_us)
        today = local_day(now_us, self.zone)
        done = [  # complete sub-periods up to today (a running month is forecast, not counted)
            r
            for r in rows
            if r.place == t.place and parse_period(r.period).last <= min(today, period.last)
        ]
        return sorted(done, key=lambda r: r.start_us)

    # -- forecasts ------------------------------------------------------------------------------
    def forecast(self, ident: str, place: str, horizon: int, level: float = 0.95) -> Forecast:
        values, periods = self.forecast_inputs(ident, place)
        return forecast_series(values, periods, horizon, level)

    def forecast_inputs(self, ident: str, place: str) -> tuple[list[float], list[Period]]:
        """The series a forecast is made from (the forecast itself runs elsewhere): complete
        periods only — a running month or year holds a fraction of its observations and would
        be read as a full one."""
        values = [v for v in self.values(ident, place) if v.value is not None]
        if not values:
            raise BadRequestData(f"{ident} has no values for '{place}': compute it first")
        today = local_day(_now_us(), self.zone)
        periods = [parse_period(v.period) for v in values]
        done = [(v, p) for v, p in zip(values, periods, strict=True) if p.last < today]
        return [float(v.value or 0) for v, _ in done], [p for _, p in done]

    # -- KPI entities ---------------------------------------------------------------------------
    def publish(
        self, ids: list[str] | None = None, assessments: list[a.Assessment] | None = None
    ) -> int:
        """Upsert one KeyPerformanceIndicator entity per indicator and place (latest value).

        Attributes are appended, so a standing from an earlier assessment stays (its observedAt
        says when it was judged) until `assess(publish=True)` replaces it."""
        wanted = set(ids) if ids is not None else None
        status = {(x.indicator, x.place): x for x in assessments or []}
        docs = []
        for v in self.store.indicators.latest_indicator_values():
            if (wanted is not None and v.indicator not in wanted) or v.value is None:
                continue
            d = self.library.get(v.indicator)
            docs.append(kpi_entity(d, v, self.city, status.get((v.indicator, v.place))))
        for start in range(0, len(docs), 500):
            batch_upsert(
                self.entities,
                self.tenant,
                docs[start : start + 500],
                lambda _: self.core,
                update_only=True,
            )
        return len(docs)


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first sheet of an XLSX."""
    if not path.is_file():
        raise BadRequestData(f"no such file: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise BadRequestData(f"{path.name} is not a readable XLSX file: {exc}") from exc
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [dict(zip(header, r, strict=False)) for r in rows[1:]]
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadRequestData(f"{path.name} is neither UTF-8 nor GB18030 text")
    return list(csv.DictReader(io.StringIO(text)))


def _now_us() -> int:
    return int(time.time() * 1_000_000)
