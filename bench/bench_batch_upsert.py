"""Batch upsert throughput: entities/s through POST /entityOperations/upsert (target >= 50,000/s).

Batches of 1,000 AirQualityObserved entities (6 attributes each, a GeoProperty among them), first
as creations then as replacements, over HTTP against `cityhub serve`. Also the service alone, to
show how much of the time is HTTP and JSON, and the physical limit: the same rows written by the
bare driver into a fresh schema (`_raw.py`); target: HTTP >= 0.7 of it.
"""

from __future__ import annotations

import asyncio
import json
import time

from _common import bench_database, median, report, request_bytes, run_load, served
from _raw import raw_upsert

from cityhub.broker.batch import batch_upsert
from cityhub.config import Settings
from cityhub.hub import Hub

BATCH = 1_000
BATCHES = 50
TARGET = 50_000
RATIO_TARGET = 0.7


def entity(i: int, round_: int) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{i}",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": (i * 7 + round_) % 150, "unitCode": "GQ"},
        "pm10": {"type": "Property", "value": (i * 11 + round_) % 250, "unitCode": "GQ"},
        "temperature": {"type": "Property", "value": 20 + i % 15},
        "name": {"type": "Property", "value": f"监测站{i}"},
        "refDistrict": {"type": "Relationship", "object": "urn:ngsi-ld:District:Futian"},
        "location": {
            "type": "GeoProperty",
            "value": {
                "type": "Point",
                "coordinates": [113.8 + (i % 700) / 1000, 22.45 + (i // 700) / 1000],
            },
        },
    }


def batches(round_: int) -> list[list[dict[str, object]]]:
    return [[entity(b * BATCH + i, round_) for i in range(BATCH)] for b in range(BATCHES)]


def over_http(database: str) -> list[float]:
    rates = []
    with served(database) as port:
        for round_ in range(3):  # round 0 creates, later rounds replace
            bodies = [json.dumps(b).encode() for b in batches(round_)]
            reqs = [request_bytes("POST", "/ngsi-ld/v1/entityOperations/upsert", b) for b in bodies]
            seconds, _, statuses = asyncio.run(run_load(port, reqs, 2))
            assert set(statuses) <= {201, 204}, statuses
            rates.append(BATCH * BATCHES / seconds)
    return rates


def in_process(database: str) -> list[float]:
    hub = Hub.open(Settings(database_url=database))
    core = hub.contexts.core
    rates = []
    try:
        for round_ in range(3, 6):
            data = batches(round_)
            start = time.perf_counter()
            for chunk in data:
                batch_upsert(hub.entities, "svc", chunk, lambda _: core, update_only=False)
            rates.append(BATCH * BATCHES / (time.perf_counter() - start))
    finally:
        hub.close()
    return rates


def main() -> None:
    for database in bench_database():
        store = database.split(":", 1)[0]
        http_rates = over_http(database)
        svc_rates = in_process(database)
        rate = median(http_rates[1:] + http_rates[:1])
        report(
            f"batch upsert entities/s over HTTP ({store})",
            rate,
            "ent/s",
            f">= {TARGET:,}",
            rate >= TARGET,
        )
        print(f"  HTTP runs (create, replace, replace): {[round(r) for r in http_rates]}")
        print(
            f"  service only, no HTTP/JSON: median {median(svc_rates):,.0f} ent/s "
            f"{[round(r) for r in svc_rates]}"
        )
        for raw_database in bench_database():
            raw = raw_upsert(raw_database, (batches(r) for r in range(3)))
        limit = median(raw)
        print(f"  bare driver, same rows: median {limit:,.0f} ent/s {[round(r) for r in raw]}")
        ratio = rate / limit
        report(
            f"batch upsert as a share of the bare driver ({store})",
            ratio,
            "x",
            f">= {RATIO_TARGET}",
            ratio >= RATIO_TARGET,
        )


if __name__ == "__main__":
    main()
