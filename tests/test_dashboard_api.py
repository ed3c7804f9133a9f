"""The dashboard's own calls (map layers, snapshot, live events, panels), its assets, and the demo
parts that keep it moving (MQTT devices, replayed messages). Both stores."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from cityhub.api import http
from cityhub.demo.city import load_demo_city
from cityhub.demo.mqtt_devices import measures, provision_demo_devices
from cityhub.demo.replay import file_one, read_replay_messages, replayer, resume_at
from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from cityhub.ingest.agent import Message
from cityhub.jsonld import smart_data_models
from cityhub.store.citizen_sql import RequestFilter
from tests.conftest import Server
from tests.event_stream import stream_events

FUTIAN = {"lat": "22.5431", "long": "114.0579"}


@pytest.fixture(scope="module")
def city(server: Server) -> Server:
    load_demo_city(server.hub.entities, server.hub.contexts.vocabulary, devices=25)
    return server


def test_districts_layer_has_every_boundary_with_both_names(city: Server) -> None:
    reply = httpx.get(city.base + "/dashboard/v1/districts")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/geo+json")
    features = reply.json()["features"]
    assert len(features) == 10
    names = {f["properties"]["name"]: f["properties"]["name_en"] for f in features}
    assert names["福田区"] == "Futian District" and names["大鹏新区"] == "Dapeng District"
    again = httpx.get(
        city.base + "/dashboard/v1/districts", headers={"If-None-Match": reply.headers["etag"]}
    )
    assert again.status_code == 304


def test_snapshot_places_each_entity_in_its_district(city: Server) -> None:
    body = httpx.get(city.base + "/dashboard/v1/entities", timeout=20).json()
    devices = [i for i in body["items"] if i["id"].startswith("urn:ngsi-ld:AirQualityObserved")]
    assert devices and not body["truncated"]
    assert all(i["district"] and i["lon"] and "pm25" in i["values"] for i in devices)
    assert all(i["type"] != "District" for i in body["items"])
    only = httpx.get(city.base + "/dashboard/v1/entities", params={"type": "ParkingSpot"}).json()
    assert {i["type"] for i in only["items"]} == {"ParkingSpot"}
    bad = httpx.get(city.base + "/dashboard/v1/entities", params={"type": "a b<"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_config_names_city_types_and_bounds(city: Server) -> None:
    body = httpx.get(city.base + "/dashboard/v1/config").json()
    assert body["city"] and body["timezone"] == "Asia/Shanghai"
    (south, west), (north, east) = body["bounds"]
    assert 22 < south < north < 23 and 113 < west < east < 115
    assert {"AirQualityObserved", "District"} <= {t["type"] for t in body["types"]}


def test_a_change_through_ngsi_ld_arrives_on_the_event_stream(city: Server) -> None:
    target = "urn:ngsi-ld:AirQualityObserved:Shenzhen:00001"
    received: list[dict[str, object]] = []
    ready = threading.Event()

    def listen() -> None:
        for event, items in stream_events(city.base + "/dashboard/v1/events", timeout=10):
            if event == "hello":
                ready.set()
                continue
            received.extend(i for i in items if i["id"] == target)
            if received:
                return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(5)
    time.sleep(0.2)
    started = time.monotonic()
    reply = httpx.patch(
        city.base + f"/ngsi-ld/v1/entities/{target}/attrs",
        json={"pm25": {"type": "Property", "value": 77.7}},
        headers={"Link": http.context_link(smart_data_models.published_urls("Environment")[0])},
    )
    assert reply.status_code == 204, reply.text
    thread.join(5)
    assert received, "no change event within 5 s"
    assert received[0]["values"] == {"pm25": 77.7}
    assert received[0]["district"] and time.monotonic() - started < 5


def test_citizen_panel_lists_a_new_request_and_needs_a_key_once_keys_exist(
    city: Server,
) -> None:
    text = f"井盖缺失，行人容易踩空 {uuid.uuid4().hex[:6]}"
    reply = httpx.post(
        city.base + "/open311/v2/requests.json",
        data={"service_code": "road", "description": text, **FUTIAN},
    )
    assert reply.status_code == 201, reply.text
    body = httpx.get(city.base + "/dashboard/v1/citizen", timeout=30).json()
    mine = [r for r in body["queue"] if r["description"] == text]
    assert mine and mine[0]["district"] == "福田区" and mine[0]["deadline_state"] == "ok"
    assert body["counts"]["open"] >= 1 and body["counts"]["received_today"] >= 1
    assert isinstance(body["hot"], list)
    bad = httpx.get(city.base + "/dashboard/v1/citizen", params={"days": "0"})
    assert bad.status_code == 400


def test_hotline_messages_go_by_keyword_to_urban_management_or_wait_for_dispatch(
    city: Server,
) -> None:
    assert city.hub.classifiers.current() is None  # no model: only keywords route here
    before = httpx.get(city.base + "/dashboard/v1/citizen", timeout=30).json()["counts"]
    lamp = f"小区门口的路灯坏了，晚上一片漆黑 {uuid.uuid4().hex[:6]}"
    vague = f"想咨询一下办事的流程 {uuid.uuid4().hex[:6]}"
    for text in (lamp, vague):
        reply = httpx.post(
            city.base + "/open311/v2/requests.json",
            data={"service_code": "hotline", "description": text, **FUTIAN},
        )
        assert reply.status_code == 201, reply.text
    body = httpx.get(city.base + "/dashboard/v1/citizen", timeout=30).json()
    queued = {r["description"]: r for r in body["queue"]}
    assert queued[lamp]["department"] == "urban-management"
    assert queued[lamp]["department_name"]["zh"] == "城市管理和综合执法局"
    assert queued[vague]["department"] is None
    assert body["counts"]["awaiting_dispatch"] == before["awaiting_dispatch"] + 1
    # what is overdue is listed once, under overdue, not again in the queue
    assert not {r["id"] for r in body["queue"]} & {r["id"] for r in body["overdue"]}
    assert all(r["deadline_state"] != "overdue" for r in body["queue"])


def test_goals_panel_assesses_library_targets_and_explains_missing_forecasts(
    city: Server,
) -> None:
    goals = httpx.get(city.base + "/dashboard/v1/goals", timeout=30).json()
    assert goals and all(g["name"]["zh"] and g["name"]["en"] and g["statusText"] for g in goals)
    first = goals[0]
    chart = httpx.get(
        city.base + f"/dashboard/v1/goals/{first['indicator']}", params={"place": first["place"]}
    ).json()
    assert chart["indicator"]["id"] == first["indicator"]
    assert chart["targets"] and chart["targets"][0]["period"] == first["period"]
    if not chart["values"]:  # nothing computed in this store yet: a note, not an error
        assert chart["forecast"] is None and chart["forecastNote"]
    missing = httpx.get(city.base + "/dashboard/v1/goals/no_such_indicator")
    assert missing.status_code == 404


def test_page_and_bundled_assets_are_served_without_outside_links(city: Server) -> None:
    page = httpx.get(city.base + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/js/main.js" in page.text
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/app.css", "/static/js/map.js"):
        assert httpx.get(city.base + asset).status_code == 200, asset
    static = Path(__file__).resolve().parents[1] / "cityhub" / "dashboard" / "static"
    svg_namespace = "http://www.w3.org/2000/svg"  # a name for SVG elements, never fetched
    for path in [*static.glob("*.*"), *static.glob("js/*.js")]:
        text = path.read_text(encoding="utf-8").replace(svg_namespace, "")
        assert "http://" not in text and "https://" not in text, path
    assert httpx.get(city.base + "/static/nothing.js").status_code == 404
    index = httpx.get(city.base + "/api").text
    # every API family the server serves is linked from the index
    from cityhub.api.rules_table import app_routes

    families = {"/".join(r.path.split("/")[:3]) for r in app_routes() if r.path.count("/") >= 2}
    families -= {"/api/action", "/dataset/{key}.ttl", "/dataset/{key}.jsonld"}  # aliases, items
    missing = sorted(f for f in families if f not in index)
    assert not missing, missing


def test_demo_devices_provisioned_for_mqtt_update_their_entities(hub: Hub) -> None:
    import random

    load_demo_city(hub.entities, hub.contexts.vocabulary, devices=10)
    devices = provision_demo_devices(hub)
    assert len(devices) == 10
    kind, apikey, device_id = next(d for d in devices if d[0] == "AirQualityObserved")
    reading = measures(kind, random.Random(3))
    payload = json.dumps(reading).encode()
    outcome = hub.agent.ingest([Message(apikey, device_id, payload, "json", None, "t")])
    assert outcome.stored == 1 and not outcome.dead
    entity = hub.store.get_entity("", f"urn:ngsi-ld:{kind}:Shenzhen:{device_id[-5:]}")
    assert entity is not None
    pm25 = hub.contexts.vocabulary.terms(kind).expand("pm25")
    assert pm25.startswith("https://smartdatamodels.org/dataModel.Environment/")
    assert entity.attrs[pm25][0]["value"] == reading["pm25"]


def test_replayed_messages_become_located_requests(hub: Hub, shared_data: Path) -> None:
    import random

    messages = read_replay_messages(shared_data / "citizen" / "messages_with_support_counts.csv")
    assert len(messages) > 1000 and all(m[0] or m[1] for m in messages)
    request_id = file_one(hub, messages[0], random.Random(1))
    row = hub.store.requests.get_request(request_id)
    assert row is not None and row.district and row.service_code == "hotline"
    assert row.doc["title"] == messages[0][0]


def test_a_restarted_replay_goes_on_after_the_last_message_it_filed(hub: Hub) -> None:
    import asyncio

    messages = [(f"路灯不亮 {n}", f"深南大道第 {n} 号路灯不亮", "") for n in range(6)]

    def filed() -> list[str]:
        rows = hub.store.requests.list_requests(RequestFilter(), 100)
        return [r.doc["title"] for r in rows if r.service_code == "hotline"]

    async def replay_until(enough: int) -> None:
        """Run the replay until `enough` requests are filed, then stop it (as a demo stops)."""
        task = asyncio.ensure_future(replayer(messages, interval=0.01)(hub))
        for _ in range(3000):
            if len(filed()) >= enough or task.done():
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert resume_at(hub, messages) == 0
    asyncio.run(replay_until(2))  # a first run, stopped part-way
    assert 2 <= len(filed()) < len(messages)
    asyncio.run(replay_until(len(messages)))  # the demo started again: the rest, none twice
    after = filed()
    assert sorted(after) == sorted(m[0] for m in messages) and len(after) == len(set(after))


def test_a_replay_file_without_text_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,内容\n1,路灯不亮\n", encoding="utf-8")
    with pytest.raises(BadRequestData, match="title"):
        read_replay_messages(bad)


def test_a_request_case_card_names_status_departments_and_events_in_words(city: Server) -> None:
    text = f"路灯坏了，晚上很黑 {uuid.uuid4().hex[:6]}"
    reply = httpx.post(
        city.base + "/open311/v2/requests.json",
        data={"service_code": "streetlight", "description": text, **FUTIAN},
    )
    assert reply.status_code == 201, reply.text
    request_id = reply.json()[0]["service_request_id"]
    card = httpx.get(city.base + f"/dashboard/v1/requests/{request_id}").json()
    assert card["description"] == text and card["district"] == "福田区"
    assert card["status"] == "dispatched" and card["status_text"]["zh"] == "已派单"
    assert card["department_name"]["zh"] == "城市管理和综合执法局"
    received, dispatched = card["events"]
    assert received["action_text"]["zh"] == "受理" and received["actor"]["zh"] == "市民"
    assert dispatched["action_text"]["en"] == "dispatched"
    assert dispatched["actor"] == {"zh": "自动分拨", "en": "automatic routing"}
    assert dispatched["note"]["zh"] == "按诉求类型的责任部门"  # the router's reason, in words
    assert card["requested"].endswith("Z") and card["deadline"] > card["requested"]
    missing = httpx.get(city.base + "/dashboard/v1/requests/999999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(city.base + "/dashboard/v1/requests/x1").status_code == 404
