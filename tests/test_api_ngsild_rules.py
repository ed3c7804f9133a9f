"""NGSI-LD behaviours the ETSI conformance suite checks, over HTTP on both stores: NGSI-LD Null
deletes, orderBy, purge, ids in the path, batch delete sent as JSON-LD."""

from __future__ import annotations

from typing import Any

import httpx

NULL = "urn:ngsi-ld:null"


def building(n: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Building:{n}",
        "type": "Building",
        "name": {"type": "Property", "value": name},
        "height": {"type": "Property", "value": 10 * n},
        **extra,
    }


def ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()]


def test_null_in_an_attribute_update_deletes_the_attribute(client: httpx.Client) -> None:
    street = {"type": "LanguageProperty", "languageMap": {"fr": "Rue", "nl": "Straat"}}
    where = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.29, 48.85]}}
    r = client.post("/entities", json=building(1, "tower", street=street, location=where))
    assert r.status_code == 201, r.text
    r = client.patch(
        "/entities/urn:ngsi-ld:Building:1/attrs",
        json={
            "name": {"type": "Property", "value": NULL},
            "location": {"type": "GeoProperty", "value": NULL},
            "street": {"type": "LanguageProperty", "languageMap": {"@none": NULL}},
            "height": {"type": "Property", "value": 99},
        },
    )
    assert r.status_code == 204, r.text
    kept = client.get("/entities/urn:ngsi-ld:Building:1").json()
    assert "name" not in kept and "location" not in kept and "street" not in kept
    assert kept["height"]["value"] == 99


def test_order_by_attributes_ids_and_directions(client: httpx.Client) -> None:
    for n, name in ((2, "b"), (1, "a"), (3, "c")):  # created out of order
        assert client.post("/entities", json=building(n, name)).status_code == 201
    first, second, third = (f"urn:ngsi-ld:Building:{n}" for n in (1, 2, 3))
    query = {"type": "Building"}
    assert ids(client.get("/entities", params=query)) == [second, first, third]
    assert ids(client.get("/entities", params={**query, "orderBy": "name"})) == [
        first,
        second,
        third,
    ]
    assert ids(client.get("/entities", params={**query, "orderBy": "height;desc"})) == [
        third,
        second,
        first,
    ]
    page = client.get("/entities", params={**query, "orderBy": "type,id", "limit": 2, "offset": 1})
    assert ids(page) == [second, third]
    bad = client.get("/entities", params={**query, "orderBy": "name;sideways"})
    assert bad.status_code == 400


def test_purge_deletes_what_the_query_selects_or_only_attributes(client: httpx.Client) -> None:
    for n in (1, 2, 3):
        assert client.post("/entities", json=building(n, f"b{n}")).status_code == 201
    assert client.delete("/entities").status_code == 400  # no selector: refused
    both = client.delete("/entities", params={"type": "Building", "keep": "name", "drop": "x"})
    assert both.status_code == 400
    r = client.delete("/entities", params={"type": "Building", "drop": "height"})
    assert r.status_code == 204, r.text
    left = client.get("/entities", params={"type": "Building"}).json()
    assert len(left) == 3 and all("height" not in e and "name" in e for e in left)
    r = client.delete("/entities", params={"type": "Building", "q": 'name=="b2"'})
    assert r.status_code == 204
    assert len(ids(client.get("/entities", params={"type": "Building"}))) == 2


def test_ids_in_the_path_must_be_uris_and_not_empty(client: httpx.Client) -> None:
    for method, path in (
        ("GET", "/entities/not-a-uri"),
        ("POST", "/entities//attrs"),
        ("PATCH", "/entities/not-a-uri/attrs"),
        ("PUT", "/entities/"),
        ("GET", "/subscriptions/InvalidUri"),
        ("GET", "/temporal/entities/not-a-uri"),
    ):
        r = client.request(method, path, json={} if method in ("POST", "PATCH", "PUT") else None)
        assert r.status_code == 400, (method, path, r.status_code, r.text)
        assert r.json()["type"].endswith("BadRequestData")
    # a name left out after …/attrs/ is a method the collection does not have
    gone = client.delete("/entities/urn:ngsi-ld:Building:1/attrs/", follow_redirects=True)
    assert gone.status_code == 405, gone.text


