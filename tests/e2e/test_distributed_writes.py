"""Writes through registrations (NGSI-LD 4.3.6) between two real brokers on loopback: the
city's (A) and a partner's (B). What an exclusive, redirect or inclusive registration sends to
B and keeps at A, each checked on both brokers with `local=true`; a dead source reported in a
207 without holding up the answer; registrations that take no part in writes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port
from tests.e2e.test_federation import broker, pytestmark  # noqa: F401  (e2e mark)

NGSI = "/ngsi-ld/v1"


def register(a: str, endpoint: str, mode: str, name: str, **info: Any) -> None:
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{name}",
        "type": "ContextSourceRegistration",
        "information": [info],
        "endpoint": endpoint,
        "mode": mode,
        "operations": info.pop("operations", ["redirectionOps"]),
    }
    answer = httpx.post(a + NGSI + "/csourceRegistrations", json=reg)
    assert answer.status_code == 201, answer.text


def held(base: str, entity_id: str) -> dict[str, Any] | None:
    """The entity as this broker itself holds it (None if it does not)."""
    answer = httpx.get(f"{base}{NGSI}/entities/{entity_id}", params={"local": "true"})
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def prop(value: object) -> dict[str, object]:
    return {"type": "Property", "value": value}


def test_exclusive_and_redirect_registrations_move_writes(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        bus = "urn:ngsi-ld:Bus:7"
        register(a.base, b.base, "exclusive", "speed", entities=[{"id": bus, "type": "Bus"}],
                 propertyNames=["speed"])  # fmt: skip
        register(a.base, b.base, "redirect", "parking", entities=[{"type": "Parking"}])
        entities = a.base + NGSI + "/entities"

        created = httpx.post(
            entities, json={"id": bus, "type": "Bus", "route": prop("M7"), "speed": prop(30)}
        )
        assert created.status_code == 201, created.text
        here, there = held(a.base, bus), held(b.base, bus)
        assert here is not None and "route" in here and "speed" not in here
        assert there is not None and there["speed"]["value"] == 30 and "route" not in there

        patched = httpx.patch(f"{entities}/{bus}/attrs/speed", json={"value": 45})
        assert patched.status_code == 204, patched.text
        assert held(b.base, bus)["speed"]["value"] == 45  # type: ignore[index]
        assert "speed" not in held(a.base, bus)  # type: ignore[operator]
        assert httpx.patch(f"{entities}/{bus}/attrs", json={"route": prop("M8")}).status_code == 204
        assert held(a.base, bus)["route"]["value"] == "M8"  # type: ignore[index]
        assert "route" not in held(b.base, bus)  # type: ignore[operator]
        assert httpx.delete(f"{entities}/{bus}/attrs/speed").status_code == 204
        assert "speed" not in held(b.base, bus)  # type: ignore[operator]

        lot = "urn:ngsi-ld:Parking:p9"
        made = httpx.post(entities, json={"id": lot, "type": "Parking", "free": prop(12)})
        assert made.status_code == 201, made.text
        assert held(a.base, lot) is None and held(b.base, lot)["free"]["value"] == 12  # type: ignore[index]
        assert httpx.get(f"{entities}/{lot}").json()["free"]["value"] == 12  # read through A
        # made again: the write's only part failed at B, and B's answer is the answer
        again = httpx.post(entities, json={"id": lot, "type": "Parking", "free": prop(1)})
        assert again.status_code == 409, again.text
        assert again.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"
        assert httpx.delete(f"{entities}/{lot}").status_code == 204
        assert held(b.base, lot) is None
        # a copy made here before the registration goes with the deletion too
        copy = {"id": "urn:ngsi-ld:Parking:old", "type": "Parking"}
        assert httpx.post(entities, json=copy, params={"local": "true"}).status_code == 201
        assert httpx.post(b.base + NGSI + "/entities", json=copy).status_code == 201
        assert httpx.delete(f"{entities}/{copy['id']}").status_code == 204
        assert held(a.base, copy["id"]) is None and held(b.base, copy["id"]) is None


def test_inclusive_writes_go_to_both_and_a_failed_part_is_reported(
    backend: str, tmp_path: Path
) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        register(a.base, b.base, "inclusive", "shared", entities=[{"type": "Sensor"}])
        entities = a.base + NGSI + "/entities"
        sensor = {"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor", "pm25": prop(31)}
        assert httpx.post(entities, json=sensor).status_code == 201
        assert held(a.base, sensor["id"]) is not None and held(b.base, sensor["id"]) is not None

        # created again: A refuses (409), B refuses too; each failed part is one error
        again = httpx.post(entities, json=sensor)
        assert again.status_code == 207, again.text
        errors = again.json()["errors"]
        assert sorted(e["error"]["status"] for e in errors) == [409, 409]
        assert [e.get("registrationId") for e in errors].count(
            "urn:ngsi-ld:ContextSourceRegistration:shared"
        ) == 1

        # B holds an entity A does not: updated there, and the client hears A did not hold it
        other = {"id": "urn:ngsi-ld:Sensor:2", "type": "Sensor", "pm25": prop(5)}
        assert httpx.post(b.base + NGSI + "/entities", json=other).status_code == 201
        update = httpx.patch(f"{entities}/{other['id']}/attrs", json={"pm25": prop(6)})
        assert update.status_code == 207, update.text
        assert update.json()["success"] == [other["id"]]
        assert [e["error"]["status"] for e in update.json()["errors"]] == [404]
        assert held(b.base, other["id"])["pm25"]["value"] == 6  # type: ignore[index]
        # an attribute A holds no instance of, where B updated it: no error
        extra = {"no2": {"type": "Property", "value": 3, "datasetId": "urn:ngsi-ld:d:1"}}
        assert httpx.post(f"{entities}/{sensor['id']}/attrs", json=extra).status_code == 204
        one = httpx.patch(f"{entities}/{sensor['id']}/attrs/no2", json={"value": 4})
        assert one.status_code == 207  # held as a dataset instance at both: no default one
        httpx.post(f"{b.base}{NGSI}/entities/{sensor['id']}/attrs", json={"no2": prop(1)})
        one = httpx.patch(f"{entities}/{sensor['id']}/attrs/no2", json={"value": 4})
        assert one.status_code == 204, one.text  # B had a default instance: updated there
        instances = held(b.base, sensor["id"])["no2"]  # type: ignore[index]
        assert [i["value"] for i in instances if "datasetId" not in i] == [4]
        # held nowhere: both parts fail, and the client hears of both
        nowhere = httpx.patch(f"{entities}/urn:ngsi-ld:Sensor:404/attrs", json={"pm25": prop(1)})
        assert nowhere.status_code == 207, nowhere.text
        assert [e["error"]["status"] for e in nowhere.json()["errors"]] == [404, 404]


def test_a_dead_source_is_a_failed_part_not_a_stall(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a:
        dead = f"http://127.0.0.1:{free_port()}"
        register(a.base, dead, "inclusive", "dead", entities=[{"type": "Sensor"}])
        started = time.monotonic()
        answer = httpx.post(
            a.base + NGSI + "/entities",
            json={"id": "urn:ngsi-ld:Sensor:9", "type": "Sensor", "pm25": prop(1)},
            timeout=10,
        )
        assert time.monotonic() - started < 2.5
        assert answer.status_code == 207, answer.text
        (error,) = answer.json()["errors"]
        assert error["registrationId"] == "urn:ngsi-ld:ContextSourceRegistration:dead"
        assert error["error"]["status"] == 503
        assert answer.json()["success"] == ["urn:ngsi-ld:Sensor:9"]
        assert held(a.base, "urn:ngsi-ld:Sensor:9") is not None  # the part kept here is whole


def test_registrations_without_write_operations_see_no_writes(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        register(a.base, b.base, "inclusive", "reads", entities=[{"type": "Sensor"}],
                 operations=["federationOps"])  # fmt: skip
        register(a.base, b.base, "auxiliary", "aux", entities=[{"type": "Sensor"}],
                 operations=["redirectionOps"])  # fmt: skip
        sensor = {"id": "urn:ngsi-ld:Sensor:3", "type": "Sensor", "pm25": prop(8)}
        assert httpx.post(a.base + NGSI + "/entities", json=sensor).status_code == 201
        assert held(a.base, sensor["id"]) is not None
        assert held(b.base, sensor["id"]) is None
        # and a write on another type is never sent, even where a registration supports it
        register(a.base, b.base, "redirect", "buses", entities=[{"type": "Bus"}])
        assert httpx.delete(f"{a.base}{NGSI}/entities/{sensor['id']}").status_code == 204
        assert held(a.base, sensor["id"]) is None


def test_batches_are_split_per_source(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        batch_ops = ["createBatch", "upsertBatch", "deleteBatch"]
        register(a.base, b.base, "exclusive", "speeds", operations=batch_ops,
                 entities=[{"idPattern": "urn:ngsi-ld:Bus:.*", "type": "Bus"}],
                 propertyNames=["speed"])  # fmt: skip
        register(a.base, f"http://127.0.0.1:{free_port()}", "redirect", "dead",
                 operations=batch_ops, entities=[{"type": "Tram"}])  # fmt: skip
        ops = a.base + NGSI + "/entityOperations"
        buses = [
            {"id": f"urn:ngsi-ld:Bus:{n}", "type": "Bus", "route": prop(f"M{n}"), "speed": prop(n)}
            for n in (1, 2)
        ]
        created = httpx.post(ops + "/create", json=buses)
        assert created.status_code == 201, created.text
        assert sorted(created.json()) == ["urn:ngsi-ld:Bus:1", "urn:ngsi-ld:Bus:2"]
        for bus in buses:
            here, there = held(a.base, bus["id"]), held(b.base, bus["id"])  # type: ignore[arg-type]
            assert here is not None and "speed" not in here and "route" in here
            assert there is not None and "route" not in there and "speed" in there

        upsert = [{"id": "urn:ngsi-ld:Bus:1", "type": "Bus", "speed": prop(60)}]
        assert httpx.post(ops + "/upsert", json=upsert).status_code == 204
        assert held(b.base, "urn:ngsi-ld:Bus:1")["speed"]["value"] == 60  # type: ignore[index]

        tram = {"id": "urn:ngsi-ld:Tram:1", "type": "Tram", "line": prop("T1")}
        mixed = httpx.post(ops + "/create", json=[tram, {"id": "urn:ngsi-ld:Bus:3", "type": "Bus"}])
        assert mixed.status_code == 207, mixed.text
        assert mixed.json()["success"] == ["urn:ngsi-ld:Bus:3"]
        (error,) = mixed.json()["errors"]
        assert error["entityId"] == tram["id"] and error["registrationId"].endswith(":dead")
        assert held(a.base, tram["id"]) is None  # redirected: nothing of it is kept here

        deleted = httpx.post(ops + "/delete", json=["urn:ngsi-ld:Bus:1", "urn:ngsi-ld:Bus:2"])
        assert deleted.status_code == 204, deleted.text
        for n in (1, 2):
            assert held(a.base, f"urn:ngsi-ld:Bus:{n}") is None
            assert held(b.base, f"urn:ngsi-ld:Bus:{n}") is None
