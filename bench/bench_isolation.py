"""Isolation: cheap reads stay fast while heavy work runs (target p99 < 50 ms, max < 200 ms).

`cityhub serve --mqtt` in its own process with a private Mosquitto. A probe reads one entity and
/health every 50 ms, first alone, then while, at the same time: (a) four clients keep opening a
goal's chart (history, target and a forecast), (b) a device fleet publishes over MQTT at full
speed, (c) a client keeps sending a catastrophic regular expression, and (d) a client keeps
running a policy evaluation. Prints probe p50, p99 and max with and without the load.
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import paho.mqtt.client as mqtt
from _common import bench_database, percentile, report, served
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.mqtt_broker import PrivateMosquitto

SECONDS = 15.0
PROBE_EVERY = 0.05
P99_TARGET, MAX_TARGET = 0.050, 0.200
ENTITY = "urn:ngsi-ld:AirQualityObserved:probe"


def seed(base: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        body = [
            {
                "id": f"urn:ngsi-ld:AirQualityObserved:{'a' * 30}{i:05d}",
                "type": "AirQualityObserved",
                "pm25": {"type": "Property", "value": i % 90},
            }
            for i in range(2_000)
        ]
        body.append(
            {"id": ENTITY, "type": "AirQualityObserved", "pm25": {"type": "Property", "value": 12}}
        )
        assert http.post("/ngsi-ld/v1/entityOperations/upsert", json=body).status_code in (201, 204)
        series = "year,gdp_100m_cny\n" + "\n".join(
            f"{y},{20000 + 1500 * (y - 2000) + (y % 3) * 400}" for y in range(2000, 2025)
        )
        r = http.post(
            "/indicators/v1/indicators/gdp/series",
            content=series.encode(),
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/indicators/v1/indicators/gdp/targets",
            json={"period": "2030", "value": 60000, "base_period": "2020"},
        )
        assert r.status_code == 201, r.text
        r = http.post("/iot/groups", json={"services": [{"apikey": "iso", "entity_type": "Meter"}]})
        assert r.status_code == 201, r.text


def did_body() -> bytes:
    rows = [
        {
            "u": u,
            "t": t,
            "y": (u * 7 + t) % 13 + (0.5 if u % 2 and t >= 2005 else 0),
            "g": 2005 if u % 2 else 0,
        }
        for u in range(2_000)
        for t in range(2000, 2010)
    ]
    return orjson.dumps(
        {"rows": rows, "unit": "u", "time": "t", "outcome": "y", "group": "g", "bootstrap": 499}
    )


def probe(base: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            path = f"/ngsi-ld/v1/entities/{ENTITY}" if i % 2 == 0 else "/health"
            started = time.perf_counter()
            assert http.get(path).status_code == 200
            latencies.append(time.perf_counter() - started)
            i += 1
            time.sleep(PROBE_EVERY)
    return latencies


def loads(
    base: str, broker_port: int, stop: threading.Event
) -> tuple[list[threading.Thread], dict[str, int]]:
    done: dict[str, int] = {"charts": 0, "regex": 0, "evaluations": 0, "published": 0}

    def repeat(name: str, call) -> None:  # type: ignore[no-untyped-def]
        with httpx.Client(base_url=base, timeout=120) as http:
            while not stop.is_set():
                call(http)
                done[name] += 1

    def chart(http: httpx.Client) -> None:
        http.get("/dashboard/v1/goals/gdp", params={"place": "city"})

    def regex(http: httpx.Client) -> None:
        http.get(
            "/ngsi-ld/v1/entities",
            params={"type": "AirQualityObserved", "idPattern": "^(.*){8}Z", "limit": "1000"},
        )

    evaluation = did_body()

    def evaluate(http: httpx.Client) -> None:
        http.post(
            "/evaluate/v1/did", content=evaluation, headers={"content-type": "application/json"}
        )

    def publish() -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.max_inflight_messages_set(1000)
        client.connect("127.0.0.1", broker_port)
        client.loop_start()
        i = 0
        try:
            while not stop.is_set():
                payload = orjson.dumps({"c": i})
                client.publish(f"/json/iso/dev{i % 1000}/attrs", payload, qos=1)
                i += 1
                done["published"] = i
                if i % 1000 == 0:
                    time.sleep(0.01)
        finally:
            client.loop_stop()
            client.disconnect()

    threads = [threading.Thread(target=repeat, args=("charts", chart)) for _ in range(4)]
    threads += [
        threading.Thread(target=repeat, args=("regex", regex)),
        threading.Thread(target=repeat, args=("evaluations", evaluate)),
        threading.Thread(target=publish),
    ]
    return threads, done


def run_loads(base: str, broker_port: int, counts: Any) -> None:
    stop = threading.Event()
    threads, done = loads(base, broker_port, stop)
    for t in threads:
        t.start()
    time.sleep(SECONDS + 2.0)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    counts.put(done)


def line(label: str, lat: list[float]) -> None:
    print(
        f"  {label:<22} p50 {percentile(lat, 50) * 1e3:7.1f} ms   p99 "
        f"{percentile(lat, 99) * 1e3:7.1f} ms   max {max(lat) * 1e3:7.1f} ms   ({len(lat)} reads)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = PrivateMosquitto(Path(folder))
        try:
            for database in bench_database():
                with served(database, mqtt_url=broker.url) as port:
                    base = f"http://127.0.0.1:{port}"
                    seed(base)
                    quiet = probe(base, 5.0)
                    # The load runs in its own process, so the probe's timing is the server's.
                    ctx = multiprocessing.get_context("spawn")
                    counts = ctx.Queue()
                    worker = ctx.Process(target=run_loads, args=(base, broker.port, counts))
                    worker.start()
                    time.sleep(2.0)
                    loaded = probe(base, SECONDS)
                    worker.join(timeout=180)
                    store = database.split(":", 1)[0]
                    print(f"isolation ({store}): {counts.get(timeout=10)}")
                    line("probe alone", quiet)
                    line("probe under load", loaded)
                    p99, worst = percentile(loaded, 99), max(loaded)
                    report(
                        f"probe p99 under load ({store})", p99 * 1e3, "ms", "< 50", p99 < P99_TARGET
                    )
                    report(
                        f"probe max under load ({store})",
                        worst * 1e3,
                        "ms",
                        "< 200",
                        worst < MAX_TARGET,
                    )
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
