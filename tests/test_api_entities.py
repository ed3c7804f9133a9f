"""Entity operations over HTTP against a real server, on both stores."""

from __future__ import annotations

import json
from typing import Any

import httpx

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
E1 = "urn:ngsi-ld:AirQualityObserved:futian-001"


def air(entity_id: str = E1, pm25: float = 35.0, **extra: Any) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": "AirQualityObserved",
        "pm25": {
            "type": "Property",
            "value": pm25,
            "unitCode": "GQ",
            "observedAt": "2026-11-24T08:00:00+08:00",
        },
        "name": {"type": "Property", "value": "福田区监测站"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [114.05, 22.54]},
        },
        "refDistrict": {"type": "Relationship", "object": "urn:ngsi-ld:District:Futian"},
        **extra,
    }


def create(client: httpx.Client, body: dict[str, Any]) -> None:
    r = client.post("/entities", json=body)
    assert r.status_code == 201, r.text


def test_create_then_retrieve_normalized(client: httpx.Client) -> None:
    r = client.post("/entities", json=air())
    assert r.status_code == 201
    assert r.headers["location"] == f"/ngsi-ld/v1/entities/{E1}"
    got = client.get(f"/entities/{E1}")
    assert got.status_code == 200
    body = got.json()
    assert body["pm25"] == {
        "type": "Property",
        "value": 35.0,
        "unitCode": "GQ",
        "observedAt": "2026-11-24T00:00:00Z",
    }
    assert body["name"]["value"] == "福田区监测站"
    assert body["refDistrict"] == {"type": "Relationship", "object": "urn:ngsi-ld:District:Futian"}
    assert "ngsi-ld-core-context-v1.8.jsonld" in got.headers["link"]


def test_create_twice_is_conflict(client: httpx.Client) -> None:
    create(client, air())
    r = client.post("/entities", json=air())
    assert r.status_code == 409
    assert r.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"


def test_keyvalues_concise_and_sysattrs(client: httpx.Client) -> None:
    create(client, air())
    kv = client.get(f"/entities/{E1}", params={"options": "keyValues"}).json()
    assert kv["pm25"] == 35.0 and kv["refDistrict"] == "urn:ngsi-ld:District:Futian"
    concise = client.get(f"/entities/{E1}", params={"options": "concise"}).json()
    assert concise["name"] == "福田区监测站"
    assert concise["pm25"] == {
        "value": 35.0,
        "unitCode": "GQ",
        "observedAt": "2026-11-24T00:00:00Z",
    }
    assert concise["refDistrict"] == {"object": "urn:ngsi-ld:District:Futian"}
    sys = client.get(f"/entities/{E1}", params={"options": "sysAttrs"}).json()
    assert sys["createdAt"].endswith("Z") and "modifiedAt" in sys["pm25"]


def test_concise_input_is_accepted(client: httpx.Client) -> None:
    body = {
        "id": E1,
        "type": "AirQualityObserved",
        "pm25": 12,
        "location": {"type": "Point", "coordinates": [114.0, 22.5]},
        "refDistrict": {"object": "urn:ngsi-ld:District:Futian"},
    }
    create(client, body)
    got = client.get(f"/entities/{E1}").json()
    assert got["pm25"] == {"type": "Property", "value": 12}
    assert got["location"]["type"] == "GeoProperty"
    assert got["refDistrict"]["type"] == "Relationship"


def test_ld_json_with_context_in_body_compacts_back(client: httpx.Client) -> None:
    ctx = {"温度": "https://example.org/city#temperature", "Station": "https://example.org/Station"}
    body = {
        "@context": [ctx, CORE],
        "id": E1,
        "type": "Station",
        "温度": {"type": "Property", "value": 21.5},
    }
    r = client.post(
        "/entities",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/ld+json"},
    )
    assert r.status_code == 201, r.text
    plain = client.get(f"/entities/{E1}").json()
    assert plain["type"] == "https://example.org/Station"
    assert plain["https://example.org/city#temperature"]["value"] == 21.5
    hosted = client.post("/jsonldContexts", json={"@context": ctx})
    assert hosted.status_code == 201
    hosted_url = str(client.base_url.join(hosted.headers["location"]))  # Location is relative
    link = f'<{hosted_url}>; rel="http://www.w3.org/ns/json-ld#context"'
    mine = client.get(f"/entities/{E1}", headers={"Link": link}).json()
    assert mine["type"] == "Station" and mine["温度"]["value"] == 21.5
    ld = client.get(f"/entities/{E1}", headers={"Link": link, "Accept": "application/ld+json"})
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert ld.json()["@context"] == hosted_url


