"""Goals: a goal's chart and the goals panel answer from stored results (target < 100 ms).

Loads the demo city (`cityhub demo --no-serve`: indicators computed, library targets set) into a
fresh store and serves it with `cityhub serve`, whose background job makes every target's
forecast and the assessment ahead of readers. Prints:
- the first open of each goal's chart right after start (made on demand where the job had not
  reached it yet): median and max;
- a goal's chart once stored, p50/p99 over every goal x 20 reads; target p99 < 100 ms;
- the goals panel (every target's standing), p50/p99 of 20 reads; target p99 < 100 ms;
- one forecast made from scratch in a worker process (what a chart cost before), for scale.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _common import bench_database, median, percentile, report, served

CITYHUB = str(Path(sys.executable).with_name("cityhub"))


def timed(http: httpx.Client, path: str, **params: str) -> float:
    started = time.perf_counter()
    r = http.get(path, params=params)
    assert r.status_code == 200, r.text
    return (time.perf_counter() - started) * 1000


def main() -> None:
    for database in bench_database():
        loaded = subprocess.run(
            [CITYHUB, "demo", "--database", database, "--no-serve", "--mqtt", "mqtt://127.0.0.1:1"],
            check=True,
            capture_output=True,
            text=True,
        )
        key = re.search(r"#key=(chk_\S+)", loaded.stdout)
        assert key, loaded.stdout
        with (
            served(database) as port,
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                timeout=120,
                headers={"X-API-Key": key.group(1)},
            ) as http,
        ):
            goals = http.get("/dashboard/v1/goals").json()
            places = sorted({(g["indicator"], g["place"]) for g in goals})
            first = [timed(http, f"/dashboard/v1/goals/{i}", place=p) for i, p in places]
            charts = [
                timed(http, f"/dashboard/v1/goals/{i}", place=p)
                for _ in range(20)
                for i, p in places
            ]
            panel = [timed(http, "/dashboard/v1/goals") for _ in range(20)]
            made = timed(http, "/indicators/v1/indicators/gdp/forecast", horizon="7", level="0.8")
    report(f"first open of {len(places)} goal charts, median", median(first), "ms", "-", True)
    report("first open of a goal chart, max", max(first), "ms", "-", True)
    report("goal chart (stored), p50", median(charts), "ms", "-", True)
    p99 = percentile(charts, 99)
    report("goal chart (stored), p99", p99, "ms", "< 100", p99 < 100)
    p99 = percentile(panel, 99)
    report("goals panel (stored), p99", p99, "ms", "< 100", p99 < 100)
    report("a forecast made from scratch (not stored yet)", made, "ms", "-", True)


if __name__ == "__main__":
    main()
