"""Context source registrations over HTTP (NGSI-LD 5.9, 5.10): create, discover, change, remove."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.receiver import Receiver

CORE_LINK = (
    "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld>; "
    'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)


def registration(**extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uuid.uuid4().hex[:8]}",
        "type": "ContextSourceRegistration",
        "information": [
            {
                "entities": [{"type": "Vehicle"}, {"idPattern": ".*downtown$", "type": "Parking"}],
                "propertyNames": ["speed"],
                "relationshipNames": ["isParked"],
            }
        ],
        "endpoint": "http://partner.example.org:1026",
        **extra,
    }


def test_a_registration_is_created_read_changed_and_removed(client: httpx.Client) -> None:
    reg = registration(
        registrationName="公交车辆 (partner)",
        contextSourceInfo=[{"key": "Authorization", "value": "Bearer partner-secret"}],
    )
    made = client.post("/csourceRegistrations", json=reg)
    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/ngsi-ld/v1/csourceRegistrations/{reg['id']}"
    assert client.post("/csourceRegistrations", json=reg).status_code == 409
    got = client.get(f"/csourceRegistrations/{reg['id']}").json()
    assert got["information"] == reg["information"] and got["endpoint"] == reg["endpoint"]
    assert got["registrationName"] == "公交车辆 (partner)"
    assert got["mode"] == "inclusive" and "createdAt" not in got
    assert (
        "createdAt"
        in client.get(f"/csourceRegistrations/{reg['id']}", params={"options": "sysAttrs"}).json()
    )
    changed = client.patch(
        f"/csourceRegistrations/{reg['id']}", json={"endpoint": "http://b.example.org"}
    )
    assert changed.status_code == 204
    assert (
        client.get(f"/csourceRegistrations/{reg['id']}").json()["endpoint"]
        == "http://b.example.org"
    )
    assert client.delete(f"/csourceRegistrations/{reg['id']}").status_code == 204
    assert client.get(f"/csourceRegistrations/{reg['id']}").status_code == 404
    assert client.delete(f"/csourceRegistrations/{reg['id']}").status_code == 404


def test_invalid_registrations_are_refused_whole(client: httpx.Client) -> None:
    bad = [
        registration(information=None),
        registration(information=[]),
        registration(information=[{"entities": [{"id": "urn:x:1"}]}]),  # no type
        registration(information=[{"entities": [{"type": "T", "idPattern": "(unclosed"}]}]),
        registration(endpoint="not a url"),
        registration(endpoint="file:///etc/passwd"),
        registration(mode="sometimes"),
        registration(expiresAt="2001-01-01T00:00:00Z"),
        registration(location={"type": "Point", "coordinates": [500, 0]}),
        registration(id="not-a-uri"),
        {k: v for k, v in registration().items() if k != "endpoint"},
    ]
    for body in bad:
        answer = client.post("/csourceRegistrations", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.headers["content-type"] == "application/json"  # NGSI-LD ProblemDetails
    assert client.get("/csourceRegistrations", params={"type": "Vehicle"}).json() == []


def test_discovery_finds_the_sources_holding_a_type_or_an_attribute(client: httpx.Client) -> None:
    vehicles = registration()
    weather = registration(
        information=[{"propertyNames": ["temperature"]}], endpoint="http://weather.example.org"
    )
    for reg in (vehicles, weather):
        assert client.post("/csourceRegistrations", json=reg).status_code == 201

    def ids(**params: str) -> list[str]:
        answer = client.get("/csourceRegistrations", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(r["id"] for r in answer.json())

    assert ids(type="Vehicle") == sorted([vehicles["id"], weather["id"]])  # weather: any type
    assert ids(type="Parking", id="urn:ngsi-ld:Parking:downtown") == sorted(
        [vehicles["id"], weather["id"]]
    )
    assert ids(attrs="temperature") == [weather["id"]]
    assert ids(attrs="speed") == [vehicles["id"]]
    assert ids(type="Vehicle", attrs="humidity") == []
    # the names a client sends are expanded with its @context, as the registration's were
    expanded = client.get(
        "/csourceRegistrations",
        params={"type": "https://uri.etsi.org/ngsi-ld/default-context/Vehicle", "attrs": "speed"},
    )
    assert [r["id"] for r in expanded.json()] == [vehicles["id"]]
    assert client.get("/csourceRegistrations").status_code == 400  # type or attrs needed
    # a page links to its neighbours of the same query
    page = client.get("/csourceRegistrations", params={"type": "Vehicle", "limit": 1, "offset": 1})
    assert len(page.json()) == 1
    base = "/ngsi-ld/v1/csourceRegistrations?type=Vehicle&limit=1"
    assert f'<{base}&offset=0>;rel="prev";type="application/ld+json"' in page.headers["link"]
    listed = client.get("/csourceRegistrations", params={"attrs": "speed,temperature", "limit": 1})
    [following] = [link for link in listed.headers["link"].split(",") if 'rel="next"' in link]
    assert following.startswith("</ngsi-ld/v1/csourceRegistrations?attrs=speed%2Ctemperature&")
    again = client.get(following[1 : following.index(">")].removeprefix("/ngsi-ld/v1"))
    assert [r["id"] for r in again.json()] != [r["id"] for r in listed.json()]
    assert (
        client.get("/csourceRegistrations", params={"type": "Vehicle", "q": "(x"}).status_code
        == 400
    )


def test_names_are_kept_expanded_and_shown_in_the_readers_context(
    client: httpx.Client, server: object
) -> None:
    base = server.base  # type: ignore[attr-defined]
    context = {
        "@context": {
            "Bus": "https://city.example/vocab#Bus",
            "speed": "https://city.example/vocab#speed",
        }
    }
    hosted = httpx.post(base + "/ngsi-ld/v1/jsonldContexts", json=context)
    assert hosted.status_code == 201, hosted.text
    url = base + hosted.headers["Location"]
    reg = registration(
        information=[{"entities": [{"type": "Bus"}], "propertyNames": ["speed"]}],
        expiresAt="2099-01-01T00:00:00Z",
    )
    link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    assert client.post("/csourceRegistrations", json=reg, headers={"Link": link}).status_code == 201
    plain = client.get(f"/csourceRegistrations/{reg['id']}").json()["information"][0]
    assert plain == {
        "entities": [{"type": "https://city.example/vocab#Bus"}],
        "propertyNames": ["https://city.example/vocab#speed"],
    }
    mine = client.get(f"/csourceRegistrations/{reg['id']}", headers={"Link": link}).json()
    assert mine["information"][0] == {"entities": [{"type": "Bus"}], "propertyNames": ["speed"]}
    assert [
        r["id"]
        for r in client.get(
            "/csourceRegistrations", params={"type": "Bus"}, headers={"Link": link}
        ).json()
    ] == [reg["id"]]
    assert client.get("/csourceRegistrations", params={"type": "Bus"}).json() == []  # core's Bus
    # NGSI-LD Null removes a member: the registration no longer expires
    forever = client.patch(f"/csourceRegistrations/{reg['id']}", json={"expiresAt": None})
    assert forever.status_code == 204
    assert "expiresAt" not in client.get(f"/csourceRegistrations/{reg['id']}").json()


def test_subscribers_to_registrations_hear_them_match_change_and_go(
    client: httpx.Client,
) -> None:
    receiver = Receiver()
    try:
        sub = {
            "id": f"urn:ngsi-ld:Subscription:{uuid.uuid4().hex[:8]}",
            "type": "Subscription",
            "entities": [{"type": "Vehicle"}],
            "notification": {"endpoint": {"uri": receiver.url}},
        }
        made = client.post("/csourceSubscriptions", json=sub)
        assert made.status_code == 201, made.text
        assert made.headers["Location"] == f"/ngsi-ld/v1/csourceSubscriptions/{sub['id']}"
        assert client.get(f"/csourceSubscriptions/{sub['id']}").json()["status"] == "active"
        # the two kinds of subscription live apart
        assert client.get(f"/subscriptions/{sub['id']}").status_code == 404
        assert [s["id"] for s in client.get("/csourceSubscriptions").json()] == [sub["id"]]
        assert sub["id"] not in [s["id"] for s in client.get("/subscriptions").json()]

        reg = registration()
        other = registration(information=[{"entities": [{"type": "Parking"}]}])
        assert client.post("/csourceRegistrations", json=other).status_code == 201  # not watched
        assert client.post("/csourceRegistrations", json=reg).status_code == 201
        changed = client.patch(
            f"/csourceRegistrations/{reg['id']}", json={"endpoint": "http://c.example.org"}
        )
        assert changed.status_code == 204
        assert client.delete(f"/csourceRegistrations/{reg['id']}").status_code == 204
        heard = receiver.wait_for(3)
        assert [n["triggerReason"] for n in heard] == [
            "newlyMatching",
            "updated",
            "noLongerMatching",
        ]
        assert all(n["subscriptionId"] == sub["id"] for n in heard)
        assert {n["type"] for n in heard} == {"ContextSourceNotification"}
        assert [n["data"][0]["id"] for n in heard] == [reg["id"]] * 3
        assert heard[1]["data"][0]["endpoint"] == "http://c.example.org"
        assert heard[0]["data"][0]["information"][0]["entities"][0]["type"] == "Vehicle"
        time.sleep(0.5)
        assert len(receiver.received) == 3  # the Parking registration was not heard
        stats = client.get(f"/csourceSubscriptions/{sub['id']}").json()["notification"]
        assert stats["timesSent"] == 3
        # a subscription made later hears at once of what is already registered
        late = {**sub, "id": sub["id"] + "-late", "entities": [{"type": "Parking"}]}
        assert client.post("/csourceSubscriptions", json=late).status_code == 201
        first = receiver.wait_for(4)[3]
        assert first["subscriptionId"] == late["id"] and first["triggerReason"] == "newlyMatching"
        assert [d["id"] for d in first["data"]] == [other["id"]]
        # only the RegistrationInfo elements a subscriber selects are shown to it
        mixed = registration(
            information=[{"entities": [{"type": "Bus"}]}, {"entities": [{"type": "Vehicle"}]}]
        )
        assert client.post("/csourceRegistrations", json=mixed).status_code == 201
        shown = receiver.wait_for(5)[4]
        assert shown["subscriptionId"] == sub["id"]
        assert shown["data"][0]["information"] == [{"entities": [{"type": "Vehicle"}]}]
        # a changed subscription hears, in one notification, of all it now selects
        widened = {"entities": [{"type": "Vehicle"}, {"type": "Parking"}]}
        assert client.patch(f"/csourceSubscriptions/{late['id']}", json=widened).status_code == 204
        again = receiver.wait_for(6)[5]
        assert again["subscriptionId"] == late["id"] and again["triggerReason"] == "newlyMatching"
        assert sorted(d["id"] for d in again["data"]) == sorted([other["id"], mixed["id"]])
    finally:
        receiver.close()
