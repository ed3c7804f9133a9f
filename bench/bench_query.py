"""Query latency at 100,000 entities: type + q + near (target p99 < 20 ms).

GET /ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>50&georel=near;maxDistance==1000&...
from one keep-alive connection, 2,000 queries at random points over the city, after loading
100,000 entities spread over Shenzhen. Also a count=true variant that must visit every match.
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.parse

from _common import bench_database, percentile, report, request_bytes, run_load, served
from bench_batch_upsert import entity

from cityhub.broker.batch import batch_upsert
from cityhub.config import Settings
from cityhub.hub import Hub

ENTITIES = 100_000
QUERIES = 2_000
TARGET_P99_MS = 20.0


def load(database: str) -> float:
    hub = Hub.open(Settings(database_url=database))
    core = hub.contexts.core
    start = time.perf_counter()
    try:
        for first in range(0, ENTITIES, 2_000):
            chunk = [entity(i, 0) for i in range(first, first + 2_000)]
            batch_upsert(hub.entities, "", chunk, lambda _: core, update_only=False)
    finally:
        hub.close()
    return time.perf_counter() - start


def query_requests(
    count: bool, extra: dict[str, str] | None = None, n: int = QUERIES
) -> list[bytes]:
    """Type + q + near queries at random points over the city (`extra` parameters added)."""
    rng = random.Random(11)
    out = []
    for _ in range(n):
        lon, lat = 113.8 + rng.random() * 0.7, 22.45 + rng.random() * 0.14
        params = {
            "type": "AirQualityObserved",
            "q": "pm25>50",
            "georel": "near;maxDistance==1000",
            "geometry": "Point",
            "coordinates": f"[{lon:.5f},{lat:.5f}]",
        }
        if count:
            params["count"] = "true"
        params.update(extra or {})
        out.append(request_bytes("GET", "/ngsi-ld/v1/entities?" + urllib.parse.urlencode(params)))
    return out


def main() -> None:
    for database in bench_database():
        store = database.split(":", 1)[0]
        seconds = load(database)
        print(f"loaded {ENTITIES:,} entities in {seconds:.1f} s ({ENTITIES / seconds:,.0f}/s)")
        with served(database) as port:
            for count in (False, True):
                _, lat, statuses = asyncio.run(run_load(port, query_requests(count), 1))
                assert statuses == {200: QUERIES}, statuses
                p50, p99 = percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3
                label = "type+q+near" + (" +count" if count else "")
                report(
                    f"query p99 ms, {label} ({store})",
                    p99,
                    "ms",
                    f"< {TARGET_P99_MS:.0f} ms",
                    p99 < TARGET_P99_MS,
                )
                print(f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms over {QUERIES:,} queries")


if __name__ == "__main__":
    main()
