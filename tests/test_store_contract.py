"""The store contract: every test runs against SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from cityhub.errors import AlreadyExists, SchemaTooNew
from cityhub.store import Store
from cityhub.store.records import ApiKey, Entity, EntityFilter, GeoFilter

T_SENSOR = "https://uri.etsi.org/ngsi-ld/default-context/Sensor"
T_ROAD = "https://uri.etsi.org/ngsi-ld/default-context/Road"
LOC = "https://uri.etsi.org/ngsi-ld/location"
NAME = "https://uri.etsi.org/ngsi-ld/default-context/name"


def sensor(n: int, lon: float, lat: float, types: list[str] | None = None) -> Entity:
    return Entity(
        id=f"urn:ngsi-ld:Sensor:{n}",
        types=types or [T_SENSOR],
        attrs={
            NAME: [{"type": "Property", "value": f"传感器{n}号"}],
            LOC: [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}],
        },
        created_at="2026-01-01T00:00:00.000000Z",
        modified_at="2026-01-01T00:00:00.000000Z",
    )


def test_inserted_entity_reads_back_with_chinese_text(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(1, 114.05, 22.54)])
    got = store.get_entity("sz", "urn:ngsi-ld:Sensor:1")
    assert got is not None
    assert got.attrs[NAME][0]["value"] == "传感器1号"
    assert got.types == [T_SENSOR]


def test_tenants_are_isolated(store: Store) -> None:
    with store.write("a") as tx:
        tx.insert([sensor(1, 114.0, 22.5)])
    assert store.get_entity("b", "urn:ngsi-ld:Sensor:1") is None
    assert store.tenant_exists("a") and not store.tenant_exists("b")
    assert store.count_entities("b", EntityFilter()) == 0


def test_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write("sz") as tx:
        tx.insert([sensor(1, 114.0, 22.5)])
        raise RuntimeError("boom")
    assert store.get_entity("sz", "urn:ngsi-ld:Sensor:1") is None


def test_duplicate_insert_is_already_exists_and_rolls_back(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(1, 114.0, 22.5)])
    with pytest.raises(AlreadyExists), store.write("sz") as tx:
        tx.insert([sensor(2, 114.0, 22.5), sensor(1, 114.0, 22.5)])
    assert store.get_entity("sz", "urn:ngsi-ld:Sensor:2") is None


def test_update_changes_document_types_and_geo_index(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(1, 114.0, 22.5)])
    with store.write("sz") as tx:
        entity = tx.get_many(["urn:ngsi-ld:Sensor:1"])["urn:ngsi-ld:Sensor:1"]
        entity.types.append(T_ROAD)
        entity.attrs[LOC][0]["value"]["coordinates"] = [113.9, 22.6]
        tx.update([entity])
    near_new = GeoFilter("near", {"type": "Point", "coordinates": [113.9, 22.6]}, LOC, 100.0)
    near_old = GeoFilter("near", {"type": "Point", "coordinates": [114.0, 22.5]}, LOC, 100.0)
    assert [e.id for e in store.iter_entities("sz", EntityFilter(geo=near_new))] == [
        "urn:ngsi-ld:Sensor:1"
    ]
    assert list(store.iter_entities("sz", EntityFilter(geo=near_old))) == []
    assert store.count_entities("sz", EntityFilter(any_types=(T_ROAD,))) == 1


def test_delete_removes_entity_and_its_indexes(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(1, 114.0, 22.5), sensor(2, 114.1, 22.6)])
    with store.write("sz") as tx:
        assert tx.delete(["urn:ngsi-ld:Sensor:1", "urn:ngsi-ld:Sensor:9"]) == 1
    assert store.count_entities("sz", EntityFilter(any_types=(T_SENSOR,))) == 1
    box = GeoFilter(
        "within",
        {
            "type": "Polygon",
            "coordinates": [[[113, 22], [115, 22], [115, 23], [113, 23], [113, 22]]],
        },
        LOC,
    )
    assert [e.id for e in store.iter_entities("sz", EntityFilter(geo=box))] == [
        "urn:ngsi-ld:Sensor:2"
    ]


def test_iteration_streams_in_chunks_and_pages(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(i, 114.0 + i * 1e-4, 22.5) for i in range(1234)])
    ids = [e.id for e in store.iter_entities("sz", EntityFilter(any_types=(T_SENSOR,)))]
    assert len(ids) == 1234 and len(set(ids)) == 1234
    page = list(store.iter_entities("sz", EntityFilter(any_types=(T_SENSOR,)), 10, 1000))
    assert [e.id for e in page] == ids[1000:1010]
    assert store.count_entities("sz", EntityFilter(ids=("urn:ngsi-ld:Sensor:5",))) == 1


def test_type_summaries_count_entities_and_attributes(store: Store) -> None:
    with store.write("sz") as tx:
        tx.insert([sensor(1, 114.0, 22.5), sensor(2, 114.0, 22.5, [T_SENSOR, T_ROAD])])
    summaries = {s.type: s for s in store.type_summaries("sz")}
    assert summaries[T_SENSOR].entity_count == 2
    assert summaries[T_ROAD].entity_count == 1
    assert summaries[T_SENSOR].attributes[LOC] == {"GeoProperty"}
    assert summaries[T_SENSOR].attribute_counts[NAME] == 2


def test_contexts_hosted_and_cached(store: Store) -> None:
    local = store.contexts.put_context(
        "", {"@context": {"温度": "https://example.org/temperature"}}, "Hosted"
    )
    assert store.contexts.get_hosted_context(local) == {
        "@context": {"温度": "https://example.org/temperature"}
    }
    store.contexts.put_context(
        "https://example.org/ctx.jsonld", {"@context": {"a": "urn:a"}}, "Cached"
    )
    assert store.contexts.get_context("https://example.org/ctx.jsonld") == {
        "@context": {"a": "urn:a"}
    }
    assert {c.kind for c in store.contexts.list_contexts()} == {"Hosted", "Cached"}
    assert store.contexts.delete_context(local) and not store.contexts.delete_context(local)


def test_api_keys_are_found_by_hash_only(store: Store) -> None:
    assert not store.keys.any()
    store.keys.add(ApiKey("key_1", "交通局", "staff", "", ("", "stats")), "h" * 64)
    assert store.keys.any()
    key = store.keys.by_secret("h" * 64)
    assert key is not None and key.department == "交通局" and key.tenants == ("", "stats")
    assert store.keys.by_secret("x" * 64) is None
    assert store.keys.replace_secret("key_1", "n" * 64) and store.keys.by_secret("h" * 64) is None
    store.keys.add_session("t" * 64, "key_1", "2999-01-01T00:00:00Z")
    assert store.keys.session_key("t" * 64) == ("key_1", "2999-01-01T00:00:00Z")
    assert store.keys.revoke("key_1") and not store.keys.revoke("key_1")
    revoked = store.keys.by_id("key_1")
    assert revoked is not None and revoked.revoked_at is not None
    assert store.keys.session_key("t" * 64) is None, "revoking ends the key's sessions"
    assert store.keys.any(), "a store that had keys stays secured after they are revoked"


def test_private_tenant_flag(store: Store) -> None:
    store.set_tenant_private("secret", True)
    assert store.tenant_is_private("secret")
    store.set_tenant_private("secret", False)
    assert not store.tenant_is_private("secret")


def test_migrations_are_recorded_and_a_newer_schema_is_refused(store: Store) -> None:
    store.migrate()  # idempotent
    if store.dialect == "sqlite":
        conn = store._writer  # type: ignore[attr-defined]
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future')")
    else:
        with store._pool.connection() as conn:  # type: ignore[attr-defined]
            conn.execute("INSERT INTO schema_migrations VALUES (999, 'future')")
    with pytest.raises(SchemaTooNew, match="999"):
        store.migrate()


def test_a_job_lease_has_one_holder_until_it_lapses_or_is_released(store: Store) -> None:
    leases = store.leases
    assert leases.take("refresh", "a", 60)
    assert leases.take("refresh", "a", 60)  # the holder renews
    assert not leases.take("refresh", "b", 60)
    assert leases.take("other-job", "b", 60)  # leases are per job
    leases.release("refresh", "b")  # only the holder can release
    assert not leases.take("refresh", "b", 60)
    leases.release("refresh", "a")
    assert leases.take("refresh", "b", 0.05)
    time.sleep(0.1)  # b's short lease lapses: a takes the job over
    assert leases.take("refresh", "a", 60)
    assert not leases.take("refresh", "b", 60)


def test_holders_racing_for_a_lease_get_one(store: Store) -> None:
    """Eight threads race for the same lease, many times: exactly one wins each round."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        for round_ in range(20):
            holders = [str(h) for h in range(8)]
            won = list(pool.map(store.leases.take, [f"job-{round_}"] * 8, holders, [60] * 8))
            assert won.count(True) == 1, won
