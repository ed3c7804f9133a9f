"""Dashboard: how fast the page is usable and how fast a change reaches the screen.

Loads the demo city (300 devices, 7,000 bus stops, requests) into a fresh store, serves it
with `cityhub serve`, and drives headless Chromium (/usr/bin/chromium):
- page ready (districts drawn, every entity placed, panels started), median of 5 cold loads;
  target < 2 s on a laptop-class machine;
- change to screen: PATCH an attribute through NGSI-LD, time until the detail panel shows the
  new value, p50/p99 of 40 changes; target p99 < 1 s;
- the /dashboard/v1/entities snapshot (every located entity), p50 of 20 calls; target < 500 ms.
"""

from __future__ import annotations

import time

import httpx
from _common import bench_database, median, percentile, report, served
from playwright.sync_api import sync_playwright

from cityhub.config import Settings
from cityhub.demo.city import load_demo_city
from cityhub.demo.indicators import load_bus_stops
from cityhub.demo.requests import file_demo_requests
from cityhub.hub import Hub

SENSOR = "urn:ngsi-ld:AirQualityObserved:Shenzhen:00001"


def load_city(database: str) -> None:
    hub = Hub.open(Settings(database_url=database))
    try:
        load_demo_city(hub.entities, hub.contexts.vocabulary, 300)
        load_bus_stops(hub, "Shenzhen")
        file_demo_requests(hub.requests)
    finally:
        hub.close()


def main() -> None:
    for database in bench_database():
        load_city(database)
        with served(database) as port:
            base = f"http://127.0.0.1:{port}"
            snapshot = []
            for _ in range(20):
                started = time.perf_counter()
                body = httpx.get(base + "/dashboard/v1/entities", timeout=30).json()
                snapshot.append((time.perf_counter() - started) * 1000)
            count = len(body["items"])
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
                ready = []
                for _ in range(5):
                    page = browser.new_page(viewport={"width": 1366, "height": 768})
                    started = time.perf_counter()
                    page.goto(base + "/")
                    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
                    ready.append(time.perf_counter() - started)
                    page.close()
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(f"{base}/#entity={SENSOR}")
                page.wait_for_selector("#detail-values tr[data-attr=pm25]", timeout=30_000)
                page.wait_for_selector("#live-dot[data-state=live]", timeout=10_000)
                latencies = []
                with httpx.Client(base_url=base, timeout=10) as http:
                    for number in range(40):
                        value = 200 + number
                        shown = str(value)
                        started = time.perf_counter()
                        http.patch(
                            f"/ngsi-ld/v1/entities/{SENSOR}/attrs",
                            json={"pm25": {"type": "Property", "value": value}},
                        )
                        page.wait_for_function(
                            "text => document.querySelector("
                            "'#detail-values tr[data-attr=pm25] td:last-child')"
                            ".textContent.startsWith(text)",
                            arg=shown,
                            timeout=10_000,
                            polling=10,
                        )
                        latencies.append((time.perf_counter() - started) * 1000)
                browser.close()
    report(
        f"snapshot of {count:,} entities, p50",
        median(snapshot),
        "ms",
        "< 500",
        median(snapshot) < 500,
    )
    report("page ready (cold load), median of 5", median(ready), "s", "< 2", median(ready) < 2)
    p99 = percentile(latencies, 99)
    report("change to screen, p50", median(latencies), "ms", "-", True)
    report("change to screen, p99", p99, "ms", "< 1000", p99 < 1000)


if __name__ == "__main__":
    main()
