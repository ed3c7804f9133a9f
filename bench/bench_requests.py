"""Open311 at one million stored requests: POST /requests per second and list latency.

Seeds BENCH_REQUESTS (default 1,000,000) requests spread over the last year into a fresh store,
then serves it with `cityhub serve` in its own process and measures
- filing: form-encoded POST /open311/v2/requests.json (locate, deadlines, duplicate search,
  request row + events + NGSI-LD entity + history in one transaction), 16 connections;
- listing: GET /open311/v2/requests.json for one service and status over the default 90-day
  window, a full page of 1,000 and a page of 50, 4 connections;
- one request by id.
Targets: >= 500 filings/s; list p99 < 150 ms for 1,000 items, < 30 ms for 50.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import time
from urllib.parse import urlencode

from _common import bench_database, median, percentile, report, request_bytes, run_load, served
from rich.progress import Progress

from cityhub.citizen.places import Locator
from cityhub.citizen.service import to_us
from cityhub.store import open_store
from cityhub.store.citizen_sql import RequestRow

TOTAL = int(os.environ.get("BENCH_REQUESTS", "1000000"))
CODES = ["noise", "road", "streetlight", "garbage", "parking", "wages", "school", "health"]
STATUSES = ["received", "dispatched", "in_progress", "resolved", "closed"]
POSTS = 3_000
LISTS = 300


def seed(database: str) -> None:
    store = open_store(database)
    rng = random.Random(11)
    now = to_us(dt.datetime.now(dt.UTC))
    year = 365 * 86_400 * 1_000_000
    chunk = 10_000
    with Progress() as progress:
        task = progress.add_task("seeding requests", total=TOTAL)
        for start in range(0, TOTAL, chunk):
            rows = []
            for i in range(start, min(TOTAL, start + chunk)):
                at = now - rng.randrange(year)
                rows.append(
                    RequestRow(
                        id=0,
                        token=f"t{i:09d}",
                        service_code=rng.choice(CODES),
                        status=rng.choice(STATUSES),
                        department="transport",
                        category=None,
                        confidence=None,
                        urgency="normal",
                        district="福田区",
                        street=None,
                        lat=22.535 + rng.random() * 0.045,
                        lon=114.00 + rng.random() * 0.10,
                        requested_us=at,
                        updated_us=at,
                        response_due_us=at + 86_400_000_000,
                        deadline_us=at + 5 * 86_400_000_000,
                        doc={"description": f"第{i}号诉求：路面破损，影响通行", "address": ""},
                    )
                )
            with store.write("") as tx:
                tx.insert_requests(rows)
            progress.advance(task, len(rows))
    # Fresh planner statistics, as after any bulk import (autovacuum would get there later).
    store._run("ANALYZE service_requests", write=True)  # type: ignore[attr-defined]
    store.close()


def main() -> None:
    for database in bench_database():
        started = time.perf_counter()
        seed(database)
        print(f"  seeded {TOTAL:,} requests in {time.perf_counter() - started:.0f} s")
        store = database.split(":", 1)[0]
        with served(database) as port:
            rng = random.Random(5)
            city = Locator.load()
            points = [
                (22.535 + rng.random() * 0.045, 114.00 + rng.random() * 0.10) for _ in range(POSTS)
            ]
            points = [(la, lo) for la, lo in points if city.inside_city(lo, la)]
            rates, post_lat = [], []
            for _ in range(3):
                reqs = []
                for n in range(POSTS):
                    form = {
                        "service_code": "road",
                        "description": f"福田区路面坑洼 {rng.random():.6f} 编号{n}",
                        "lat": f"{points[n % len(points)][0]:.6f}",
                        "long": f"{points[n % len(points)][1]:.6f}",
                    }
                    body = urlencode(form).encode()
                    reqs.append(
                        request_bytes(
                            "POST",
                            "/open311/v2/requests.json",
                            body,
                            "application/x-www-form-urlencoded",
                        )
                    )
                seconds, lat, statuses = asyncio.run(run_load(port, reqs, 16))
                assert statuses == {201: POSTS}, statuses
                rates.append(POSTS / seconds)
                post_lat += lat
            rate = median(rates)
            report(f"Open311 POST /requests ({store})", rate, "req/s", ">= 500", rate >= 500)
            print(
                f"  runs {[round(r) for r in rates]}; p50 {percentile(post_lat, 50) * 1e3:.1f} ms, "
                f"p99 {percentile(post_lat, 99) * 1e3:.1f} ms at 16 connections"
            )
            for size, target in ((1000, 150.0), (50, 30.0)):
                reqs = [
                    request_bytes(
                        "GET",
                        "/open311/v2/requests.json?"
                        + urlencode(
                            {
                                "service_code": rng.choice(CODES),
                                "status": rng.choice(["open", "closed"]),
                                "page_size": size,
                            }
                        ),
                    )
                    for _ in range(LISTS)
                ]
                seconds, lat, statuses = asyncio.run(run_load(port, reqs, 4))
                assert statuses == {200: LISTS}, statuses
                p99 = percentile(lat, 99) * 1e3
                report(
                    f"Open311 list {size} items, p99 ({store})",
                    p99,
                    "ms",
                    f"< {target:g} ms",
                    p99 < target,
                )
                print(f"  p50 {percentile(lat, 50) * 1e3:.1f} ms; {LISTS / seconds:.0f} lists/s")
            reqs = [
                request_bytes("GET", f"/open311/v2/requests/{rng.randrange(1, TOTAL)}.json")
                for _ in range(2000)
            ]
            seconds, lat, statuses = asyncio.run(run_load(port, reqs, 8))
            assert statuses == {200: 2000}, statuses
            p99 = percentile(lat, 99) * 1e3
            report(f"Open311 one request by id, p99 ({store})", p99, "ms", "< 10 ms", p99 < 10)


if __name__ == "__main__":
    main()
