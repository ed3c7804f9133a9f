"""Computing every starter indicator over a store holding 10 million observations (target < 5 s).

Loads N readings (CITYHUB_BENCH_POINTS, default 10,000,000) spread over 2026 across 200 demo
devices of five kinds (eight attribute series per group of five devices), rebuilds their hourly
roll-ups, files 100,000 citizen requests and the demo's official series, then times
`IndicatorService.compute` for the whole library over the year (three runs, median), values
and KPI entities included.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid

import orjson
from _common import bench_database, median, report
from rich.progress import Progress

from cityhub.config import Settings
from cityhub.demo.city import device_reading
from cityhub.demo.indicators import load_demo_series
from cityhub.hub import Hub
from cityhub.store import rollups
from cityhub.store.citizen_sql import RequestRow
from cityhub.store.history_sql import HISTORY_COLUMNS, insert_sql

POINTS = int(os.environ.get("CITYHUB_BENCH_POINTS", "10000000"))
REQUESTS = 100_000
TARGET_S = 5.0
START_US = 1_767_196_800_000_000  # 2026-01-01T00:00:00+08:00
YEAR_US = 365 * 86_400_000_000
KINDS = {
    "AirQualityObserved": ("pm25", "pm10", "no2"),
    "ParkingSpot": ("status",),
    "WasteContainer": ("fillingLevel",),
    "TrafficFlowObserved": ("averageVehicleSpeed", "intensity"),
    "Streetlight": ("powerState",),
}
DISTRICTS = ["福田区", "南山区", "罗湖区", "宝安区", "龙岗区"]


def make_devices(hub: Hub) -> list[tuple[str, str, str]]:
    from cityhub.broker.batch import batch_upsert

    docs, series = [], []
    for kind, attrs in KINDS.items():
        for n in range(40):
            ident = f"urn:ngsi-ld:{kind}:bench:{n:03d}"
            docs.append(
                {
                    "id": ident,
                    "type": kind,
                    "areaServed": {"type": "Property", "value": DISTRICTS[n % 5]},
                }
            )
            series += [(ident, kind, a) for a in attrs]
    batch_upsert(hub.entities, "", docs, hub.contexts.vocabulary.of_body, update_only=False)
    return series


def load(hub: Hub) -> None:
    store, vocabulary = hub.store, hub.contexts.vocabulary
    mark = "?" if store.dialect == "sqlite" else "%s"
    series = make_devices(hub)
    per_series = POINTS // len(series)
    step = YEAR_US // per_series
    rng = random.Random(1)
    sql = insert_sql(mark)
    with Progress() as progress:
        task = progress.add_task("loading readings", total=per_series * len(series))
        for ident, kind, attr in series:
            iri = vocabulary.terms(kind).expand(attr)
            rows = []
            for i in range(per_series):
                value = device_reading(kind, rng)[attr]["value"]
                ts = START_US + i * step
                number = float(value) if isinstance(value, int | float) else None
                doc = orjson.dumps({"type": "Property", "value": value})
                key = orjson.dumps(value).decode()
                rows.append(
                    (
                        "",
                        ident,
                        iri,
                        f"urn:i:{ident}:{attr}:{i}",
                        None,
                        ts,
                        ts,
                        number,
                        key,
                        doc if mark == "?" else doc.decode(),
                    )
                )
            with store.write("") as tx:
                if mark == "?":
                    tx._execute_many(sql, rows)  # type: ignore[attr-defined]
                else:
                    columns = "tenant, " + HISTORY_COLUMNS
                    with tx._conn.cursor().copy(  # type: ignore[attr-defined]
                        f"COPY attr_history ({columns}) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
                for statement in rollups.rebuild_sql(mark, True):
                    tx._execute(statement, ["", ident, iri])  # type: ignore[attr-defined]
            progress.advance(task, len(rows))
    day = 86_400_000_000
    requests = []
    for i in range(REQUESTS):
        at = START_US + rng.randrange(YEAR_US - 30 * day)
        done = rng.random() < 0.8
        requests.append(
            RequestRow(
                0,
                uuid.uuid4().hex,
                "pothole",
                "closed" if done else "dispatched",
                f"SZ-{i % 12}",
                None,
                None,
                "normal",
                DISTRICTS[i % 5],
                None,
                None,
                None,
                at,
                at,
                at + day,
                at + 5 * day,
                at + day // 2 if done else None,
                at + rng.randrange(8 * day) if done else None,
                0,
                None,
                rng.randint(1, 5) if done else None,
                {},
            )
        )
    for first in range(0, REQUESTS, 10_000):
        with store.write("") as tx:
            tx.insert_requests(requests[first : first + 10_000])
    load_demo_series(hub)


def main() -> None:
    for database in bench_database():
        hub = Hub.open(Settings(database_url=database))
        try:
            started = time.perf_counter()
            load(hub)
            print(
                f"loaded {POINTS:,} readings and {REQUESTS:,} requests in "
                f"{time.perf_counter() - started:.0f} s"
            )
            timings = []
            for _ in range(3):
                t = time.perf_counter()
                written = hub.indicators.compute(None, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
                timings.append(time.perf_counter() - t)
        finally:
            hub.close()
        store = database.split(":", 1)[0]
        seconds = median(timings)
        report(
            f"all {len(written)} starter indicators over {POINTS / 1e6:g}M readings ({store})",
            seconds,
            "s",
            f"< {TARGET_S:.0f} s",
            seconds < TARGET_S,
        )
        print(
            f"  runs: {', '.join(f'{t:.2f}' for t in timings)} s; "
            f"{sum(written.values()):,} values written"
        )


if __name__ == "__main__":
    main()
