"""Nearest open service points with capacity over HTTP (target p99 < 50 ms) at 10,000 points.

10,000 PointOfInterest entities of every kind are loaded into the store (their hours and
capacity as the demo's), then GET /care/v1/nearest?lat=&lon=&service=&capacity= at 2,000
random places over Shenzhen from 4 keep-alive connections; the first query builds the index
from the store (timed apart). Both stores (CITYHUB_BENCH_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
import time
import urllib.parse
from pathlib import Path

from _common import bench_database, percentile, report, request_bytes, run_load, served

from cityhub.care.points import KINDS, ServicePoint
from cityhub.config import Settings
from cityhub.demo.care import PLAN
from cityhub.hub import Hub

POINTS = 10_000
QUERIES = 2_000
TARGET_P99_MS = 50.0


def load(database: str) -> float:
    rng = random.Random(3)
    kinds = list(KINDS)
    points = []
    for i in range(POINTS):
        kind = rng.choice(kinds)
        _, hours, capacity = PLAN[kind]
        size = rng.randint(*capacity) if capacity else None
        points.append(
            ServicePoint(
                f"urn:ngsi-ld:PointOfInterest:bench:{i}", f"点{i}", kind, frozenset({kind}),
                113.8 + rng.random() * 0.7, 22.45 + rng.random() * 0.3, rng.choice(hours),
                size, rng.randint(0, size) if size else None,
            )
        )  # fmt: skip
    hub = Hub.open(Settings(database_url=database))
    start = time.perf_counter()
    try:
        hub.store.migrate()
        hub.care.save(points)
    finally:
        hub.close()
    return time.perf_counter() - start


def requests() -> list[bytes]:
    rng = random.Random(11)
    out = []
    for _ in range(QUERIES):
        params = {
            "lat": f"{22.45 + rng.random() * 0.3:.5f}",
            "lon": f"{113.8 + rng.random() * 0.7:.5f}",
            "service": rng.choice(["elderly_canteen", "community_health_centre", "pharmacy"]),
            "capacity": rng.choice(["true", "false"]),
            "n": "5",
        }
        out.append(request_bytes("GET", "/care/v1/nearest?" + urllib.parse.urlencode(params)))
    return out


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BUS_LINES = SHARED / "mobility" / "shenzhen_bus_lines_stations_pygeo.csv"


def main() -> None:
    for database in bench_database():
        store = database.split(":", 1)[0]
        seconds = load(database)
        print(f"loaded {POINTS:,} service points in {seconds:.1f} s")
        variants = [("walking", {})]
        if BUS_LINES.is_file():  # Shenzhen's 2,113 published bus lines, when at hand
            variants.append(("walking or one bus", {"CITYHUB_BUS_NETWORK": str(BUS_LINES)}))
        for name, env in variants:
            with served(database, env=env) as port:
                first = time.perf_counter()
                asyncio.run(run_load(port, requests()[:1], 1))
                took = (time.perf_counter() - first) * 1e3
                print(f"  {name}: first query (builds the index): {took:.0f} ms")
                _, lat, statuses = asyncio.run(run_load(port, requests(), 4))
                assert statuses == {200: QUERIES}, statuses
                p50, p99 = percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3
                report(f"nearest p99 ms, 10,000 points, {name} ({store})", p99, "ms", "< 50 ms",
                       p99 < 50)  # fmt: skip
                print(f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms over {QUERIES:,} queries")


if __name__ == "__main__":
    main()
