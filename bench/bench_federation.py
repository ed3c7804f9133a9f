"""Federated query latency: three brokers of 100,000 entities each, one query through the first
(target p99 < 100 ms).

Broker A holds entities 0–99,999; B and C hold the next two hundred thousand and are registered
on A as context sources for the type. 500 queries (type + q + near, as bench_query.py, at random
points) go to A, which asks B and C in parallel and merges; printed with the same queries asked
of A alone (`local=true`) to show what federation adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from _common import bench_database, percentile, report, run_load, served
from bench_batch_upsert import entity
from bench_query import query_requests

from cityhub.broker.batch import batch_upsert
from cityhub.config import Settings
from cityhub.hub import Hub

PER_BROKER = 100_000
QUERIES = 500
TARGET_P99_MS = 100.0


def load(database: str, first_id: int) -> None:
    hub = Hub.open(Settings(database_url=database))
    core = hub.contexts.core
    try:
        for first in range(first_id, first_id + PER_BROKER, 2_000):
            chunk = [entity(i, 0) for i in range(first, first + 2_000)]
            batch_upsert(hub.entities, "", chunk, lambda _: core, update_only=False)
    finally:
        hub.close()


def queries(local: bool) -> list[bytes]:
    return query_requests(False, {"local": "true"} if local else None, QUERIES)


def main() -> None:
    with contextlib.ExitStack() as stack:
        databases = [
            stack.enter_context(contextlib.contextmanager(bench_database)()) for _ in "abc"
        ]
        store = databases[0].split(":", 1)[0]
        started = time.perf_counter()
        for n, database in enumerate(databases):
            load(database, n * PER_BROKER)
        print(f"  loaded 3 x {PER_BROKER:,} entities in {time.perf_counter() - started:.0f} s")
        env = {"CITYHUB_FEDERATION_HOSTS": "127.0.0.1", "CITYHUB_ANALYSES_REFRESH": "0"}
        ports = [stack.enter_context(served(d, env=env)) for d in databases]
        for name, port in zip(("b", "c"), ports[1:], strict=True):
            registration = {
                "id": f"urn:ngsi-ld:ContextSourceRegistration:{name}",
                "type": "ContextSourceRegistration",
                "information": [{"entities": [{"type": "AirQualityObserved"}]}],
                "endpoint": f"http://127.0.0.1:{port}",
            }
            url = f"http://127.0.0.1:{ports[0]}/ngsi-ld/v1/csourceRegistrations"
            assert httpx.post(url, json=registration).status_code == 201
        for local in (True, False):
            asyncio.run(run_load(ports[0], queries(local)[:50], 1))  # warm
            _, latencies, statuses = asyncio.run(run_load(ports[0], queries(local), 1))
            assert set(statuses) == {200}, statuses
            p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
            if local:
                print(f"  A alone (local=true): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
                continue
            print(f"  A with B and C: p50 {p50:.1f} ms")
            report(
                f"federated query p99, 3 x 100k ({store})",
                p99,
                "ms",
                f"< {TARGET_P99_MS:.0f}",
                p99 < TARGET_P99_MS,
            )


if __name__ == "__main__":
    main()
