"""Hourly roll-ups written for a large batch (on PostgreSQL one statement over arrays) equal
the roll-ups rebuilt from raw history, after creations and replacements. Both stores."""

from __future__ import annotations

from typing import Any

import pytest

from cityhub.broker.batch import batch_upsert
from cityhub.hub import Hub
from cityhub.store import rollups

HOURS = ("2026-11-01T08:10:00Z", "2026-11-01T08:40:00Z", "2026-11-01T09:05:00Z")


def members(round_: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"urn:ngsi-ld:Sensor:{i}",
            "type": "Sensor",
            "pm25": {"type": "Property", "value": i * 1.5 + round_, "observedAt": HOURS[round_]},
            "status": {
                "type": "Property",
                "value": "busy" if (i + round_) % 3 else "idle",
                "observedAt": HOURS[round_],
            },
        }
        for i in range(60)  # 120 hour parts: more than a writer sends one statement each
    ]


def stored(hub: Hub) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    nums = hub.store._run(
        "SELECT entity_id, attr, hour_us, n, n_num, total, low, high, sumsq FROM attr_rollup "
        "ORDER BY entity_id, attr, hour_us"
    )
    keys = hub.store._run(
        "SELECT entity_id, attr, hour_us, value_key, n FROM attr_rollup_keys "
        "ORDER BY entity_id, attr, hour_us, value_key"
    )
    return [tuple(r) for r in nums], [tuple(r) for r in keys]


def test_batch_rollups_equal_a_rebuild_from_history(hub: Hub) -> None:
    core = hub.contexts.core
    for round_ in range(3):
        result = batch_upsert(hub.entities, "", members(round_), lambda _: core, False)
        assert not result.errors
    written = stored(hub)
    assert len(written[0]) == 60 * 2 * 2  # two attributes, two hours per sensor
    assert written[1]
    mark = "%s" if hub.store.dialect == "postgres" else "?"
    for sql in rollups.rebuild_sql(mark, False, keep_pruned=False):  # every hour, from raw
        for i in range(60):
            hub.store._run(sql, ("", f"urn:ngsi-ld:Sensor:{i}"), write=True)
    rebuilt = stored(hub)
    assert [r[:5] for r in rebuilt[0]] == [r[:5] for r in written[0]]
    for got, want in zip(written[0], rebuilt[0], strict=True):
        assert got[5:] == pytest.approx(want[5:]), got
    assert rebuilt[1] == written[1]
