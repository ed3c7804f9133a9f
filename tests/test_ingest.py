"""Sensor ingestion over HTTP and MQTT (real Mosquitto, paho-mqtt as the device), both stores."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityhub.jsonld import smart_data_models
from tests.conftest import Server

pytestmark = pytest.mark.shared_broker

MQTT_URL = "mqtt://127.0.0.1:1883"
# AirQualityObserved is a Smart Data Models type: the platform writes it in the Environment terms.
ENVIRONMENT = smart_data_models.published_urls("Environment")[0]
LINK = f'<{ENVIRONMENT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


def provision(base: str, tenant: str, apikey: str, autoprovision: bool = True) -> None:
    headers = {"NGSILD-Tenant": tenant}
    group = {
        "apikey": apikey,
        "entity_type": "AirQualityObserved",
        "autoprovision": autoprovision,
        "attributes": [
            {"object_id": "p", "name": "pm25", "type": "Number"},
            {"object_id": "loc", "name": "location", "type": "geo:point"},
        ],
        "static_attributes": [{"name": "operator", "type": "Text", "value": "生态环境局"}],
    }
    r = httpx.post(f"{base}/iot/groups", json={"services": [group]}, headers=headers)
    assert r.status_code == 201, r.text
    device = {
        "device_id": "aq-001",
        "apikey": apikey,
        "entity_name": "urn:ngsi-ld:AirQualityObserved:aq-001",
        "attributes": [{"object_id": "h", "name": "relativeHumidity", "type": "Number"}],
    }
    r = httpx.post(f"{base}/iot/devices", json={"devices": [device]}, headers=headers)
    assert r.status_code == 201, r.text


def entity(base: str, tenant: str, entity_id: str, link: str | None = LINK) -> dict[str, Any]:
    """The entity as a client reads it: with the Environment domain's context by default,
    with the core context alone for `link=None`."""
    headers = {"NGSILD-Tenant": tenant} | ({"Link": link} if link else {})
    r = httpx.get(f"{base}/ngsi-ld/v1/entities/{entity_id}", headers=headers)
    return r.json() if r.status_code == 200 else {}


def test_http_json_and_ultralight_measures(server: Server, tenant: str) -> None:
    key = uuid.uuid4().hex
    provision(server.base, tenant, key)
    r = httpx.post(
        f"{server.base}/iot/json",
        params={"k": key, "i": "aq-001"},
        json={
            "p": "35.5",
            "h": 0.8,
            "loc": "22.54,114.05",
            "TimeInstant": "2026-11-24T08:00:00+08:00",
        },
    )
    assert r.status_code == 200, r.text
    e = entity(server.base, tenant, "urn:ngsi-ld:AirQualityObserved:aq-001")
    assert e["pm25"]["value"] == 35.5 and e["pm25"]["observedAt"] == "2026-11-24T00:00:00Z"
    assert e["relativeHumidity"]["value"] == 0.8
    assert e["location"]["value"]["coordinates"] == [114.05, 22.54]
    assert e["operator"]["value"] == "生态环境局"
    r = httpx.post(
        f"{server.base}/iot/d",
        params={"k": key, "i": "aq-001"},
        content=b"2026-11-24T01:00:00Z|p|40#2026-11-24T02:00:00Z|p|41",
    )
    assert r.status_code == 200 and r.json()["stored"] == 2
    hist = httpx.get(
        f"{server.base}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:aq-001",
        params={"attrs": "pm25"},
        headers={"NGSILD-Tenant": tenant, "Link": LINK},
    ).json()
    assert [i["value"] for i in hist["pm25"]] == [35.5, 40.0, 41.0]


def test_redelivered_measure_is_stored_once(server: Server, tenant: str) -> None:
    key = uuid.uuid4().hex
    provision(server.base, tenant, key)
    body = {"p": 10, "TimeInstant": "2026-11-24T00:00:00Z"}
    first = httpx.post(f"{server.base}/iot/json", params={"k": key, "i": "aq-001"}, json=body)
    again = httpx.post(f"{server.base}/iot/json", params={"k": key, "i": "aq-001"}, json=body)
    assert first.json() == {"stored": 1, "duplicates": 0}
    assert again.json() == {"stored": 0, "duplicates": 1}


def test_unknown_devices_and_bad_payloads(server: Server, tenant: str) -> None:
    key = uuid.uuid4().hex
    provision(server.base, tenant, key, autoprovision=False)
    r = httpx.post(f"{server.base}/iot/json", params={"k": key, "i": "stranger"}, json={"p": 1})
    assert r.status_code == 404
    r = httpx.post(f"{server.base}/iot/json", params={"k": "nokey", "i": "x"}, json={"p": 1})
    assert r.status_code == 404
    letters_url = f"{server.base}/iot/deadletters"
    before = httpx.get(letters_url, headers={"fiware-service": tenant}).json()["count"]
    r = httpx.post(f"{server.base}/iot/json", params={"k": key, "i": "aq-001"}, content=b"{oops")
    assert r.status_code == 400
    r = httpx.post(
        f"{server.base}/iot/json", params={"k": key, "i": "aq-001"}, json={"p": "not a number"}
    )
    assert r.status_code == 400
    letters = httpx.get(letters_url, headers={"fiware-service": tenant}).json()
    assert letters["count"] == before + 2
    assert entity(server.base, tenant, "urn:ngsi-ld:AirQualityObserved:aq-001") == {}


def test_autoprovisioned_device_and_provisioning_api(server: Server, tenant: str) -> None:
    key = uuid.uuid4().hex
    provision(server.base, tenant, key)
    r = httpx.post(f"{server.base}/iot/json", params={"k": key, "i": "new-7"}, json={"p": 3})
    assert r.status_code == 200
    assert entity(server.base, tenant, "urn:ngsi-ld:AirQualityObserved:new-7")["pm25"]["value"] == 3
    headers = {"NGSILD-Tenant": tenant}
    devices = httpx.get(f"{server.base}/iot/devices", headers=headers).json()
    assert {d["device_id"] for d in devices["devices"]} == {"aq-001", "new-7"}
    dup = httpx.post(
        f"{server.base}/iot/devices", headers=headers, json={"devices": [{"device_id": "aq-001"}]}
    )
    assert dup.status_code == 409
    assert httpx.delete(f"{server.base}/iot/devices/new-7", headers=headers).status_code == 204
    assert httpx.get(f"{server.base}/iot/devices/new-7", headers=headers).status_code == 404
    bad = httpx.post(f"{server.base}/iot/groups", headers=headers, json={"services": [{}]})
    assert bad.status_code == 400


def publisher() -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    return client


def wait_until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return check()


def test_mqtt_json_ultralight_and_dead_letters(mqtt_server: Server) -> None:
    tenant = "mqtt" + uuid.uuid4().hex[:6]
    key = uuid.uuid4().hex
    provision(mqtt_server.base, tenant, key)
    pub = publisher()
    try:
        letters_url = f"{mqtt_server.base}/iot/deadletters"
        mine = {"fiware-service": tenant}
        before = httpx.get(letters_url, headers=mine).json()["count"]
        pub.publish(f"/json/{key}/aq-001/attrs", b"{broken", qos=1).wait_for_publish()
        pub.publish(f"/json/{key}/aq-001/attrs", b'{"p": 12.5, "h": 0.6}', qos=1).wait_for_publish()
        pub.publish(f"/json/{key}/aq-001/attrs/p", b"13.5", qos=1).wait_for_publish()
        pub.publish(f"/ul/{key}/ul-9/attrs", b"p|14|h|0.7", qos=1).wait_for_publish()
        got = wait_until(
            lambda: entity(mqtt_server.base, tenant, "urn:ngsi-ld:AirQualityObserved:ul-9")
        )
        assert got["pm25"]["value"] == 14.0 and got["h"]["value"] == 0.7  # unmapped: as sent
        aq = wait_until(
            lambda: (
                (e := entity(mqtt_server.base, tenant, "urn:ngsi-ld:AirQualityObserved:aq-001"))
                and e["pm25"]["value"] == 13.5
                and e
            )
        )
        assert aq["relativeHumidity"]["value"] == 0.6
        after = wait_until(
            lambda: (
                httpx.get(letters_url, headers=mine).json()["count"] > before
                and httpx.get(letters_url, headers=mine).json()
            )
        )
        assert after["count"] == before + 1 and after["latest"][0]["payload"] == "{broken"
    finally:
        pub.loop_stop()
        pub.disconnect()
