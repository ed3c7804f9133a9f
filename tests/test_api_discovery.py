"""Discovery (/types, /attributes) and hosted @contexts (/jsonldContexts)."""

from __future__ import annotations

import httpx

from tests.conftest import Server


def seed(client: httpx.Client) -> None:
    r = client.post(
        "/entityOperations/create",
        json=[
            {
                "id": "urn:ngsi-ld:WasteContainer:1",
                "type": "WasteContainer",
                "fillingLevel": {"type": "Property", "value": 0.4},
                "refDistrict": {"type": "Relationship", "object": "urn:ngsi-ld:District:Luohu"},
            },
            {
                "id": "urn:ngsi-ld:WasteContainer:2",
                "type": "WasteContainer",
                "fillingLevel": {"type": "Property", "value": 0.8},
            },
            {
                "id": "urn:ngsi-ld:ParkingSpot:1",
                "type": "ParkingSpot",
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [114, 22.5]},
                },
            },
        ],
    )
    assert r.status_code == 201


def test_types_list_details_and_info(client: httpx.Client) -> None:
    seed(client)
    listing = client.get("/types").json()
    assert listing["type"] == "EntityTypeList"
    assert listing["typeList"] == ["ParkingSpot", "WasteContainer"]
    details = client.get("/types", params={"details": "true"}).json()
    waste = next(d for d in details if d["typeName"] == "WasteContainer")
    assert sorted(waste["attributeNames"]) == ["fillingLevel", "refDistrict"]
    info = client.get("/types/WasteContainer").json()
    assert info["entityCount"] == 2 and info["type"] == "EntityTypeInfo"
    kinds = {a["attributeName"]: a["attributeTypes"] for a in info["attributeDetails"]}
    assert kinds == {"fillingLevel": ["Property"], "refDistrict": ["Relationship"]}
    assert client.get("/types/Nothing").status_code == 404


def test_attributes_list_and_detail(client: httpx.Client) -> None:
    seed(client)
    listing = client.get("/attributes").json()
    assert listing["attributeList"] == ["fillingLevel", "location", "refDistrict"]
    detail = client.get("/attributes/fillingLevel").json()
    assert detail["attributeCount"] == 2 and detail["typeNames"] == ["WasteContainer"]
    assert client.get("/attributes/nothing").status_code == 404


def test_hosted_context_lifecycle(client: httpx.Client) -> None:
    ctx = {"@context": {"垃圾桶": "https://example.org/WasteContainer"}}
    created = client.post("/jsonldContexts", json=ctx)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location.startswith("/ngsi-ld/v1/jsonldContexts/")  # relative, as NGSI-LD shows it
    local_id = location.rsplit("/", 1)[-1]
    assert client.get(f"/jsonldContexts/{local_id}").json() == ctx
    url = next(u for u in client.get("/jsonldContexts").json() if u.endswith(location))
    assert url.startswith("http")  # what a client puts in @context is absolute
    details = client.get("/jsonldContexts", params={"details": "true", "kind": "Hosted"}).json()
    assert any(d["URL"] == url and d["kind"] == "Hosted" and d["createdAt"] for d in details)
    one = client.get(f"/jsonldContexts/{local_id}", params={"details": "true"}).json()
    assert one["kind"] == "Hosted" and one["URL"] == url
    assert client.delete(f"/jsonldContexts/{local_id}").status_code == 204
    assert client.get(f"/jsonldContexts/{local_id}").status_code == 404
    bad = client.post("/jsonldContexts", json={"@context": "x", "extra": 1})
    assert bad.status_code == 400


def test_a_hosted_context_counts_its_uses(client: httpx.Client) -> None:
    created = client.post(
        "/jsonldContexts", json={"@context": {"站点": "https://example.org/Site"}}
    )
    local_id = created.headers["location"].rsplit("/", 1)[-1]
    url = next(u for u in client.get("/jsonldContexts").json() if u.endswith(local_id))

    def details() -> dict[str, object]:
        answer = client.get(f"/jsonldContexts/{local_id}", params={"details": "true"})
        return dict(answer.json())

    assert details()["numberOfHits"] == 0 and details()["lastUsage"] is None
    link = {"Link": f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"'}
    site = {"id": "urn:ngsi-ld:Site:1", "type": "站点"}
    assert client.post("/entities", json=site, headers=link).status_code == 201
    assert (
        client.get("/entities", params={"type": "站点"}, headers=link).json()[0]["type"] == "站点"
    )
    assert client.get("/entities", params={"type": "Other"}).status_code == 200  # not a use
    used = details()
    assert used["numberOfHits"] == 2 and str(used["lastUsage"]).endswith("Z")
    listed = client.get("/jsonldContexts", params={"details": "true"}).json()
    assert next(d for d in listed if d["URL"] == url)["numberOfHits"] == 2  # counted once


def test_core_context_resolves_offline_under_every_published_url(client: httpx.Client) -> None:
    for version in ("", "-v1.3", "-v1.4", "-v1.6", "-v1.8", "-v1.9"):
        url = f"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context{version}.jsonld"
        link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"'
        r = client.post(
            "/entities",
            headers={"Link": link},
            json={
                "id": f"urn:ngsi-ld:T:{version or 'plain'}",
                "type": "T",
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [1, 2]},
                },
            },
        )
        assert r.status_code == 201, (version, r.text)
    r = client.get("/attributes/location").json()
    assert r["id"] == "https://uri.etsi.org/ngsi-ld/location"


def test_remote_context_is_refused_when_fetching_is_not_allowed(client: httpx.Client) -> None:
    link = '<https://example.invalid/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
    r = client.get("/entities", params={"type": "T"}, headers={"Link": link})
    assert r.status_code == 503
    assert r.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable"


def test_reloading_contexts(client: httpx.Client) -> None:
    created = client.post("/jsonldContexts", json={"@context": {"x": "urn:x"}})
    local_id = created.headers["location"].rsplit("/", 1)[-1]
    hosted = client.delete(f"/jsonldContexts/{local_id}", params={"reload": "true"})
    assert hosted.status_code == 400  # only a cached context can be fetched again
    assert client.delete(f"/jsonldContexts/{local_id}", params={"reload": "xxx"}).status_code == 400
    assert client.delete("/jsonldContexts/nothing", params={"reload": "true"}).status_code == 400
    assert client.delete("/jsonldContexts/nothing").status_code == 404
    core = "https%3A%2F%2Furi.etsi.org%2Fngsi-ld%2Fv1%2Fngsi-ld-core-context-v1.8.jsonld"
    assert client.delete(f"/jsonldContexts/{core}", params={"reload": "true"}).status_code == 204
    assert client.delete(f"/jsonldContexts/{local_id}").status_code == 204


def test_collection_paths_with_a_trailing_slash_list(client: httpx.Client) -> None:
    body = {"id": "urn:ngsi-ld:Building:1", "type": "Building", "height": 10}
    assert client.post("/entities", json=body).status_code == 201
    listed = client.get("/types/")
    assert listed.status_code == 200 and "Building" in listed.text
    assert client.get("/attributes/").status_code == 200


def test_version_answers_at_the_root_as_brokers_do(server: Server) -> None:
    from cityhub import __version__

    answer = httpx.get(server.base + "/version")
    assert answer.status_code == 200
    body = answer.json()
    assert body["cityhub version"] == __version__ and body["ngsi-ld"] == "1.8"
    assert body["store"] == server.hub.store.dialect
