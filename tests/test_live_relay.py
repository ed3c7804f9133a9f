"""The PostgreSQL relay of the live feed: what another process's commit costs this one.

A note heard from another process is read back from the store only while a page of this
process watches the tenant; with no page open it costs no query."""

from __future__ import annotations

import orjson
import pytest

from cityhub.broker.changes import Change
from cityhub.broker.normalize import parse_entity
from cityhub.dashboard.relay import ChangeRelay
from cityhub.hub import Hub

pytestmark = pytest.mark.backend("postgres")


def test_heard_changes_are_read_back_only_while_a_page_watches(hub: Hub) -> None:
    entity = parse_entity(
        {"id": "urn:ngsi-ld:Bus:r1", "type": "Bus", "speed": {"type": "Property", "value": 3}},
        hub.contexts.vocabulary.core,
        "2026-12-01T00:00:00Z",
    )
    hub.entities.create("", entity)
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
        payload = orjson.dumps({"pid": relay.pid + 1, "tenant": "", "changes": [note]}).decode()
        relay._heard(payload)
        assert delivered == []  # nobody watches: nothing read, nothing handed on
        watching[""] = True
        relay._heard(payload)
        [(tenant, changes)] = delivered
        assert tenant == "" and changes[0].entity.id == entity.id
        assert changes[0].entity.attrs  # read back whole from the store
        own = orjson.dumps({"pid": relay.pid, "tenant": "", "changes": [note]}).decode()
        relay._heard(own)
        assert len(delivered) == 1  # this process's own commit is not delivered twice
    finally:
        relay.close()
