"""Two `cityhub serve` processes on one PostgreSQL are one broker: MQTT ingestion is split
between them, and each notification is delivered once, in order, whichever process changed it."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import PostgresSchema, free_port
from tests.e2e.mqtt_broker import PrivateMosquitto
from tests.e2e.processes import start_cityhub
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e


def serve(database: str, mqtt_url: str, port: int) -> subprocess.Popen[bytes]:
    return start_cityhub(
        database,
        port,
        mqtt_url,
        env={"CITYHUB_NOTIFY_HOSTS": "127.0.0.1"},
        ready=lambda health: bool(health.get("mqtt", {}).get("connected")),
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, str, PrivateMosquitto]]:
    broker = PrivateMosquitto(tmp_path)
    schema = PostgresSchema()
    ports = [free_port(), free_port()]
    procs = [serve(schema.url, broker.url, p) for p in ports]
    try:
        time.sleep(0.5)  # both shared subscriptions in place
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", broker
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        schema.drop()
        broker.stop()


def test_two_processes_split_ingestion_and_notify_once(
    cluster: tuple[str, str, PrivateMosquitto],
) -> None:
    a, b, broker = cluster
    key = uuid.uuid4().hex
    assert (
        httpx.post(
            f"{a}/iot/groups", json={"services": [{"apikey": key, "entity_type": "Counter"}]}
        ).status_code
        == 201
    )
    device = mqtt.Client(CallbackAPIVersion.VERSION2)
    device.connect("127.0.0.1", broker.port)
    device.loop_start()
    try:
        for i in range(2000):
            device.publish(
                f"/json/{key}/dev-{i % 20}/attrs",
                f'{{"n": {i}, "TimeInstant": "2026-01-01T00:00:00.{i:06d}Z"}}'.encode(),
                qos=1,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shares = [httpx.get(f"{u}/health").json()["mqtt"]["stored"] for u in (a, b)]
            if sum(shares) >= 2000:
                break
            time.sleep(0.2)
    finally:
        device.loop_stop()
        device.disconnect()
    assert sum(shares) == 2000 and min(shares) > 0, shares
    count = httpx.get(
        f"{a}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Counter:dev-0", params={"attrs": "n"}
    ).json()
    assert len(count["n"]) == 100

    receiver = Receiver()
    try:
        sub = {
            "type": "Subscription",
            "entities": [{"type": "Counter"}],
            "watchedAttributes": ["n"],
            "notification": {"endpoint": {"uri": receiver.url}},
        }
        assert httpx.post(f"{a}/ngsi-ld/v1/subscriptions", json=sub).status_code == 201
        time.sleep(1.2)  # the other process sees the new subscription within a second
        for i in range(40):
            via = a if i % 2 else b
            r = httpx.patch(
                f"{via}/ngsi-ld/v1/entities/urn:ngsi-ld:Counter:dev-0/attrs/n",
                json={"value": 10_000 + i},
            )
            assert r.status_code == 204
        notes = receiver.wait_for(40, timeout=20)
        time.sleep(1.0)
        values = [n["data"][0]["n"]["value"] for n in receiver.wait_for(41, timeout=0.1)]
        assert values == [10_000 + i for i in range(40)], "each once, in change order"
        assert len(notes) == 40
    finally:
        receiver.close()
