"""Home care on both stores, over HTTP: the register read raw by the serving department only,
masked for another department, refused to citizens, every read in the hash-chained audit; the
orders' workflow; the day's visits planned over the caregivers (every plan checked on its own);
and an alarm from a home device over MQTT becoming one urgent order whose nearest free
caregiver is told on their topic within seconds."""

from __future__ import annotations

import datetime as dt
import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityhub.auth.keys import create_key
from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url, wait_for_bridge

pytestmark = pytest.mark.shared_broker

BASE = "/care/v1"
TZ = ZoneInfo("Asia/Shanghai")
HOME = {"lat": 22.5431, "lon": 114.0579}  # 福田, near the civic centre
BARTHEL = {"feeding": 5, "bathing": 0, "grooming": 5, "dressing": 5, "bowels": 10,
           "bladder": 10, "toilet": 5, "transfers": 10, "mobility": 10, "stairs": 0}  # fmt: skip


@dataclass
class Desk:
    server: Server
    keys: dict[str, str]
    topic: str

    def call(self, method: str, path: str, who: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who in self.keys else {}
        return httpx.request(method, self.server.base + path, headers=headers, timeout=60, **kw)


@pytest.fixture(scope="module")
def desk(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    folder: Path = tmp_path_factory.mktemp(f"homecare-{backend}")
    for url in _store_url(backend, folder):
        topic = "test-care-" + uuid.uuid4().hex[:8]
        hub = Hub.open(
            Settings(
                database_url=url,
                mqtt_url="mqtt://127.0.0.1:1883",
                mqtt_client_id=f"test-{uuid.uuid4().hex[:8]}",
                mqtt_group=f"g{uuid.uuid4().hex[:8]}",
                care_topic=topic,
            )
        )
        hub.store.migrate()
        keys = {
            "civil": create_key(hub.store, "民政局", "staff")[1],
            "steward": create_key(hub.store, "民政局", "steward")[1],
            "health": create_key(hub.store, "卫健委", "staff")[1],
            "citizen": create_key(hub.store, "citizens", "public")[1],
        }
        srv = Server(hub)
        srv.start()
        try:
            wait_for_bridge(hub)
            yield Desk(srv, keys, topic)
        finally:
            srv.stop()
            hub.close()


def client_body(**extra: Any) -> dict[str, Any]:
    return {
        "name": "张秀英", "idNumber": "44030519400101002X", "phone": "13812345678",
        "address": "深南大道1001号3栋502", "contactName": "李明", "contactPhone": "13987654321",
        "birthYear": 1940, "livesAlone": True, "services": ["meal", "visit"],
        "district": "福田区", "barthel": BARTHEL, **HOME, **extra,
    }  # fmt: skip


def caregiver(desk: Desk, ident: str, lat: float, lon: float, **extra: Any) -> None:
    body = {"name": f"护理员{ident}", "phone": "13700001111", "shift": "00:00-24:00",
            "lat": lat, "lon": lon, "skills": ["emergency", "nursing"], **extra}  # fmt: skip
    r = desk.call("PUT", f"{BASE}/caregivers/{ident}", "civil", json=body)
    assert r.status_code == 200, r.text


def test_the_register_is_read_raw_by_its_department_masked_elsewhere_and_audited(
    desk: Desk,
) -> None:
    r = desk.call("POST", f"{BASE}/clients", "civil", json=client_body())
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["careLevel"] == "moderate" and made["barthel"]["score"] == 60
    ident = made["id"]
    own = desk.call("GET", f"{BASE}/clients/{ident}", "civil").json()
    assert own["name"] == "张秀英" and own["phone"] == "13812345678" and not own["masked"]
    # another department may not read the entry; a citizen's key and no key are refused too
    assert desk.call("GET", f"{BASE}/clients/{ident}", "health").status_code == 403
    assert desk.call("GET", f"{BASE}/clients/{ident}", "citizen").status_code == 403
    assert desk.call("GET", f"{BASE}/clients/{ident}", "nobody").status_code == 401
    assert desk.call("GET", f"{BASE}/clients", "health").json() == []  # its own: none
    # an order seen by another department shows the client masked
    start = dt.datetime.now(TZ) + dt.timedelta(hours=1)
    order = {"client": ident, "kind": "meal", "start": start.isoformat(),
             "end": (start + dt.timedelta(hours=1)).isoformat()}  # fmt: skip
    assert desk.call("POST", f"{BASE}/orders", "civil", json=order).status_code == 201
    assert desk.call("POST", f"{BASE}/orders", "health", json=order).status_code == 403
    seen = desk.call(
        "GET", f"{BASE}/orders", "health", params={"department": "民政局", "day": "all"}
    ).json()
    masked = next(o["client"] for o in seen if o["client"]["id"] == ident)
    assert masked["masked"] and masked["name"] == "张**" and masked["phone"] == "138****5678"
    assert masked["idNumber"] == "440305********002X" and "深南大道" in masked["address"]
    assert "1001号" not in masked["address"] and masked["lat"] == 22.54
    assert masked["device"] is None and "birthYear" not in masked
    # the steward reads the register's audit: every read above, raw and masked, chained
    audit = desk.call(
        "GET", "/catalog/v1/audit", "steward", params={"dataset": "care-register:民政局"}
    ).json()
    reads = [a for a in audit if a["action"] == "read" and ident in a["detail"]["clients"]]
    assert {a["detail"]["masked"] for a in reads} == {True, False}
    assert desk.call("GET", "/catalog/v1/audit/verify", "steward").json()["ok"] is True
    # bad input is named and stores nothing
    bad = desk.call("POST", f"{BASE}/clients", "civil", json=client_body(lat=200))
    assert bad.status_code == 400 and "lat" in bad.json()["detail"]
    bad = desk.call("POST", f"{BASE}/clients", "civil", json=client_body(barthel={"feeding": 7}))
    assert bad.status_code == 400 and "feeding" in bad.json()["detail"]


def test_an_order_follows_its_workflow_and_refuses_a_step_it_cannot_take(desk: Desk) -> None:
    ident = desk.call("POST", f"{BASE}/clients", "civil", json=client_body()).json()["id"]
    caregiver(desk, "w-flow", 22.65, 114.058)  # far from the alarm test's client
    start = dt.datetime.now(TZ) + dt.timedelta(minutes=30)
    body = {"client": ident, "kind": "nursing", "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=2)).isoformat()}  # fmt: skip
    order = desk.call("POST", f"{BASE}/orders", "civil", json=body).json()
    assert order["status"] == "open" and order["skills"] == ["nursing"] and order["minutes"] == 45
    path = f"{BASE}/orders/{order['id']}/status"
    assert desk.call("POST", path, "civil", json={"status": "done"}).status_code == 409
    for step in ("assigned", "accepted", "arrived", "done"):
        r = desk.call("POST", path, "civil", json={"status": step, "caregiver": "w-flow"})
        assert r.status_code == 200, r.text
    finished = r.json()
    assert finished["status"] == "done" and finished["arrivedSeconds"] >= 0
    assert desk.call("POST", path, "civil", json={"status": "cancelled"}).status_code == 409
    assert desk.call("POST", path, "health", json={"status": "cancelled"}).status_code == 403
    late = {**body, "end": (dt.datetime.now(TZ) - dt.timedelta(hours=1)).isoformat(),
            "start": (dt.datetime.now(TZ) - dt.timedelta(hours=2)).isoformat()}  # fmt: skip
    r = desk.call("POST", f"{BASE}/orders", "civil", json=late)
    assert r.status_code == 400 and "passed" in r.json()["detail"]


def test_the_days_visits_are_planned_within_windows_shifts_and_skills(desk: Desk) -> None:
    tomorrow = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    dept_key = create_key(desk.server.hub.store, "龙岗区民政局", "staff")[1]
    desk.keys["longgang"] = dept_key
    carers = {"lg-a": (22.72, 114.25, ["nursing"]), "lg-b": (22.70, 114.23, [])}
    for ident, (lat, lon, skills) in carers.items():
        body = {"name": ident, "shift": "08:00-17:00", "lat": lat, "lon": lon, "skills": skills}
        assert desk.call("PUT", f"{BASE}/caregivers/{ident}", "longgang", json=body).is_success
    windows = {}
    for i in range(8):
        home = {"lat": 22.70 + 0.004 * i, "lon": 114.22 + 0.005 * i}
        cid = desk.call("POST", f"{BASE}/clients", "longgang", json=client_body(**home)).json()
        begin = dt.datetime.combine(tomorrow, dt.time(9 + i % 4), TZ)
        body = {
            "client": cid["id"],
            "kind": "nursing" if i % 3 == 0 else "visit",
            "start": begin.isoformat(),
            "end": (begin + dt.timedelta(hours=2)).isoformat(),
        }
        made = desk.call("POST", f"{BASE}/orders", "longgang", json=body).json()  # fmt: skip
        windows[made["id"]] = (begin, made)
    r = desk.call("POST", f"{BASE}/plans", "longgang", json={"day": tomorrow.isoformat(),
                                                             "timeLimit": 2})  # fmt: skip
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["visits"] == 8 and plan["unassigned"] == []
    assert sorted(o for route in plan["routes"] for o in route["orders"]) == sorted(windows)
    orders = desk.call("GET", f"{BASE}/orders", "longgang", params={"day": tomorrow.isoformat()})
    for o in orders.json():
        begin, made = windows[o["id"]]
        planned = dt.datetime.fromisoformat(o["planned"])
        assert o["status"] == "assigned" and o["caregiver"] in carers
        assert begin <= planned <= begin + dt.timedelta(hours=2, minutes=-made["minutes"])
        if "nursing" in o["skills"]:
            assert o["caregiver"] == "lg-a"  # the only one who nurses
    sheet = desk.call("GET", f"{BASE}/orders", "longgang", params={
        "day": tomorrow.isoformat(), "caregiver": "lg-a", "format": "csv"})  # fmt: skip
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("planned,order") and len(lines) > 1
    assert [line.split(",")[0] for line in lines[1:]] == sorted(x.split(",")[0] for x in lines[1:])


def test_an_alarm_over_mqtt_makes_one_urgent_order_and_tells_the_nearest_free_caregiver(
    desk: Desk,
) -> None:
    apikey = uuid.uuid4().hex
    group = {"apikey": apikey, "entity_type": "Device", "autoprovision": False,
             "attributes": [{"object_id": "a", "name": "alarm", "type": "Text"}]}  # fmt: skip
    r = desk.call("POST", "/iot/groups", "civil", json={"services": [group]})
    assert r.status_code == 201, r.text
    device = {"device_id": "sos-1", "entity_name": "urn:ngsi-ld:Device:sos-1",
              "entity_type": "Device", "apikey": apikey, "protocol": "IoTA-JSON"}  # fmt: skip
    r = desk.call("POST", "/iot/devices", "civil", json={"devices": [device]})
    assert r.status_code == 201, r.text
    made = desk.call("POST", f"{BASE}/clients", "civil",
                     json=client_body(device="urn:ngsi-ld:Device:sos-1"))  # fmt: skip
    client_id = made.json()["id"]
    far = (HOME["lat"] + 0.05, HOME["lon"])
    caregiver(desk, "near-off", HOME["lat"] + 0.001, HOME["lon"], onDuty=False)
    caregiver(desk, "near-1", HOME["lat"] + 0.003, HOME["lon"])
    caregiver(desk, "far-1", *far)
    heard: queue.Queue[tuple[str, dict[str, Any], float]] = queue.Queue()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = lambda c, u, m: heard.put(
        (m.topic, orjson.loads(m.payload), time.monotonic())
    )
    listener.connect("127.0.0.1", 1883)
    listener.subscribe(f"{desk.topic}/#", qos=1)
    listener.loop_start()
    try:
        time.sleep(0.3)
        sent = time.monotonic()
        for _ in range(3):  # the button pressed three times: one order
            info = listener.publish(f"/json/{apikey}/sos-1/attrs", b'{"a": "fall"}', qos=1)
            info.wait_for_publish()
        where, told, at = heard.get(timeout=10)
        assert at - sent < 2.0
        assert where == f"{desk.topic}/民政局/caregivers/near-1/orders"
        assert told["alarm"] == "fall" and told["client"]["name"] == "张秀英"
        assert told["client"]["address"] == "深南大道1001号3栋502" and told["distanceM"] < 400
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            urgent = [
                o for o in desk.call(
                    "GET", f"{BASE}/orders", "civil", params={"day": "all"}).json()
                if o["client"]["id"] == client_id and o["priority"] == "urgent"
            ]  # fmt: skip
            if urgent and urgent[0]["alarms"] == 3 and urgent[0]["notified"]:
                break
            time.sleep(0.1)
        assert len(urgent) == 1 and urgent[0]["alarms"] == 3
        assert urgent[0]["caregiver"] == "near-1" and urgent[0]["notified"] is not None
        assert heard.empty()  # repeats were counted, not sent again
        # an all-clear raises nothing; near-1 is now busy, so a second client's alarm goes far
        listener.publish(f"/json/{apikey}/sos-1/attrs", b'{"a": "ok"}', qos=1).wait_for_publish()
        device2 = {**device, "device_id": "sos-2", "entity_name": "urn:ngsi-ld:Device:sos-2"}
        assert desk.call("POST", "/iot/devices", "civil", json={"devices": [device2]}).is_success
        desk.call("POST", f"{BASE}/clients", "civil",
                  json=client_body(device="urn:ngsi-ld:Device:sos-2"))  # fmt: skip
        listener.publish(f"/json/{apikey}/sos-2/attrs", b'{"a": "help"}', qos=1)
        where, told, _ = heard.get(timeout=10)
        assert where.endswith("/caregivers/far-1/orders") and told["alarm"] == "help"
    finally:
        listener.loop_stop()
        listener.disconnect()
