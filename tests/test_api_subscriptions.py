"""Subscriptions and notifications against real receivers on loopback, on both stores."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityhub.broker.normalize import parse_entity
from cityhub.hub import Hub
from tests.conftest import Server
from tests.receiver import Receiver, Silent

E = "urn:ngsi-ld:AirQualityObserved:futian-1"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def subscription(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
        **extra,
    }


def seed(client: httpx.Client) -> None:
    r = client.post(
        "/entities",
        json={
            "id": E,
            "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": 10},
            "name": {"type": "Property", "value": "福田站"},
        },
    )
    assert r.status_code == 201


def wait_status(client: httpx.Client, sub_id: str, done: Any) -> dict[str, Any]:
    """Delivery status is written just after the receiver answers: poll briefly for it."""
    deadline = time.monotonic() + 3
    while True:
        status: dict[str, Any] = client.get(f"/subscriptions/{sub_id}").json()["notification"]
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def set_pm25(client: httpx.Client, value: float, entity: str = E) -> None:
    r = client.patch(f"/entities/{entity}/attrs/pm25", json={"value": value})
    assert r.status_code == 204, r.text


def test_create_retrieve_and_notify_on_watched_change(
    client: httpx.Client, receiver: Receiver, tenant: str
) -> None:
    seed(client)
    body = subscription(
        receiver.url,
        watchedAttributes=["pm25"],
        notification={
            "endpoint": {
                "uri": receiver.url,
                "accept": "application/json",
                "receiverInfo": [{"key": "X-City", "value": "shenzhen"}],
            },
            "format": "keyValues",
            "attributes": ["pm25"],
        },
    )
    r = client.post("/subscriptions", json=body)
    assert r.status_code == 201, r.text
    sub_id = r.headers["location"].rsplit("/", 1)[-1]
    got = client.get(f"/subscriptions/{sub_id}").json()
    assert got["status"] == "active" and "timesSent" not in got["notification"]  # none tried
    client.patch(f"/entities/{E}/attrs/name", json={"value": "不相关"})  # not watched
    set_pm25(client, 66)
    notes = receiver.wait_for(1)
    assert len(notes) == 1
    note = notes[0]
    assert note["type"] == "Notification" and note["subscriptionId"] == sub_id
    assert note["data"] == [{"id": E, "type": "AirQualityObserved", "pm25": 66}]
    headers = receiver.received[0][1]
    assert headers["x-city"] == "shenzhen" and headers["ngsild-tenant"] == tenant
    assert "json-ld#context" in headers["link"]
    time.sleep(0.3)
    assert len(receiver.received) == 1
    status = wait_status(client, sub_id, lambda n: n.get("timesSent") == 1)
    assert status["timesSent"] == 1 and status["status"] == "ok" and "lastSuccess" in status


def test_q_filter_and_change_order(client: httpx.Client, receiver: Receiver) -> None:
    seed(client)
    assert (
        client.post("/subscriptions", json=subscription(receiver.url, q="pm25>50")).status_code
        == 201
    )
    values = [20, 51, 70, 30, 90, 91, 92, 93]
    for v in values:
        set_pm25(client, v)
    expected = [v for v in values if v > 50]
    notes = receiver.wait_for(len(expected))
    assert [n["data"][0]["pm25"]["value"] for n in notes] == expected


def test_dead_endpoint_delays_no_other(client: httpx.Client, receiver: Receiver) -> None:
    silent = Silent()
    try:
        seed(client)
        client.post("/subscriptions", json=subscription(silent.url))
        client.post("/subscriptions", json=subscription(receiver.url))
        start = time.monotonic()
        set_pm25(client, 33)
        notes = receiver.wait_for(1, timeout=4)
        assert notes and time.monotonic() - start < 2.0
    finally:
        silent.close()


def test_failed_delivery_is_retried(client: httpx.Client) -> None:
    flaky = Receiver(fail_first=1)
    try:
        seed(client)
        r = client.post("/subscriptions", json=subscription(flaky.url))
        sub_id = r.headers["location"].rsplit("/", 1)[-1]
        set_pm25(client, 44)
        notes = flaky.wait_for(1, timeout=8)
        assert [n["data"][0]["pm25"]["value"] for n in notes] == [44]
        status = wait_status(client, sub_id, lambda n: n.get("timesSent") == 2)
        assert status["timesFailed"] == 1 and status["timesSent"] == 2  # tried twice
    finally:
        flaky.close()


def test_paused_expired_updated_and_deleted(client: httpx.Client, receiver: Receiver) -> None:
    seed(client)
    sub_id = (
        client.post("/subscriptions", json=subscription(receiver.url))
        .headers["location"]
        .rsplit("/", 1)[-1]
    )
    assert client.patch(f"/subscriptions/{sub_id}", json={"isActive": False}).status_code == 204
    assert client.get(f"/subscriptions/{sub_id}").json()["status"] == "paused"
    set_pm25(client, 1)
    past = subscription(receiver.url, expiresAt="2020-01-01T00:00:00Z")
    assert client.post("/subscriptions", json=past).status_code == 400  # already over
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1.5))
    expired = subscription(receiver.url, expiresAt=soon)
    old_id = client.post("/subscriptions", json=expired).headers["location"].rsplit("/", 1)[-1]
    time.sleep(1.6)
    assert client.get(f"/subscriptions/{old_id}").json()["status"] == "expired"
    set_pm25(client, 2)
    time.sleep(0.8)
    assert receiver.received == []
    assert client.patch(f"/subscriptions/{sub_id}", json={"isActive": True}).status_code == 204
    set_pm25(client, 3)
    assert [n["data"][0]["pm25"]["value"] for n in receiver.wait_for(1)] == [3]
    listing = client.get("/subscriptions", params={"count": "true"})
    assert listing.headers["ngsild-results-count"] == "2"
    assert client.delete(f"/subscriptions/{sub_id}").status_code == 204
    assert client.get(f"/subscriptions/{sub_id}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"type": "Subscription", "entities": [{"type": "T"}]},
        {"type": "Subscription", "notification": {"endpoint": {"uri": "http://x.example/n"}}},
        subscription("ftp://127.0.0.1/n"),
        subscription("http://127.0.0.1/n", q="pm25>>"),
        subscription("http://127.0.0.1/n", watchedAttributes=["pm25"], timeInterval=10),
        subscription("http://127.0.0.1/n", expiresAt="soon"),
        {**subscription("http://127.0.0.1/n"), "type": "Sub"},
    ],
)
def test_invalid_subscriptions_are_rejected(client: httpx.Client, body: dict[str, Any]) -> None:
    r = client.post("/subscriptions", json=body)
    assert r.status_code == 400, r.text
    assert client.get("/subscriptions").json() == []


def test_mqtt_endpoint_receives_notifications(client: httpx.Client) -> None:
    topic = f"cityhub/test/{uuid.uuid4().hex}"
    got: list[dict[str, Any]] = []
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_message = lambda c, u, m: got.append(orjson.loads(m.payload))
    sub.connect("127.0.0.1", 1883)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    try:
        time.sleep(0.3)
        seed(client)
        client.post("/subscriptions", json=subscription(f"mqtt://127.0.0.1:1883/{topic}"))
        set_pm25(client, 77)
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert got and got[0]["body"]["data"][0]["pm25"]["value"] == 77
    finally:
        sub.loop_stop()
        sub.disconnect()


def test_queued_notifications_survive_a_restart(hub: Hub, receiver: Receiver) -> None:
    core = hub.contexts.core
    hub.subscriptions.create("", subscription(receiver.url), None)
    entity = parse_entity(
        {"id": E, "type": "AirQualityObserved", "pm25": {"type": "Property", "value": 5}}, core, ""
    )
    hub.entities.create("", entity)  # committed while no notifier runs
    assert hub.store.subscriptions.queued_count() == 1
    server = Server(hub)
    server.start()
    try:
        notes = receiver.wait_for(1)
        assert notes[0]["data"][0]["id"] == E
    finally:
        server.stop()
    assert hub.store.subscriptions.queued_count() == 0


def test_only_a_write_that_queued_notifications_wakes_the_notifier(
    hub: Hub, receiver: Receiver
) -> None:
    woken: list[int] = []
    hub.hooks.after_queued.append(lambda: woken.append(1))
    core = hub.contexts.core
    unwatched = {"id": "urn:ngsi-ld:Streetlight:1", "type": "Streetlight"}
    hub.entities.create(
        "", parse_entity({**unwatched, "on": {"type": "Property", "value": 1}}, core, "")
    )
    assert woken == [] and hub.store.subscriptions.queued_count() == 0
    hub.subscriptions.create("", subscription(receiver.url), None)
    watched = {"id": E, "type": "AirQualityObserved", "pm25": {"type": "Property", "value": 5}}
    hub.entities.create("", parse_entity(watched, core, ""))
    assert woken == [1] and hub.store.subscriptions.queued_count() == 1


def test_notification_hosts_are_limited_by_settings(client: httpx.Client) -> None:
    r = client.post("/subscriptions", json=subscription("http://internal.example/hook"))
    assert r.status_code == 400 and "CITYHUB_NOTIFY_HOSTS" in r.json()["detail"]


def test_periodic_subscription_sends_every_interval(
    client: httpx.Client, receiver: Receiver
) -> None:
    seed(client)
    body = {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "timeInterval": 1,
        "notification": {"endpoint": {"uri": receiver.url}, "format": "keyValues"},
    }
    assert client.post("/subscriptions", json=body).status_code == 201
    notes = receiver.wait_for(2, timeout=6)
    assert len(notes) >= 2
    assert notes[0]["data"][0]["pm25"] == 10
    set_pm25(client, 99)  # a change does not trigger a periodic subscription by itself
    later = receiver.wait_for(len(notes) + 1, timeout=4)
    assert later[-1]["data"][0]["pm25"] == 99


def test_many_endpoints_on_one_host_each_get_their_own_notifications(
    client: httpx.Client, receiver: Receiver
) -> None:
    seed(client)
    for i in range(12):
        r = client.post("/subscriptions", json=subscription(f"{receiver.url}/{i}"))
        assert r.status_code == 201
    for v in (1, 2, 3):
        set_pm25(client, v)
    notes = receiver.wait_for(36)
    assert len(notes) == 36
    by_sub: dict[str, list[float]] = {}
    for n in notes:
        by_sub.setdefault(n["subscriptionId"], []).append(n["data"][0]["pm25"]["value"])
    assert len(by_sub) == 12 and all(v == [1, 2, 3] for v in by_sub.values())


def test_deletion_triggers_and_show_changes(client: httpx.Client, receiver: Receiver) -> None:
    seed(client)
    deleted = subscription(receiver.url, notificationTrigger=["attributeDeleted", "entityDeleted"])
    deleted["notification"]["showChanges"] = True
    assert client.post("/subscriptions", json=deleted).status_code == 201
    updated = subscription(receiver.url, notificationTrigger=["attributeUpdated"])
    updated["notification"]["showChanges"] = True
    assert client.post("/subscriptions", json=updated).status_code == 201
    bad = subscription(receiver.url, notificationTrigger=["entityExploded"])
    assert client.post("/subscriptions", json=bad).status_code == 400

    assert client.patch(f"/entities/{E}/attrs", json={"pm25": 12}).status_code == 204
    note = receiver.wait_for(1)[0]["data"][0]
    assert note["pm25"]["value"] == 12 and note["pm25"]["previousValue"] == 10

    assert client.delete(f"/entities/{E}/attrs/name").status_code == 204
    note = receiver.wait_for(2)[1]["data"][0]
    assert note["name"]["value"] == "urn:ngsi-ld:null"
    assert note["name"]["previousValue"] == "福田站"

    assert client.delete(f"/entities/{E}").status_code == 204
    note = receiver.wait_for(3)[2]["data"][0]
    assert note["id"] == E and note["deletedAt"].endswith("Z")
    assert note["pm25"] == {"type": "Property", "value": "urn:ngsi-ld:null", "previousValue": 12}
    time.sleep(0.3)
    assert len(receiver.received) == 3  # nothing for the subscription on updates only


def test_deleted_attributes_say_when_under_sys_attrs(
    client: httpx.Client, receiver: Receiver
) -> None:
    names = [
        {"type": "Property", "value": "福田站"},
        {"type": "Property", "value": "Futian", "datasetId": "urn:ngsi-ld:Dataset:en"},
        {"type": "Property", "value": "Futien", "datasetId": "urn:ngsi-ld:Dataset:de"},
    ]
    body = {
        "id": E,
        "type": "AirQualityObserved",
        "name": names,
        "pm25": {"type": "Property", "value": 1},
    }
    assert client.post("/entities", json=body).status_code == 201
    sub = subscription(receiver.url, notificationTrigger=["attributeDeleted"])
    sub["notification"]["sysAttrs"] = True
    assert client.post("/subscriptions", json=sub).status_code == 201

    r = client.delete(f"/entities/{E}/attrs/name", params={"datasetId": "urn:ngsi-ld:Dataset:en"})
    assert r.status_code == 204
    name = receiver.wait_for(1)[0]["data"][0]["name"]
    [gone] = [i for i in name if i.get("datasetId") == "urn:ngsi-ld:Dataset:en"]
    assert gone["value"] == "urn:ngsi-ld:null" and gone["createdAt"] <= gone["deletedAt"]
    assert len(name) == 3  # the two left, and the one that went

    assert client.delete(f"/entities/{E}/attrs/name", params={"deleteAll": "true"}).status_code
    name = receiver.wait_for(2)[1]["data"][0]["name"]
    assert name["value"] == "urn:ngsi-ld:null" and "datasetId" not in name  # the attribute went
    assert name["deletedAt"].endswith("Z")


def test_subscription_pages_link_to_their_neighbours(
    client: httpx.Client, receiver: Receiver
) -> None:
    for _ in range(3):
        assert client.post("/subscriptions", json=subscription(receiver.url)).status_code == 201
    middle = client.get("/subscriptions", params={"limit": 1, "offset": 1})
    links = middle.headers["link"].split(",")
    assert (
        '</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel="prev";type="application/ld+json"'
        in links
    )
    assert (
        '</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel="next";type="application/ld+json"'
        in links
    )
    shown = middle.json()[0]
    assert "createdAt" not in shown and "status" not in shown["notification"]
    with_times = client.get("/subscriptions", params={"options": "sysAttrs"}).json()
    assert all("createdAt" in s for s in with_times)


def test_type_expressions_and_encoded_q_in_subscriptions(
    client: httpx.Client, receiver: Receiver
) -> None:
    sub = subscription(receiver.url, notificationTrigger=["entityCreated"])
    sub["entities"] = [{"type": "(Building|AirQualityObserved)"}]
    sub["q"] = "name==%22%E7%A6%8F%E7%94%B0%E7%AB%99%22"  # name=="福田站", percent-encoded
    assert client.post("/subscriptions", json=sub).status_code == 201
    seed(client)
    note = receiver.wait_for(1)[0]["data"][0]
    assert note["id"] == E


def test_a_list_context_is_kept_as_an_implicitly_created_one(
    client: httpx.Client, receiver: Receiver
) -> None:
    ctx = ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"]
    body = {**subscription(receiver.url), "@context": ctx}
    created = client.post(
        "/subscriptions",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/ld+json"},
    )
    assert created.status_code == 201, created.text
    shown = client.get(created.headers["location"].replace("/ngsi-ld/v1", "")).json()
    url = shown["jsonldContext"]
    assert url.startswith("http") and "/jsonldContexts/" in url
    local_id = url.rsplit("/", 1)[-1]
    assert client.get(f"/jsonldContexts/{local_id}").json() == {"@context": ctx}
    implicit = client.get("/jsonldContexts", params={"kind": "ImplicitlyCreated"}).json()
    assert url in implicit