def test_batch_delete_takes_json_ld_without_a_context(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    r = client.post(
        "/entityOperations/delete",
        content=b'["urn:ngsi-ld:Building:1"]',
        headers={"Content-Type": "application/ld+json"},
    )
    assert r.status_code == 204, r.text
    assert client.get("/entities/urn:ngsi-ld:Building:1").status_code == 404


def test_temporal_answers_are_paged_by_time_past_the_instance_limit(
    client: httpx.Client,
) -> None:
    instances = [
        {"type": "Property", "value": i, "observedAt": f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z"}
        for i in range(1_005)
    ]
    few = [
        {"type": "Property", "value": i, "observedAt": f"2026-01-01T0{i}:30:00Z"} for i in range(3)
    ]
    body = {"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle", "speed": instances, "fuel": few}
    assert client.post("/temporal/entities", json=body).status_code == 201
    r = client.get("/temporal/entities/urn:ngsi-ld:Vehicle:1")
    assert r.status_code == 206, r.text
    speeds = r.json()["speed"]
    assert len(speeds) == 1_000 and speeds[-1]["value"] == 999
    assert r.headers["Content-Range"] == (
        "date-time 2026-01-01T00:00:00.000000Z-2026-01-01T16:39:00.000000Z/*"
    )
    assert len(r.json()["fuel"]) == 3  # within the page's range: all of them
    rest = client.get(
        "/temporal/entities/urn:ngsi-ld:Vehicle:1",
        params={"timerel": "after", "timeAt": "2026-01-01T16:39:00.000001Z", "attrs": "speed"},
    )
    assert rest.status_code == 200 and [s["value"] for s in rest.json()["speed"]] == [
        1_000,
        1_001,
        1_002,
        1_003,
        1_004,
    ]
    newest = client.get("/temporal/entities/urn:ngsi-ld:Vehicle:1", params={"lastN": 1_003})
    assert newest.status_code == 206
    assert newest.headers["Content-Range"].endswith("/1003")
    assert newest.json()["speed"][0]["value"] == 5 and len(newest.json()["speed"]) == 1_000
    assert len(newest.json()["fuel"]) == 3  # all later than the page's oldest speed
    small = client.get("/temporal/entities/urn:ngsi-ld:Vehicle:1", params={"lastN": 2})
    assert small.status_code == 200 and len(small.json()["speed"]) == 2


def test_a_temporal_query_cuts_every_entity_at_the_same_edge(client: httpx.Client) -> None:
    busy = [
        {"type": "Property", "value": i, "observedAt": f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z"}
        for i in range(1_005)
    ]
    late = [  # one reading inside the first page's range, two after it
        {"type": "Property", "value": i, "observedAt": f"2026-01-01T{h}:00:00Z"}
        for i, h in enumerate((10, 17, 20))
    ]
    for n, speeds in ((1, busy), (2, late)):
        body = {"id": f"urn:ngsi-ld:Vehicle:{n}", "type": "Vehicle", "speed": speeds}
        assert client.post("/temporal/entities", json=body).status_code == 201
    first = client.get("/temporal/entities", params={"type": "Vehicle"})
    assert first.status_code == 206, first.text
    end = "2026-01-01T16:39:00.000000Z"
    assert first.headers["Content-Range"].endswith(f"-{end}/*")
    pages = {e["id"]: [s["value"] for s in e["speed"]] for e in first.json()}
    assert pages["urn:ngsi-ld:Vehicle:2"] == [0]  # 17:00 and 20:00 belong to the next page
    lone = {"type": "Property", "value": 7, "observedAt": "2026-01-01T18:00:00Z"}
    body = {"id": "urn:ngsi-ld:Vehicle:3", "type": "Vehicle", "speed": [lone]}
    assert client.post("/temporal/entities", json=body).status_code == 201
    simple = client.get(
        "/temporal/entities", params={"type": "Vehicle", "options": "temporalValues"}
    )
    assert simple.status_code == 206, simple.text
    speeds = {e["id"]: e["speed"] for e in simple.json()}
    assert len(speeds["urn:ngsi-ld:Vehicle:1"]["values"]) == 1_000
    assert speeds["urn:ngsi-ld:Vehicle:3"] == {"type": "Property", "values": []}  # all later
    rest = client.get(
        "/temporal/entities",
        params={"type": "Vehicle", "timerel": "after", "timeAt": "2026-01-01T16:39:00.000001Z"},
    )
    assert rest.status_code == 200, rest.text
    pages = {e["id"]: [s["value"] for s in e["speed"]] for e in rest.json()}
    assert pages == {
        "urn:ngsi-ld:Vehicle:1": [1_000, 1_001, 1_002, 1_003, 1_004],
        "urn:ngsi-ld:Vehicle:2": [1, 2],
        "urn:ngsi-ld:Vehicle:3": [7],
    }


def test_types_by_full_iri_and_missing_attributes(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    iri = "https://uri.etsi.org/ngsi-ld/default-context/Building"
    assert client.get("/types/" + iri.replace("/", "%2F").replace(":", "%3A")).status_code == 200
    missing = client.get("/entities/urn:ngsi-ld:Building:1", params={"attrs": "nothing"})
    assert missing.status_code == 404
    temporal = client.get("/temporal/entities/urn:ngsi-ld:Building:1", params={"attrs": "nothing"})
    assert temporal.status_code == 404
    assert client.get("/temporal/entities", params={"local": "true"}).status_code == 200


def test_aggregation_periods_start_at_the_earliest_instance(client: httpx.Client) -> None:
    speeds = [
        {"type": "Property", "value": v, "observedAt": f"2020-08-01T{h}:03:00Z"}
        for v, h in ((10, "12"), (20, "12"), (40, "13"))
    ]
    body = {"id": "urn:ngsi-ld:Vehicle:9", "type": "Vehicle", "speed": speeds}
    assert client.post("/temporal/entities", json=body).status_code == 201
    r = client.get(
        "/temporal/entities/urn:ngsi-ld:Vehicle:9",
        params={"options": "aggregatedValues", "aggrMethods": "max", "aggrPeriodDuration": "PT1H"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["speed"]["max"][0] == [20, "2020-08-01T12:03:00Z", "2020-08-01T13:03:00Z"]


def test_scope_and_types_through_the_attribute_endpoints(client: httpx.Client) -> None:
    e = "/entities/urn:ngsi-ld:Building:1"
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    r = client.patch(e + "/attrs", json={"scope": "/Shenzhen/Futian"})
    assert r.status_code == 207  # no scope yet: nothing to update
    assert client.post(e + "/attrs", json={"scope": "/Shenzhen/Futian"}).status_code == 204
    kept = client.post(e + "/attrs?options=noOverwrite", json={"scope": "/Shenzhen/Nanshan"})
    assert kept.status_code == 204
    assert client.get(e).json()["scope"] == ["/Shenzhen/Futian", "/Shenzhen/Nanshan"]
    assert client.patch(e + "/attrs", json={"scope": "/Shenzhen/Luohu"}).status_code == 204
    assert client.get(e).json()["scope"] == "/Shenzhen/Luohu"
    assert client.patch(e + "/attrs", json={"type": "Landmark"}).status_code == 204
    assert client.get(e).json()["type"] == ["Building", "Landmark"]
    assert client.delete(e + "/attrs/scope").status_code == 204
    assert "scope" not in client.get(e).json()
    assert client.delete(e + "/attrs/scope").status_code == 404


def test_a_partial_attribute_update_keeps_the_attribute_type(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    wrong = client.patch(
        "/entities/urn:ngsi-ld:Building:1/attrs/name",
        json={"type": "Relationship", "object": "urn:ngsi-ld:City:Shenzhen"},
    )
    assert wrong.status_code == 400
    assert client.get("/entities/urn:ngsi-ld:Building:1").json()["name"]["value"] == "a"


def test_merge_patch_bodies_and_unknown_purge_parameters(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    r = client.patch(
        "/entities/urn:ngsi-ld:Building:1/attrs/name",
        content=b'{"value": "b"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 204, r.text
    assert client.get("/entities/urn:ngsi-ld:Building:1").json()["name"]["value"] == "b"
    odd = client.delete("/entities", params={"type": "Building", "invalidParams": "x"})
    assert odd.status_code == 400 and odd.json()["type"].endswith("InvalidRequest")
    assert client.get("/entities/urn:ngsi-ld:Building:1").status_code == 200  # nothing purged


def test_names_in_paths_and_bodies_that_are_no_request(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    entity = "/entities/urn:ngsi-ld:Building:1"
    for name in ("@invalid", "scope", "id"):
        r = client.put(f"{entity}/attrs/{name}", json={"type": "Property", "value": 1})
        assert r.status_code == 400 and r.json()["type"].endswith("BadRequestData"), (name, r.text)
        r = client.patch(f"{entity}/attrs/{name}", json={"value": 1})
        assert r.status_code == 400, (name, r.text)
    instance = "urn:ngsi-ld:Instance:1"
    for method in ("DELETE", "PATCH"):
        r = client.request(method, f"/temporal{entity}/attrs//{instance}", json={"value": 1})
        assert r.status_code == 400, (method, r.text)
    for body in (b"[]", b"5", b'"x"'):
        r = client.post("/entities", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["type"].endswith("InvalidRequest"), body
    assert client.get(entity).json()["name"]["value"] == "a"  # nothing written


def test_a_batch_delete_naming_an_entity_twice_deletes_it_once(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    e = "urn:ngsi-ld:Building:1"
    r = client.post("/entityOperations/delete", json=[e, e])
    assert r.status_code == 207, r.text
    assert r.json()["success"] == [e]
    assert [x["entityId"] for x in r.json()["errors"]] == [e]
    assert client.get(f"/entities/{e}").status_code == 404


def test_one_attribute_written_as_itself_or_as_a_fragment_naming_it(client: httpx.Client) -> None:
    assert client.post("/entities", json=building(1, "a")).status_code == 201
    entity = "/entities/urn:ngsi-ld:Building:1"
    r = client.put(f"{entity}/attrs/height", json={"height": {"type": "Property", "value": 20}})
    assert r.status_code == 204, r.text
    assert client.get(entity).json()["height"] == {"type": "Property", "value": 20}
    context = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
    r = client.patch(
        f"{entity}/attrs/height",
        json={"height": {"value": 30}, "@context": context},
        headers={"Content-Type": "application/ld+json"},
    )
    assert r.status_code == 204, r.text
    assert client.get(entity).json()["height"] == {"type": "Property", "value": 30}
    # an attribute whose sub-property shares its name is still the attribute itself
    r = client.put(
        f"{entity}/attrs/name",
        json={"type": "Property", "value": "b", "name": {"type": "Property", "value": "c"}},
    )
    assert r.status_code == 204, r.text
    assert client.get(entity).json()["name"]["name"]["value"] == "c"
