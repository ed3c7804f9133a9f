"""C2: device keys are not readable without a department key bound to the tenant, nor by other
departments; M3: dead letters stay in their tenant; H1: one poison message is dead-lettered and
ingestion goes on, over MQTT (also after a restart) and over HTTP."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityhub.auth.keys import create_key
from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url
from tests.security.conftest import City
from tests.test_ingest import wait_until

pytestmark = pytest.mark.shared_broker

GROUP = {
    "entity_type": "Meter",
    "autoprovision": True,
    "attributes": [{"object_id": "c", "name": "count", "type": "Integer"}],
}


def _provision(client: httpx.Client, apikey: str, tenant: str) -> None:
    r = client.post(
        "/iot/groups",
        json={"services": [{**GROUP, "apikey": apikey}]},
        headers={"fiware-service": tenant},
    )
    assert r.status_code == 201, r.text


def test_device_keys_are_not_readable_by_anonymous_or_other_departments(city: City) -> None:
    secret = "rtA-device-secret-" + uuid.uuid4().hex
    with city.client("a_staff") as owner:
        _provision(owner, secret, "rtA")
        mine = owner.get("/iot/groups", headers={"fiware-service": "rtA"}).json()
        assert any(g["apikey"] == secret for g in mine["services"]), "the owner sees its key"
        r = owner.post(
            "/iot/devices",
            json={"devices": [{"device_id": "meter1", "apikey": secret}]},
            headers={"fiware-service": "rtA"},
        )
        assert r.status_code == 201, r.text
    for path in ("/iot/groups", "/iot/services", "/iot/devices", "/iot/devices/meter1"):
        anonymous = httpx.get(city.base + path, headers={"fiware-service": "rtA"})
        assert anonymous.status_code == 401, path
        assert secret not in anonymous.text
        other_tenant = httpx.get(
            city.base + path, headers={"fiware-service": "rtA", **city.headers("b_staff")}
        )
        assert other_tenant.status_code == 403 and secret not in other_tenant.text
    # Another department's admin-bound view: listed, but the key itself is hidden.
    with city.client("admin") as admin:
        _, other = create_key(city.hub.store, "environment", "staff", ("rtA",))
        shown = httpx.get(
            city.base + "/iot/groups", headers={"fiware-service": "rtA", "X-Api-Key": other}
        )
        assert shown.status_code == 200 and secret not in shown.text
        assert admin.get("/iot/groups", headers={"fiware-service": "rtA"}).status_code == 200
        # Nor may the other department take the apikey over by provisioning it again.
        steal = httpx.post(
            city.base + "/iot/groups",
            json={"services": [{**GROUP, "apikey": secret}]},
            headers={"fiware-service": "rtA", "X-Api-Key": other},
        )
        assert steal.status_code == 403


def test_dead_letters_stay_in_their_tenant(city: City) -> None:
    secret = "rtB-" + uuid.uuid4().hex
    with city.client("b_staff") as owner:
        _provision(owner, secret, "rtB")
    bad = httpx.post(
        f"{city.base}/iot/json", params={"k": secret, "i": "m1"}, json={"c": "private-XYZ"}
    )
    assert bad.status_code == 400
    assert httpx.get(city.base + "/iot/deadletters").status_code == 401
    with city.client("a_staff") as other:
        seen = other.get("/iot/deadletters", headers={"fiware-service": "rtA"})
        assert seen.status_code == 200 and "private-XYZ" not in seen.text
    with city.client("b_staff") as owner:
        seen = owner.get("/iot/deadletters", headers={"fiware-service": "rtB"})
        assert "private-XYZ" in seen.text


def test_poison_measures_over_http_are_clear_errors(city: City) -> None:
    secret = "poison-" + uuid.uuid4().hex
    with city.client("tr_staff") as staff:
        _provision(staff, secret, "")
        for poison in ({"c": "inf"}, {"c": "1e400"}, {"c": 1e308}, {"c": "NaN"}):
            r = httpx.post(f"{city.base}/iot/json", params={"k": secret, "i": "m"}, json=poison)
            assert r.status_code == 400, (poison, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = httpx.post(f"{city.base}/iot/d", params={"k": secret, "i": "m"}, content=b"c|inf")
        assert r.status_code == 400
        ok = httpx.post(f"{city.base}/iot/json", params={"k": secret, "i": "m"}, json={"c": 7})
        assert ok.status_code == 200
        static = {
            **GROUP,
            "apikey": "static-" + uuid.uuid4().hex,
            "static_attributes": [{"name": "size", "type": "Integer", "value": "1e400"}],
        }
        refused = staff.post("/iot/groups", json={"services": [static]})
        assert refused.status_code == 400 and "static attribute size" in refused.json()["detail"]


# -- H1 over MQTT, with a restart ---------------------------------------------------------------
def _publish(messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()


def _counts(base: str, tenant: str) -> list[Any]:
    r = httpx.get(
        f"{base}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Meter:mq1",
        params={"attrs": "count", "lastN": "20", "options": "temporalValues"},
        headers={"NGSILD-Tenant": tenant},
    )
    if r.status_code != 200:
        return []
    return sorted(v[0] for v in r.json().get("count", {}).get("values", []))


def _serve(url: str, client_id: str, group: str) -> Server:
    settings = Settings(
        database_url=url,
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_client_id=client_id,
        mqtt_group=group,
    )
    server = Server(Hub.open(settings))
    server.start()
    hub = server.hub
    wait_until(lambda: hub.bridge is not None and hub.bridge.connected.is_set(), 10)
    time.sleep(0.3)  # the subscriptions are acknowledged
    return server


def test_a_poison_message_between_two_good_ones_stops_nothing(backend: str, tmp_path: Path) -> None:
    tenant = "poison" + uuid.uuid4().hex[:6]
    apikey = "rtk-" + uuid.uuid4().hex[:8]
    client_id, group = f"sec-{uuid.uuid4().hex[:8]}", f"g{uuid.uuid4().hex[:8]}"
    topic = f"/json/{apikey}/mq1/attrs"
    for url in _store_url(backend, tmp_path):
        server = _serve(url, client_id, group)
        try:
            with httpx.Client(base_url=server.base) as api:
                _provision(api, apikey, tenant)
            _publish([(topic, b'{"c": 1}'), (topic, b'{"c": "inf"}'), (topic, b'{"c": 2}')])
            wait_until(lambda b=server.base: _counts(b, tenant) == [1, 2])
            assert _counts(server.base, tenant) == [1, 2]
            letters = httpx.get(
                server.base + "/iot/deadletters", headers={"fiware-service": tenant}
            ).json()
            assert letters["count"] == 1 and "inf" in letters["latest"][0]["payload"]
        finally:
            server.stop()
            server.hub.close()
        # The same session after a restart: the poison is not redelivered, ingestion goes on.
        server = _serve(url, client_id, group)
        try:
            _publish([(topic, b'{"c": 3}')])
            wait_until(lambda b=server.base: _counts(b, tenant) == [1, 2, 3])
            assert _counts(server.base, tenant) == [1, 2, 3]
            letters = httpx.get(
                server.base + "/iot/deadletters", headers={"fiware-service": tenant}
            ).json()
            assert letters["count"] == 1
        finally:
            server.stop()
            server.hub.close()
