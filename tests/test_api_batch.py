"""Batch operations: all-or-report per entity, nothing half-written for an entity that failed."""

from __future__ import annotations

from typing import Any

import httpx


def light(n: int, level: float = 0.5, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Streetlight:{n}",
        "type": "Streetlight",
        "illuminanceLevel": {"type": "Property", "value": level},
        **extra,
    }


def kv(client: httpx.Client, n: int) -> dict[str, Any]:
    r = client.get(f"/entities/urn:ngsi-ld:Streetlight:{n}", params={"options": "keyValues"})
    return r.json() if r.status_code == 200 else {}


def test_batch_create_all_ok_returns_ids(client: httpx.Client) -> None:
    r = client.post("/entityOperations/create", json=[light(1), light(2)])
    assert r.status_code == 201
    assert r.json() == ["urn:ngsi-ld:Streetlight:1", "urn:ngsi-ld:Streetlight:2"]


def test_batch_create_partial_failure_is_207_and_bad_entity_absent(client: httpx.Client) -> None:
    client.post("/entityOperations/create", json=[light(1)])
    bad = {"id": "not a uri", "type": "Streetlight"}
    broken_attr = light(4, powerState={"type": "Property"})  # no value
    r = client.post("/entityOperations/create", json=[light(1), light(3), bad, broken_attr])
    assert r.status_code == 207
    result = r.json()
    assert result["success"] == ["urn:ngsi-ld:Streetlight:3"]
    errors = {e["entityId"]: e["error"] for e in result["errors"]}
    assert errors["urn:ngsi-ld:Streetlight:1"]["status"] == 409
    assert errors["not a uri"]["status"] == 400
    assert errors["urn:ngsi-ld:Streetlight:4"]["type"].endswith("BadRequestData")
    assert kv(client, 3)["illuminanceLevel"] == 0.5
    assert kv(client, 4) == {}


def test_upsert_replace_and_update_modes(client: httpx.Client) -> None:
    client.post("/entityOperations/create", json=[light(1, 0.1, powerState="on")])
    r = client.post("/entityOperations/upsert", json=[light(1, 0.9), light(2)])
    assert r.status_code == 201 and r.json() == ["urn:ngsi-ld:Streetlight:2"]
    assert "powerState" not in kv(client, 1)  # replaced whole
    r = client.post(
        "/entityOperations/upsert",
        params={"options": "update"},
        json=[
            {
                "id": "urn:ngsi-ld:Streetlight:1",
                "type": "Streetlight",
                "powerState": {"type": "Property", "value": "off"},
            }
        ],
    )
    assert r.status_code == 204
    assert kv(client, 1)["powerState"] == "off" and kv(client, 1)["illuminanceLevel"] == 0.9


def test_batch_update_merge_and_delete(client: httpx.Client) -> None:
    client.post("/entityOperations/create", json=[light(1), light(2, powerState="on")])
    r = client.post(
        "/entityOperations/update",
        json=[
            {
                "id": "urn:ngsi-ld:Streetlight:1",
                "illuminanceLevel": {"type": "Property", "value": 1},
            },
            {
                "id": "urn:ngsi-ld:Streetlight:404",
                "illuminanceLevel": {"type": "Property", "value": 1},
            },
        ],
    )
    assert r.status_code == 207
    assert r.json()["errors"][0]["error"]["status"] == 404
    assert kv(client, 1)["illuminanceLevel"] == 1
    r = client.post(
        "/entityOperations/merge",
        json=[
            {
                "id": "urn:ngsi-ld:Streetlight:2",
                "powerState": "urn:ngsi-ld:null",
                "illuminanceLevel": {"type": "Property", "value": 0.2},
            }
        ],
    )
    assert r.status_code == 204, r.text
    assert kv(client, 2) == {
        "id": "urn:ngsi-ld:Streetlight:2",
        "type": "Streetlight",
        "illuminanceLevel": 0.2,
    }
    r = client.post(
        "/entityOperations/delete", json=["urn:ngsi-ld:Streetlight:1", "urn:ngsi-ld:Streetlight:9"]
    )
    assert r.status_code == 207 and r.json()["success"] == ["urn:ngsi-ld:Streetlight:1"]
    assert kv(client, 1) == {}
    r = client.post("/entityOperations/delete", json=["urn:ngsi-ld:Streetlight:2"])
    assert r.status_code == 204


def test_batch_rejects_non_arrays_and_duplicate_ids(client: httpx.Client) -> None:
    assert client.post("/entityOperations/create", json={"id": "x"}).status_code == 400
    assert client.post("/entityOperations/create", json=[]).status_code == 400
    r = client.post("/entityOperations/create", json=[light(1), light(1)])
    assert r.status_code == 207 and r.json()["success"] == ["urn:ngsi-ld:Streetlight:1"]
