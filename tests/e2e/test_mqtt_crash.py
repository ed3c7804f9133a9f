"""kill -9 the server while a device publishes 100,000 QoS 1 messages: after a restart every
message the broker acknowledged is stored exactly once."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityhub.store import open_store
from tests.conftest import _store_url, free_port
from tests.e2e.mqtt_broker import PrivateMosquitto
from tests.e2e.processes import start_cityhub

pytestmark = pytest.mark.e2e
MESSAGES = 100_000
DEVICES = 100


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    b = PrivateMosquitto(tmp_path)
    yield b
    b.stop()


def start_server(database: str, mqtt_url: str, port: int) -> subprocess.Popen[bytes]:
    return start_cityhub(database, port, mqtt_url, env={"CITYHUB_MQTT_CLIENT_ID": "crash-test"})


def stored_rows(database: str) -> tuple[int, int]:
    store = open_store(database)
    try:
        rows = store._run(  # type: ignore[attr-defined]
            "SELECT count(*), count(DISTINCT entity_id || '@' || observed_us) FROM attr_history "
            "WHERE attr = 'https://uri.etsi.org/ngsi-ld/default-context/seq'"
        )
        return int(rows[0][0]), int(rows[0][1])
    finally:
        store.close()


class Device:
    """A paho publisher counting the broker's acknowledgements."""

    def __init__(self, port: int, client_id: str) -> None:
        self.acked = 0
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_publish(self, *args: object) -> None:
        with self._lock:
            self.acked += 1

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def run_crash(database: str, broker: PrivateMosquitto) -> tuple[int, int, int]:
    open_store(database).close()
    port = free_port()
    server = start_server(database, broker.url, port)
    key = uuid.uuid4().hex
    group = {"apikey": key, "entity_type": "Counter", "autoprovision": True}
    r = httpx.post(f"http://127.0.0.1:{port}/iot/groups", json={"services": [group]})
    assert r.status_code == 201
    device = Device(broker.port, f"pub-{key[:8]}")
    base_us = 1_800_000_000_000_000
    try:
        for i in range(MESSAGES):
            ts = base_us + i
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1_000_000))
            payload = f'{{"seq": {i}, "TimeInstant": "{stamp}.{ts % 1_000_000:06d}Z"}}'
            while i - device.acked > 20_000:  # paho's message ids wrap at 65,535
                time.sleep(0.01)
            device.client.publish(f"/json/{key}/dev-{i % DEVICES}/attrs", payload.encode(), qos=1)
            if i == MESSAGES // 3:
                server.send_signal(signal.SIGKILL)  # mid-stream, with messages in flight
                server.wait()
            if i == MESSAGES // 2:
                server = start_server(database, broker.url, port)
        deadline = time.monotonic() + 120
        while device.acked < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.2)
        deadline = time.monotonic() + 180
        rows = stored_rows(database)
        while rows[1] < MESSAGES and time.monotonic() < deadline:
            time.sleep(1)
            rows = stored_rows(database)
        return device.acked, *rows
    finally:
        device.close()
        server.terminate()
        server.wait(timeout=30)


def test_kill_9_loses_and_duplicates_nothing(
    backend: str, tmp_path: Path, broker: PrivateMosquitto
) -> None:
    for database in _store_url(backend, tmp_path):
        acked, total, distinct = run_crash(database, broker)
        assert acked == MESSAGES, "the broker did not acknowledge every message"
        assert distinct == MESSAGES, f"{MESSAGES - distinct} acknowledged messages were lost"
        assert total == MESSAGES, f"{total - distinct} messages were stored twice"
