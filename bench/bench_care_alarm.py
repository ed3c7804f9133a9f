"""Home alarm -> caregiver told, end to end over MQTT (target p99 < 2 s).

A private Mosquitto and `cityhub serve --mqtt` in its own process. 300 clients in the register,
each with a home alarm device provisioned through the IoT agent; 300 caregivers on duty spread
over the city. While a stream of ordinary meter readings (500 msg/s) keeps ingestion busy, 200
clients press their button, 10 a second. The clock runs from the device's publish to the moment
the chosen caregiver's app (subscribed to its topic) receives the order.
"""

from __future__ import annotations

import queue
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as mqtt
from _common import bench_database, percentile, report, served
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cityhub.auth.keys import create_key
from cityhub.store import open_store
from tests.e2e.mqtt_broker import PrivateMosquitto

CLIENTS = 300
CAREGIVERS = 300
ALARMS = 200
ALARM_RATE = 10.0  # per second
BACKGROUND_RATE = 500  # ordinary readings per second meanwhile
TARGET_S = 2.0
TOPIC = "bench-care"


def setup(base: str, key: str, rng: random.Random) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    groups = [
        {"apikey": "sos", "entity_type": "Device", "autoprovision": True,
         "attributes": [{"object_id": "a", "name": "alarm", "type": "Text"}]},
        {"apikey": "meters", "entity_type": "Meter", "autoprovision": True},
    ]  # fmt: skip
    httpx.post(f"{base}/iot/groups", json={"services": groups}, headers=auth).raise_for_status()
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        for i in range(CLIENTS):
            body = {"name": f"长者{i}", "address": f"福田区某路{i}号", "phone": "13800000000",
                    "lat": 22.50 + rng.random() * 0.1, "lon": 113.95 + rng.random() * 0.2,
                    "device": f"urn:ngsi-ld:Device:sos-{i}"}  # fmt: skip
            http.post("/care/v1/clients", json=body).raise_for_status()
        for i in range(CAREGIVERS):
            body = {
                "name": f"护理员{i}",
                "shift": "00:00-24:00",
                "skills": ["emergency"],
                "lat": 22.50 + rng.random() * 0.1,
                "lon": 113.95 + rng.random() * 0.2,
            }
            http.put(f"/care/v1/caregivers/c{i}", json=body).raise_for_status()


def background(port: int, stop: threading.Event) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    n = 0
    start = time.perf_counter()
    while not stop.is_set():
        pub.publish(f"/json/meters/m-{n % 500}/attrs", b'{"kwh": %d}' % n, qos=1)
        n += 1
        ahead = n / BACKGROUND_RATE - (time.perf_counter() - start)
        if ahead > 0:
            time.sleep(ahead)
    pub.loop_stop()
    pub.disconnect()


def measure(broker_port: int) -> list[float]:
    sent: dict[int, float] = {}
    heard: queue.Queue[tuple[int, float]] = queue.Queue()
    app = mqtt.Client(CallbackAPIVersion.VERSION2)  # every caregiver's app, one subscription
    app.on_message = lambda c, u, m: heard.put(
        (int(orjson.loads(m.payload)["client"]["name"][2:]), time.perf_counter())
    )
    subscribed = threading.Event()
    app.on_subscribe = lambda *a: subscribed.set()
    app.connect("127.0.0.1", broker_port)
    app.loop_start()
    app.subscribe(f"{TOPIC}/#", qos=1)
    subscribed.wait(10)
    device = mqtt.Client(CallbackAPIVersion.VERSION2)
    device.connect("127.0.0.1", broker_port)
    device.loop_start()
    latencies: list[float] = []
    try:
        for n, i in enumerate(random.Random(3).sample(range(CLIENTS), ALARMS)):
            time.sleep(max(0.0, n / ALARM_RATE - (time.perf_counter() - START[0])))
            sent[i] = time.perf_counter()
            device.publish(f"/json/sos/sos-{i}/attrs", b'{"a": "fall"}', qos=1)
        deadline = time.perf_counter() + 30
        while len(latencies) < ALARMS and time.perf_counter() < deadline:
            try:
                who, at = heard.get(timeout=1)
            except queue.Empty:
                continue
            latencies.append(at - sent[who])
    finally:
        device.loop_stop()
        app.loop_stop()
    return latencies


START = [0.0]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = PrivateMosquitto(Path(folder))
        try:
            for database in bench_database():
                store = open_store(database)
                store.migrate()
                key = create_key(store, "民政局", "staff")[1]
                store.close()
                topic = {"CITYHUB_CARE_TOPIC": TOPIC}
                with served(database, mqtt_url=broker.url, env=topic) as port:
                    setup(f"http://127.0.0.1:{port}", key, random.Random(7))
                    stop = threading.Event()
                    noise = threading.Thread(target=background, args=(broker.port, stop))
                    noise.start()
                    time.sleep(1.0)
                    START[0] = time.perf_counter()
                    try:
                        latencies = measure(broker.port)
                    finally:
                        stop.set()
                        noise.join()
                name = database.split(":", 1)[0]
                p99 = percentile(latencies, 99) if latencies else float("inf")
                report(
                    f"alarm -> caregiver told over MQTT, p99 ({name})",
                    p99 * 1e3, "ms", f"< {TARGET_S * 1e3:.0f} ms",
                    p99 < TARGET_S and len(latencies) == ALARMS,
                )  # fmt: skip
                print(
                    f"  {len(latencies)} of {ALARMS} alarms told; p50 "
                    f"{percentile(latencies, 50) * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms"
                    f", with {BACKGROUND_RATE} readings/s of other traffic"
                )
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
