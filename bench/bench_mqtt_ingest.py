"""MQTT messages -> stored observations per second (target >= 20,000/s).

A private Mosquitto, `cityhub serve --mqtt` in its own process, and one paho device publishing
100,000 QoS 1 JSON messages for 1,000 devices. The clock runs from the first publish until the
bridge reports every message stored (history row + current entity state). The physical limit
is measured in the same run: the same publisher to a subscriber that only counts (target: cityhub
stores >= 0.8 of that rate).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from _common import bench_database, report, served
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.mqtt_broker import PrivateMosquitto

MESSAGES = 100_000
DEVICES = 1_000
TARGET = 20_000
RATIO_TARGET = 0.8


def stored(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
            return int(orjson.loads(r.read()).get("mqtt", {}).get("stored", 0))
    except OSError:
        return 0


def publish_all(broker_port: int, done: Callable[[], int]) -> tuple[float, int]:
    """Publish MESSAGES QoS 1 messages; seconds from the first publish until `done()` counts them
    all (or 600 s), and that count."""
    acked = [0]
    pub = mqtt.Client(CallbackAPIVersion.VERSION2)
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.on_publish = lambda *a, acked=acked: acked.__setitem__(0, acked[0] + 1)
    pub.connect("127.0.0.1", broker_port)
    pub.loop_start()
    start = time.perf_counter()
    for i in range(MESSAGES):
        while i - acked[0] > 20_000:
            time.sleep(0.005)
        payload = b'{"kwh": %d, "v": 220.5}' % i
        pub.publish(f"/json/bench/m-{i % DEVICES}/attrs", payload, qos=1)
    while done() < MESSAGES and time.perf_counter() - start < 600:
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    count = done()
    pub.loop_stop()
    pub.disconnect()
    return seconds, count


def bare_subscriber(broker_port: int) -> float:
    """The physical limit: the same messages to a subscriber that only counts them."""
    got = [0]
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_message = lambda *a, got=got: got.__setitem__(0, got[0] + 1)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.connect("127.0.0.1", broker_port)
    sub.loop_start()
    sub.subscribe("/json/bench/+/attrs", qos=1)
    subscribed.wait(10)
    try:
        seconds, count = publish_all(broker_port, lambda: got[0])
    finally:
        sub.loop_stop()
        sub.disconnect()
    return count / seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = PrivateMosquitto(Path(folder))
        try:
            limit = bare_subscriber(broker.port)
            for database in bench_database():
                with served(database, mqtt_url=broker.url) as port:
                    body = orjson.dumps({"services": [{"apikey": "bench", "entity_type": "Meter"}]})
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{port}/iot/groups",
                        body,
                        {"Content-Type": "application/json"},
                    )
                    urllib.request.urlopen(req).read()
                    seconds, done = publish_all(broker.port, lambda: stored(port))
                rate = done / seconds
                store = database.split(":", 1)[0]
                report(
                    f"MQTT messages stored/s ({store})",
                    rate,
                    "msg/s",
                    f">= {TARGET:,}",
                    rate >= TARGET,
                )
                print(
                    f"  {done:,} of {MESSAGES:,} messages stored in {seconds:.1f} s "
                    "(each: current state + one history row per attribute)"
                )
                print(f"  bare paho -> Mosquitto -> counting subscriber: {limit:,.0f} msg/s")
                report(
                    f"MQTT ingest as a share of the bare broker path ({store})",
                    rate / limit,
                    "x",
                    f">= {RATIO_TARGET}",
                    rate / limit >= RATIO_TARGET,
                )
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
