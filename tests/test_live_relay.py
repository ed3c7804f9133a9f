"""The PostgreSQL relay of the live feed: what another process's commit costs this one, and who
hears it.

A note heard from another process is read back from the store only while a page of this
process watches the tenant; with no page open it costs no query. Processes of one city (one
schema) hear each other; a city in another schema of the same database hears nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from cityhub.broker.changes import Change
from cityhub.broker.normalize import parse_entity
from cityhub.config import Settings
from cityhub.dashboard.relay import ChangeRelay
from cityhub.hub import Hub
from tests.conftest import _store_url

pytestmark = pytest.mark.backend("postgres")


def _bus(hub: Hub, ident: str) -> Change:
    entity = parse_entity(
        {"id": ident, "type": "Bus", "speed": {"type": "Property", "value": 3}},
        hub.contexts.vocabulary.core,
        "2026-12-01T00:00:00Z",
    )
    hub.entities.create("", entity)
    return Change(entity, ["speed"], created=True)


def test_heard_changes_are_read_back_only_while_a_page_watches(hub: Hub) -> None:
    entity = _bus(hub, "urn:ngsi-ld:Bus:r1").entity
    delivered: list[tuple[str, list[Change]]] = []
    watching = {"": False}
    relay = ChangeRelay(
        hub.store,
        hub.settings.database_url,
        lambda tenant, changes: delivered.append((tenant, changes)),
        lambda tenant: watching.get(tenant, False),
    )
    try:
        note = {"id": entity.id, "types": entity.types, "attrs": ["speed"], "created": False,
                "deleted": False}  # fmt: skip
        payload = orjson.dumps({"origin": "another", "tenant": "", "changes": [note]}).decode()
        relay._heard(payload)
        assert delivered == []  # nobody watches: nothing read, nothing handed on
        watching[""] = True
        relay._heard(payload)
        [(tenant, changes)] = delivered
        assert tenant == "" and changes[0].entity.id == entity.id
        assert changes[0].entity.attrs  # read back whole from the store
        own = orjson.dumps({"origin": relay.origin, "tenant": "", "changes": [note]}).decode()
        relay._heard(own)
        assert len(delivered) == 1  # this process's own commit is not delivered twice
    finally:
        relay.close()


@pytest.fixture
def other_city(tmp_path: Path) -> Iterator[Hub]:
    """A second city in its own schema of the same database."""
    for url in _store_url("postgres", tmp_path):
        made = Hub.open(Settings(database_url=url))
        try:
            yield made
        finally:
            made.close()


def test_a_citys_processes_hear_each_other_and_another_schemas_city_hears_nothing(
    hub: Hub, other_city: Hub
) -> None:
    heard: dict[str, list[str]] = {"sibling": [], "stranger": []}

    def relay(city: Hub, name: str) -> ChangeRelay:
        def deliver(tenant: str, changes: list[Change]) -> None:
            heard[name].extend(c.entity.id for c in changes)

        return ChangeRelay(city.store, city.settings.database_url, deliver)

    relays = [relay(hub, "writer"), relay(hub, "sibling"), relay(other_city, "stranger")]
    try:
        _bus(other_city, "urn:ngsi-ld:Bus:r2")  # the id exists in both cities
        time.sleep(0.5)  # the listeners are connected
        relays[0].on_commit("", [_bus(hub, "urn:ngsi-ld:Bus:r2")])
        deadline = time.monotonic() + 10
        while not heard["sibling"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heard["sibling"] == ["urn:ngsi-ld:Bus:r2"]
        time.sleep(1.0)  # the stranger had as long again to hear it
        assert heard["stranger"] == []
    finally:
        for made in relays:
            made.close()