def test_context_rules_for_media_types(client: httpx.Client) -> None:
    no_ctx = client.post("/entities", json=air(), headers={"Content-Type": "application/ld+json"})
    assert no_ctx.status_code == 400
    with_ctx = client.post("/entities", json={**air(), "@context": CORE})
    assert with_ctx.status_code == 400
    text = client.post("/entities", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415


def test_append_attrs_and_no_overwrite(client: httpx.Client) -> None:
    create(client, air())
    r = client.post(f"/entities/{E1}/attrs", json={"pm10": {"type": "Property", "value": 50}})
    assert r.status_code == 204
    r = client.post(
        f"/entities/{E1}/attrs",
        params={"options": "noOverwrite"},
        json={"pm25": {"type": "Property", "value": 1}, "no2": {"type": "Property", "value": 9}},
    )
    assert r.status_code == 207
    assert r.json()["updated"] == ["no2"]
    assert r.json()["notUpdated"][0]["attributeName"] == "pm25"
    kv = client.get(f"/entities/{E1}", params={"options": "keyValues"}).json()
    assert (kv["pm25"], kv["pm10"], kv["no2"]) == (35.0, 50, 9)


def test_update_attrs_reports_missing_ones(client: httpx.Client) -> None:
    create(client, air())
    r = client.patch(
        f"/entities/{E1}/attrs",
        json={"pm25": {"type": "Property", "value": 40}, "o3": {"type": "Property", "value": 1}},
    )
    assert r.status_code == 207
    assert r.json()["notUpdated"][0]["attributeName"] == "o3"
    assert client.get(f"/entities/{E1}", params={"options": "keyValues"}).json()["pm25"] == 40


def test_partial_attribute_update_keeps_other_members(client: httpx.Client) -> None:
    create(client, air())
    r = client.patch(f"/entities/{E1}/attrs/pm25", json={"value": 80})
    assert r.status_code == 204, r.text
    pm25 = client.get(f"/entities/{E1}").json()["pm25"]
    assert pm25["value"] == 80 and pm25["unitCode"] == "GQ"
    missing = client.patch(f"/entities/{E1}/attrs/nope", json={"value": 1})
    assert missing.status_code == 404


def test_replace_attribute_and_entity(client: httpx.Client) -> None:
    create(client, air())
    r = client.put(f"/entities/{E1}/attrs/pm25", json={"type": "Property", "value": 5})
    assert r.status_code == 204
    assert client.get(f"/entities/{E1}").json()["pm25"] == {"type": "Property", "value": 5}
    r = client.put(
        f"/entities/{E1}",
        json={"type": "AirQualityObserved", "o3": {"type": "Property", "value": 3}},
    )
    assert r.status_code == 204
    body = client.get(f"/entities/{E1}", params={"options": "sysAttrs"}).json()
    assert "pm25" not in body and body["o3"]["value"] == 3


def test_merge_patch_updates_adds_and_deletes_with_null(client: httpx.Client) -> None:
    create(client, air())
    r = client.patch(
        f"/entities/{E1}",
        json={
            "pm25": {"type": "Property", "value": 99},
            "no2": {"type": "Property", "value": 7},
            "name": "urn:ngsi-ld:null",
        },
    )
    assert r.status_code == 204, r.text
    body = client.get(f"/entities/{E1}").json()
    assert body["pm25"]["value"] == 99 and body["pm25"]["unitCode"] == "GQ"
    assert body["no2"]["value"] == 7 and "name" not in body


def test_multi_attributes_by_dataset_id(client: httpx.Client) -> None:
    body = air(
        speed=[
            {"type": "Property", "value": 55, "datasetId": "urn:ngsi-ld:Dataset:gps"},
            {"type": "Property", "value": 50, "datasetId": "urn:ngsi-ld:Dataset:radar"},
            {"type": "Property", "value": 52},
        ]
    )
    create(client, body)
    speed = client.get(f"/entities/{E1}").json()["speed"]
    assert sorted(s["value"] for s in speed) == [50, 52, 55]
    r = client.delete(
        f"/entities/{E1}/attrs/speed", params={"datasetId": "urn:ngsi-ld:Dataset:radar"}
    )
    assert r.status_code == 204
    assert len(client.get(f"/entities/{E1}").json()["speed"]) == 2
    r = client.delete(f"/entities/{E1}/attrs/speed", params={"deleteAll": "true"})
    assert r.status_code == 204 and "speed" not in client.get(f"/entities/{E1}").json()
    dup = air(
        "urn:ngsi-ld:X:2",
        speed=[{"type": "Property", "value": 1}, {"type": "Property", "value": 2}],
    )
    assert client.post("/entities", json=dup).status_code == 400


def test_language_property_and_lang_parameter(client: httpx.Client) -> None:
    create(
        client,
        air(
            street={
                "type": "LanguageProperty",
                "languageMap": {"zh": "深南大道", "en": "Shennan Boulevard"},
            }
        ),
    )
    full = client.get(f"/entities/{E1}").json()["street"]
    assert full["languageMap"]["zh"] == "深南大道"
    zh = client.get(f"/entities/{E1}", params={"lang": "zh"}).json()["street"]
    assert zh == {"type": "Property", "value": "深南大道", "lang": "zh"}
    en = client.get(f"/entities/{E1}", params={"lang": "fr,en", "options": "keyValues"}).json()
    assert en["street"] == "Shennan Boulevard"


def test_vocab_and_list_properties(client: httpx.Client) -> None:
    create(
        client,
        air(
            category={"type": "VocabProperty", "vocab": "urban"},
            readings={"type": "ListProperty", "valueList": [1, 2, 3]},
        ),
    )
    body = client.get(f"/entities/{E1}").json()
    assert body["category"] == {"type": "VocabProperty", "vocab": "urban"}
    assert body["readings"]["valueList"] == [1, 2, 3]


def test_attrs_pick_and_omit_projection(client: httpx.Client) -> None:
    create(client, air())
    assert set(client.get(f"/entities/{E1}", params={"attrs": "pm25"}).json()) == {
        "id",
        "type",
        "pm25",
    }
    assert set(client.get(f"/entities/{E1}", params={"pick": "id,name"}).json()) == {"id", "name"}
    omitted = client.get(f"/entities/{E1}", params={"omit": "location,type"}).json()
    assert "location" not in omitted and "type" not in omitted and "pm25" in omitted


def test_delete_entity(client: httpx.Client) -> None:
    create(client, air())
    assert client.delete(f"/entities/{E1}").status_code == 204
    assert client.get(f"/entities/{E1}").status_code == 404
    assert client.delete(f"/entities/{E1}").status_code == 404


def test_unknown_tenant_on_read_is_nonexistent_tenant(client: httpx.Client) -> None:
    r = client.get(f"/entities/{E1}", headers={"NGSILD-Tenant": "never-written"})
    assert r.status_code == 404
    assert r.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant"


def test_geojson_representation(client: httpx.Client) -> None:
    create(client, air())
    r = client.get(f"/entities/{E1}", headers={"Accept": "application/geo+json"})
    assert r.headers["content-type"].startswith("application/geo+json")
    feature = r.json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert feature["properties"]["name"]["value"] == "福田区监测站"
    assert client.get(f"/entities/{E1}", headers={"Accept": "text/csv"}).status_code == 406


def test_responses_echo_the_tenant_header(client: httpx.Client, tenant: str) -> None:
    create(client, air())
    assert client.get(f"/entities/{E1}").headers["ngsild-tenant"] == tenant


def test_many_concurrent_updates_all_succeed(server: object, tenant: str) -> None:
    """More concurrent writers than pooled connections: no writer may wait on a second one."""
    import asyncio

    base = server.base  # type: ignore[attr-defined]
    with httpx.Client(base_url=base + "/ngsi-ld/v1", headers={"NGSILD-Tenant": tenant}) as c:
        create(c, air())

    server.hub.matcher.invalidate()  # type: ignore[attr-defined]  # every writer finds it stale

    async def hammer() -> list[int]:
        async with httpx.AsyncClient(
            base_url=base + "/ngsi-ld/v1", timeout=60, headers={"NGSILD-Tenant": tenant}
        ) as http:
            replies = await asyncio.gather(
                *(http.patch(f"/entities/{E1}/attrs/pm25", json={"value": i}) for i in range(80))
            )
            return [r.status_code for r in replies]

    assert asyncio.run(hammer()) == [204] * 80
