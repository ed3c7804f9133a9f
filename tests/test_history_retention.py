"""History retention: raw instances older than a type's kept days are deleted in chunks; their
hourly roll-ups stay, survive later edits of the kept rows, and go only when the whole temporal
entity is deleted. Both stores, and the CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest

from cityhub.broker.retention import RetentionPolicy, prune
from cityhub.errors import BadRequestData
from cityhub.hub import Hub

NOW = dt.datetime.now(dt.UTC).replace(minute=30, second=0, microsecond=0)
OLD = NOW - dt.timedelta(days=3)
RECENT = NOW - dt.timedelta(hours=2)


def stamp(moment: dt.datetime, minutes: int = 0) -> str:
    return (moment + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sql(hub: Hub, text: str, *params: Any) -> list[tuple[Any, ...]]:
    if hub.store.dialect == "postgres":
        text = text.replace("?", "%s")
    return [tuple(r) for r in hub.store._run(text, params)]


def hour_us(moment: dt.datetime) -> int:
    return int(moment.replace(minute=0).timestamp()) * 1_000_000


def add(hub: Hub, entity_id: str, kind: str) -> None:
    readings = [(OLD, 0, 10.0), (OLD, 5, 20.0), (RECENT, 0, 30.0), (RECENT, 5, 50.0)]
    body = {
        "id": entity_id,
        "type": kind,
        "pm25": [
            {"type": "Property", "value": v, "observedAt": stamp(t, m)} for t, m, v in readings
        ],
    }
    hub.temporal.add("", body, hub.contexts.core)


def rollup(hub: Hub, entity_id: str) -> dict[int, tuple[int, float]]:
    rows = sql(hub, "SELECT hour_us, n, total FROM attr_rollup WHERE entity_id = ?", entity_id)
    return {int(h): (int(n), float(t)) for h, n, t in rows}


def test_pruned_hours_live_on_as_rollups(hub: Hub) -> None:
    add(hub, "urn:ngsi-ld:Sensor:1", "Sensor")
    add(hub, "urn:ngsi-ld:Gauge:1", "Gauge")  # no rule for gauges: kept whole
    before = rollup(hub, "urn:ngsi-ld:Sensor:1")
    assert before[hour_us(OLD)] == (2, 30.0) and before[hour_us(RECENT)] == (2, 80.0)
    policy = RetentionPolicy.parse("Sensor=1")
    removed = prune(hub.store, policy, hub.contexts.core.compact, int(NOW.timestamp() * 1e6))
    assert removed == {("", "Sensor"): 2}
    kept = sql(hub, "SELECT entity_id, observed_us FROM attr_history ORDER BY entity_id")
    assert [e for e, _ in kept].count("urn:ngsi-ld:Sensor:1") == 2
    assert [e for e, _ in kept].count("urn:ngsi-ld:Gauge:1") == 4
    assert rollup(hub, "urn:ngsi-ld:Sensor:1") == before  # the old hour is still summed
    # an edit of a kept instance rebuilds its hours from raw rows, not the pruned ones
    recent = sql(
        hub,
        "SELECT instance_id FROM attr_history WHERE entity_id = ? ORDER BY observed_us",
        "urn:ngsi-ld:Sensor:1",
    )
    pm25 = hub.contexts.core.expand("pm25")
    hub.temporal.delete_instance("", "urn:ngsi-ld:Sensor:1", pm25, recent[0][0])
    after = rollup(hub, "urn:ngsi-ld:Sensor:1")
    assert after == {hour_us(OLD): (2, 30.0), hour_us(RECENT): (1, 50.0)}
    # pruning again removes nothing more
    again = prune(hub.store, policy, hub.contexts.core.compact, int(NOW.timestamp() * 1e6))
    assert again == {("", "Sensor"): 0}
    # deleting the whole temporal entity takes its pruned hours with it
    hub.temporal.delete_entity("", "urn:ngsi-ld:Sensor:1")
    assert rollup(hub, "urn:ngsi-ld:Sensor:1") == {}


@pytest.mark.parametrize("text", ["x", "Sensor=0", "Sensor=-1", "Sensor=two"])
def test_a_bad_policy_is_refused(text: str) -> None:
    with pytest.raises(BadRequestData):
        RetentionPolicy.parse(text)


def test_policy_names_types_and_a_default() -> None:
    policy = RetentionPolicy.parse("ParkingSpot=2, *=30")
    assert policy.kept_days("https://x/ParkingSpot", "ParkingSpot") == 2
    assert policy.kept_days("https://x/Other", "Other") == 30
    assert RetentionPolicy.parse("7").kept_days("t", "t") == 7
    assert not RetentionPolicy.parse("")


@pytest.mark.backend("sqlite")
def test_cli_prunes_and_says_how_much(hub: Hub) -> None:
    add(hub, "urn:ngsi-ld:Sensor:2", "Sensor")
    url = hub.settings.database_url
    out = subprocess.run(
        [sys.executable, "-m", "cityhub.cli", "history", "prune", "--keep", "Sensor=1",
         "--database", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Sensor: 2 raw rows removed" in out.stdout
    assert "raw history rows: 4 before, 2 after" in out.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "cityhub.cli", "history", "prune", "--database", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and refused.stderr.count("\n") == 1
    assert "no retention given" in refused.stderr


def test_the_demo_keeps_six_hours_of_its_simulated_types() -> None:
    from cityhub.cli.demo import DEMO_HISTORY_KEEP
    from cityhub.demo.readings import DEVICE_KINDS

    policy = RetentionPolicy.parse(DEMO_HISTORY_KEEP)
    assert {k: policy.kept_days("", k) for k in DEVICE_KINDS} == dict.fromkeys(DEVICE_KINDS, 0.25)
    assert policy.kept_days("", "Open311ServiceRequest") is None
