"""Southbound commands as the FIWARE IoT agents carry them: a command written to a device's
entity reaches the device on its MQTT cmd topic (UltraLight or JSON), and its answer on cmdexe
sets the command's status and info (real Mosquitto, paho as the device, both stores)."""

from __future__ import annotations

import queue
import uuid
from typing import Any

import httpx
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import Server
from tests.test_ingest import entity, publisher, wait_until

pytestmark = pytest.mark.shared_broker

BELL = "urn:ngsi-ld:Bell:001"


def _provision(base: str, tenant: str, apikey: str, protocol: str) -> None:
    headers = {"fiware-service": tenant}
    group = {"apikey": apikey, "entity_type": "Bell", "protocol": protocol}
    r = httpx.post(f"{base}/iot/services", json={"services": [group]}, headers=headers)
    assert r.status_code == 201, r.text
    device = {
        "device_id": "bell001",
        "entity_name": BELL,
        "entity_type": "Bell",
        "protocol": protocol,
        "transport": "MQTT",
        "commands": [{"name": "ring", "type": "command"}],
    }
    r = httpx.post(f"{base}/iot/devices", json={"devices": [device]}, headers=headers)
    assert r.status_code == 201, r.text


def _device(apikey: str) -> tuple[Any, queue.Queue[bytes]]:
    import paho.mqtt.client as mqtt

    heard: queue.Queue[bytes] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, msg: heard.put(bytes(msg.payload))
    client.connect("127.0.0.1", 1883)
    client.subscribe(f"/{apikey}/bell001/cmd", qos=1)
    client.loop_start()
    return client, heard


def _ring(base: str, tenant: str, value: str) -> None:
    answer = httpx.patch(
        f"{base}/ngsi-ld/v1/entities/{BELL}/attrs/ring",
        json={"type": "Property", "value": value},
        headers={"NGSILD-Tenant": tenant},
    )
    assert answer.status_code == 204, answer.text


def _status(base: str, tenant: str, expected: str) -> dict[str, Any]:
    got = wait_until(
        lambda: (e := entity(base, tenant, BELL)) and e["ring_status"]["value"] == expected and e
    )
    assert got, entity(base, tenant, BELL)
    return dict(got)


@pytest.mark.parametrize(
    "protocol,sent,answer,info",
    [
        ("PDI-IoTA-UltraLight", b"bell001@ring|ON", b"bell001@ring|rang twice", "rang twice"),
        ("IoTA-JSON", b'{"ring":"ON"}', b'{"ring": "rang"}', "rang"),
    ],
)
def test_a_command_reaches_the_device_and_its_answer_comes_back(
    mqtt_server: Server, protocol: str, sent: bytes, answer: bytes, info: str
) -> None:
    base, tenant, apikey = mqtt_server.base, "cmd" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    _provision(base, tenant, apikey, protocol)
    made = entity(base, tenant, BELL)  # provisioning made the entity, so it can be commanded
    assert made["ring_status"]["value"] == "UNKNOWN"
    device, heard = _device(apikey)
    pub = publisher()
    try:
        _ring(base, tenant, "ON")
        assert heard.get(timeout=10) == sent
        _status(base, tenant, "PENDING")
        pub.publish(f"/{apikey}/bell001/cmdexe", answer, qos=1).wait_for_publish()
        done = _status(base, tenant, "OK")
        assert done["ring_info"]["value"] == info
    finally:
        for client in (device, pub):
            client.loop_stop()
            client.disconnect()


def test_a_command_with_no_broker_to_carry_it_is_an_error(server: Server) -> None:
    tenant, apikey = "cmd" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    _provision(server.base, tenant, apikey, "PDI-IoTA-UltraLight")
    _ring(server.base, tenant, "ON")
    failed = _status(server.base, tenant, "ERROR")
    assert "MQTT" in failed["ring_info"]["value"]


def test_commands_must_be_named(server: Server) -> None:
    bad = {"device_id": "x1", "commands": [{"type": "command"}]}
    r = httpx.post(f"{server.base}/iot/devices", json={"devices": [bad]})
    assert r.status_code == 400
