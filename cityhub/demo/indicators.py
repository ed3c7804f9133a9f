"""Give the demo city a past: official series, a year of device readings, computed indicators.

Series shipped with the demo: Shenzhen GDP 2001–2017 and GDP of 36 major cities (NBS), daily
PM2.5 of nine Pearl River Delta cities 2014–2016 (CNEMC), and illustrative monthly budget
figures (made up for the demo, not official statistics). The devices get one reading a day for
the last ``days`` days; air-quality stations replay Shenzhen's official daily PM2.5 of the same
calendar day in 2015 with a little station noise, the other devices draw simulated readings.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from cityhub.broker.changes import next_instance_id
from cityhub.demo.readings import DEVICE_KINDS, device_reading
from cityhub.hub import Hub
from cityhub.store.records import EntityFilter, HistoryRow

SERIES = (
    ("gdp", "shenzhen_gdp_annual_2001_2017_nbs.csv"),
    ("gdp_secondary", "shenzhen_gdp_annual_2001_2017_nbs.csv"),
    ("gdp_tertiary", "shenzhen_gdp_annual_2001_2017_nbs.csv"),
    ("gdp_major_cities", "china_36_major_cities_gdp_1999_2017_nbs.csv"),
    ("pm25_official_daily", "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv"),
    ("budget_revenue_cumulative", "demo_fiscal_monthly.csv"),
    ("budget_revenue_plan", "demo_fiscal_monthly.csv"),
    ("budget_expenditure_cumulative", "demo_fiscal_monthly.csv"),
    ("budget_expenditure_plan", "demo_fiscal_monthly.csv"),
)


def demo_file(name: str) -> Path:
    return Path(str(resources.files("cityhub.demo").joinpath("data", name)))


def load_demo_series(hub: Hub) -> int:
    return sum(hub.indicators.load_series(ident, demo_file(name)) for ident, name in SERIES)


def load_bus_stops(hub: Hub, city: str = "Shenzhen") -> int:
    """Shenzhen's bus stops (name and position, from the city's bus-line data) as entities."""
    import csv

    from cityhub.broker.batch import batch_upsert

    with demo_file("shenzhen_bus_stops.csv").open(encoding="utf-8") as handle:
        stops = list(csv.DictReader(handle))
    docs = [
        {
            "id": f"urn:ngsi-ld:BusStop:{city}:{n:05d}",
            "type": "BusStop",
            "name": {"type": "Property", "value": row["name"]},
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]},
            },
        }
        for n, row in enumerate(stops, start=1)
    ]
    terms = hub.contexts.vocabulary.of_body
    for start in range(0, len(docs), 1000):
        batch_upsert(hub.entities, "", docs[start : start + 1000], terms, update_only=False)
    return len(docs)


def _shenzhen_pm25_by_day() -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    text = demo_file("prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        city, day, *_rest, value = line.split(",")
        if city == "Shenzhen" and day.startswith("2015") and float(value) > 0:
            when = dt.date.fromisoformat(day)
            out[(when.month, when.day)] = float(value)
    return out


def backfill_history(hub: Hub, days: int = 400, seed: int = 2016) -> int:
    """One reading a day (12:00 local) per device for the last `days` days; returns rows."""
    vocabulary = hub.contexts.vocabulary
    zone = dt.timezone(dt.timedelta(hours=8))
    rng = random.Random(seed)
    pm25 = _shenzhen_pm25_by_day()
    today = dt.datetime.now(zone).date()
    types = tuple(vocabulary.expand_type(k) for k in DEVICE_KINDS)
    rows: list[HistoryRow] = []
    written = 0
    for entity in hub.store.iter_entities("", EntityFilter(any_types=types)):
        kind = vocabulary.type_term(entity.types[0])
        expand = vocabulary.terms(kind).expand
        bias = rng.uniform(0.85, 1.15)
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            moment = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
            reading = device_reading(kind, rng, at=moment)
            if kind == "AirQualityObserved":
                base = pm25.get((day.month, day.day), 25.0) * bias * rng.uniform(0.9, 1.1)
                reading["pm25"]["value"] = round(base, 1)
                reading["pm10"]["value"] = round(base * 1.6, 1)
            rows.extend(_rows(entity.id, reading, moment, expand))
        if len(rows) > 20_000:
            written += _flush(hub, rows)
    return written + _flush(hub, rows)


def _rows(
    entity_id: str, reading: dict[str, Any], moment: dt.datetime, expand: Callable[[str], str]
) -> list[HistoryRow]:
    at = moment.astimezone(dt.UTC)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    us = int(at.timestamp() * 1_000_000)
    out = []
    for name, attr in reading.items():
        value = attr["value"]
        number = float(value) if isinstance(value, int | float) else None
        instance = {**attr, "observedAt": stamp}
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        out.append(
            HistoryRow(
                entity_id, expand(name), next_instance_id(), None, us, us, number, key, instance
            )
        )
    return out


def _flush(hub: Hub, rows: list[HistoryRow]) -> int:
    count = len(rows)
    if rows:
        with hub.store.write("") as writer:
            writer.append_history(rows)
        rows.clear()
    return count


def compute_demo_indicators(hub: Hub, days: int = 400) -> dict[str, int]:
    """Compute the whole library over the demo's history, then judge the targets so the KPI
    entities carry their standings."""
    today = dt.date.today()
    written = hub.indicators.compute(None, today - dt.timedelta(days=days + 31), today)
    hub.indicators.assess(publish=True)
    return written
