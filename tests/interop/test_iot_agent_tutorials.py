"""The FIWARE IoT agents' conventions as their tutorials use them: a service group and a device
provisioned without an apikey, UltraLight on the legacy and single-attribute topics, unitCode
metadata, and the provisioning API's PUT/DELETE (real Mosquitto, both stores)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import Server
from tests.test_ingest import entity, publisher, wait_until

pytestmark = pytest.mark.shared_broker

SENSOR = "urn:ngsi-ld:TemperatureSensor:001"


def _provision(base: str, service: str, apikey: str) -> None:
    headers = {"fiware-service": service, "fiware-servicepath": "/"}
    group = {"apikey": apikey, "entity_type": "Device", "resource": "/iot/d"}
    r = httpx.post(f"{base}/iot/services", json={"services": [group]}, headers=headers)
    assert r.status_code == 201, r.text
    device = {  # no apikey: the device takes its group's
        "device_id": "temperature001",
        "entity_name": SENSOR,
        "entity_type": "TemperatureSensor",
        "attributes": [
            {
                "object_id": "t",
                "name": "temperature",
                "type": "Number",
                "metadata": {"unitCode": {"type": "Text", "value": "CEL"}},
            }
        ],
        "static_attributes": [{"name": "category", "type": "Property", "value": "sensor"}],
    }
    r = httpx.post(f"{base}/iot/devices", json={"devices": [device]}, headers=headers)
    assert r.status_code == 201, r.text


def _temperature(base: str, service: str, expected: float) -> dict[str, object]:
    def check() -> dict[str, object]:
        found = entity(base, service, SENSOR, link=None)
        value = found.get("temperature", {}).get("value")  # type: ignore[attr-defined]
        return found if value == expected else {}

    found = wait_until(check)
    last = entity(base, service, SENSOR, link=None)
    assert found, f"temperature {expected} never arrived: {last}"
    return found


def test_tutorial_device_over_legacy_and_single_attribute_topics(mqtt_server: Server) -> None:
    base, service, apikey = mqtt_server.base, "openiot" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    _provision(base, service, apikey)
    letters = f"{base}/iot/deadletters"
    before = httpx.get(letters, headers={"fiware-service": service}).json()["count"]
    pub = publisher()
    try:
        pub.publish(f"/{apikey}/temperature001/attrs", b"t|3", qos=1).wait_for_publish()
        found = _temperature(base, service, 3)
        assert found["temperature"] == {"type": "Property", "value": 3, "unitCode": "CEL"} | {
            "observedAt": found["temperature"]["observedAt"]  # type: ignore[index]
        }
        assert found["category"]["value"] == "sensor"  # type: ignore[index]
        assert found["type"] == "TemperatureSensor"
        pub.publish(f"/ul/{apikey}/temperature001/attrs/t", b"4", qos=1).wait_for_publish()
        _temperature(base, service, 4)
        pub.publish(f"/{apikey}/temperature001/attrs", b'{"t": 5}', qos=1).wait_for_publish()
        _temperature(base, service, 5)
        pub.publish(f"/{apikey}/temperature001/attrs/t", b"6", qos=1).wait_for_publish()
        _temperature(base, service, 6)
    finally:
        pub.loop_stop()
        pub.disconnect()
    headers = {"fiware-service": service}
    device = httpx.get(f"{base}/iot/devices/temperature001", headers=headers).json()
    # Still the device as provisioned, not an autoprovisioned stub over it.
    assert device["entity_name"] == SENSOR and "autoprovisioned" not in device
    assert httpx.get(letters, headers=headers).json()["count"] == before


def test_a_device_under_another_apikey_is_never_replaced(server: Server) -> None:
    service, first, second = "svc" + uuid.uuid4().hex[:6], uuid.uuid4().hex, uuid.uuid4().hex
    headers = {"fiware-service": service}
    groups = [{"apikey": k, "entity_type": "Thing"} for k in (first, second)]
    r = httpx.post(f"{server.base}/iot/services", json={"services": groups}, headers=headers)
    assert r.status_code == 201
    device = {"device_id": "d1", "apikey": first, "entity_name": "urn:ngsi-ld:Thing:kept"}
    r = httpx.post(f"{server.base}/iot/devices", json={"devices": [device]}, headers=headers)
    assert r.status_code == 201
    refused = httpx.post(f"{server.base}/iot/json", params={"k": second, "i": "d1"}, json={"x": 1})
    assert refused.status_code == 404 and "another apikey" in refused.json()["detail"]
    held = httpx.get(f"{server.base}/iot/devices/d1", headers=headers).json()
    assert held["entity_name"] == "urn:ngsi-ld:Thing:kept"


def test_groups_and_devices_change_and_go_as_the_agents_api_does(server: Server) -> None:
    base, service, apikey = server.base, "svc" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    headers = {"fiware-service": service}
    _provision(base, service, apikey)
    put = httpx.put(
        f"{base}/iot/services",
        params={"apikey": apikey, "resource": "/iot/d"},
        json={"entity_type": "Thermometer"},
        headers=headers,
    )
    assert put.status_code == 204, put.text
    listed = httpx.get(f"{base}/iot/services", headers=headers).json()["services"]
    assert [g["entity_type"] for g in listed] == ["Thermometer"]
    moved = httpx.put(
        f"{base}/iot/services", params={"apikey": apikey}, json={"apikey": "x"}, headers=headers
    )
    assert moved.status_code == 400
    static = [{"name": "floor", "type": "Integer", "value": 3}]
    put = httpx.put(
        f"{base}/iot/devices/temperature001",
        json={"static_attributes": static},
        headers=headers,
    )
    assert put.status_code == 204, put.text
    device = httpx.get(f"{base}/iot/devices/temperature001", headers=headers).json()
    assert device["static_attributes"] == static and device["entity_name"] == SENSOR
    bad = httpx.put(
        f"{base}/iot/devices/temperature001", json={"entity_name": "not a uri"}, headers=headers
    )
    assert bad.status_code == 400
    sent = httpx.get(f"{base}/iot/d", params={"k": apikey, "i": "temperature001", "d": "t|7"})
    assert sent.status_code == 200 and sent.json()["stored"] == 1
    got = entity(base, service, SENSOR, link=None)
    assert got["temperature"]["value"] == 7 and got["temperature"]["unitCode"] == "CEL"
    assert got["floor"]["value"] == 3  # the static attribute given by the PUT
    gone = httpx.delete(f"{base}/iot/services", params={"apikey": apikey}, headers=headers)
    assert gone.status_code == 204
    assert httpx.get(f"{base}/iot/services", headers=headers).json()["count"] == 0
