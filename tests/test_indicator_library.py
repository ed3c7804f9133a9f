"""Every shipped indicator definition runs its own tests ([[tests]] in its TOML) on both stores.

A test gives the data (device readings, citizen requests, series points, entities, or the values
of the indicators it derives from), the window, and the values expected per place and period.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest

from cityhub.broker.batch import batch_upsert
from cityhub.hub import Hub
from cityhub.indicators.definitions import Definition, Library
from cityhub.indicators.periods import local_day, parse_period
from cityhub.store.citizen_sql import RequestRow
from cityhub.store.indicator_sql import IndicatorValue
from cityhub.store.records import HistoryRow
from cityhub.timeutil import parse_datetime

LIBRARY = Library.load()
CASES = [(d.id, i) for d in LIBRARY.all() for i in range(len(d.tests))]
DAY_US = 86_400_000_000


def us(text: str) -> int:
    return int(parse_datetime(text).timestamp() * 1_000_000)


def test_library_has_at_least_thirty_definitions_each_with_a_test() -> None:
    assert len(LIBRARY) >= 30
    untested = [d.id for d in LIBRARY.all() if not d.tests]
    assert untested == []
    kinds = {d.kind for d in LIBRARY.all()}
    assert kinds == {"history", "requests", "entities", "series", "derived", "sql"}


def _entities(hub: Hub, d: Definition, case: dict[str, Any]) -> None:
    entity_type = case.get("type", d.compute.get("entity_type"))
    docs = []
    for n, (_district, lon, lat) in enumerate(case.get("entities", [])):
        docs.append(
            {
                "id": f"urn:ngsi-ld:{entity_type}:t:{n}",
                "type": entity_type,
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [lon, lat]},
                },
            }
        )
    for name, area in case.get("districts", []):
        docs.append(
            {
                "id": f"urn:ngsi-ld:District:t:{uuid.uuid4().hex[:6]}",
                "type": "District",
                "districtCode": {"type": "Property", "value": name},
                "areaKm2": {"type": "Property", "value": area},
            }
        )
    if docs:
        batch_upsert(hub.entities, "", docs, hub.contexts.vocabulary.of_body, update_only=False)


def _history(hub: Hub, d: Definition, case: dict[str, Any]) -> None:
    entity_type = case.get("type", d.compute.get("entity_type"))
    core = hub.contexts.vocabulary.terms(entity_type)  # as the platform writes that type
    attr = core.expand(case.get("attribute", d.compute.get("attribute")))
    seen: dict[str, str] = {}
    rows = []
    for n, (suffix, district, when, value) in enumerate(case["history"]):
        ident = f"urn:ngsi-ld:{entity_type}:t:{suffix}"
        seen[ident] = district
        at = us(when)
        number = float(value) if isinstance(value, int | float) else None
        instance = {"type": "Property", "value": value, "observedAt": when}
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        rows.append(HistoryRow(ident, attr, f"urn:t:{n}", None, at, at, number, key, instance))
    docs = [
        {"id": i, "type": entity_type, "areaServed": {"type": "Property", "value": p}}
        for i, p in seen.items()
    ]
    batch_upsert(hub.entities, "", docs, lambda _: core, update_only=False)
    with hub.store.write("") as writer:
        writer.append_history(rows)


def _requests(hub: Hub, case: dict[str, Any]) -> None:
    rows = []
    for n, r in enumerate(case["requests"]):
        at = us(r["requested"])
        resolved = at + int(r["resolved_days"] * DAY_US) if "resolved_days" in r else None
        responded = at + int(r["responded_days"] * DAY_US) if "responded_days" in r else None
        rows.append(
            RequestRow(
                id=0,
                token=uuid.uuid4().hex,
                service_code="test",
                status="closed" if resolved else "dispatched",
                department=r.get("department"),
                category=None,
                confidence=None,
                urgency="normal",
                district=r.get("district"),
                street=None,
                lat=None,
                lon=None,
                requested_us=at,
                updated_us=at,
                response_due_us=at + DAY_US,
                deadline_us=at + int(r["deadline_days"] * DAY_US),
                responded_us=responded,
                resolved_us=resolved,
                escalation=int(r.get("escalation", 0)),
                merged_into=1 if r.get("merged") else None,
                satisfaction=r.get("satisfaction"),
                doc={"n": n},
            )
        )
    with hub.store.write("") as writer:
        writer.insert_requests(rows)


@pytest.mark.parametrize(("ident", "number"), CASES, ids=[f"{i}-{n}" for i, n in CASES])
def test_definition_computes_its_expected_values(
    hub: Hub, backend: str, ident: str, number: int
) -> None:
    d = LIBRARY.get(ident)
    case = d.tests[number]
    service = hub.indicators
    if "history" in case:
        _history(hub, d, case)
    if "requests" in case:
        _requests(hub, case)
    if "entities" in case or "districts" in case:
        _entities(hub, d, case)
    if "series" in case:
        points = []
        for place, label, value in case["series"]:
            start, _ = parse_period(label).bounds_us(hub.settings.timezone)
            points.append((place, start, float(value)))
        hub.store.indicators.put_series(str(d.compute.get("series", d.id)), points, replace=True)
    for source, values in case.get("inputs", {}).items():
        hub.store.indicators.put_indicator_values(
            source,
            [
                IndicatorValue(
                    source, place, label, *parse_period(label).bounds_us("Asia/Shanghai"), v, 1, 0
                )
                for place, label, v in values
            ],
        )
    now_us = us(case["now"]) if "now" in case else None
    today = local_day(now_us, hub.settings.timezone) if now_us else dt.date.today()
    first, last = (dt.date.fromisoformat(x) for x in case.get("window", [today.isoformat()] * 2))
    rows = service.engine.values_of(d, _window(first, last), now_us or _now_us())
    got = {(r.place, r.period): r.value for r in rows}
    for place, label, expected in case["expect"]:
        if label == "CURRENT_YEAR":
            label = str(today.year)
        assert (place, label) in got, f"{ident}: no value for {place} {label}; got {sorted(got)}"
        assert got[(place, label)] == pytest.approx(expected, rel=1e-6), (ident, place, label)


def _window(first: dt.date, last: dt.date) -> Any:
    from cityhub.indicators.compute import Window

    return Window(first, last)


def _now_us() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)


def test_device_districts_are_reused_until_the_devices_change(hub: Hub) -> None:
    """Each assessment needs every device's district; the map is kept while the type's count
    holds, and made again when a device is added."""
    engine = hub.indicators.engine
    walks: list[str] = []
    walk = engine._walk_members

    def counted(entity_type: str, places: Any) -> list[tuple[str, str]]:
        walks.append(entity_type)
        return walk(entity_type, places)

    engine._walk_members = counted  # type: ignore[method-assign]

    def station(n: int, district: str) -> dict[str, Any]:
        return {
            "id": f"urn:ngsi-ld:Probe:{n}",
            "type": "Probe",
            "areaServed": {"type": "Property", "value": district},
        }

    core = hub.contexts.core
    batch_upsert(
        hub.entities, "", [station(1, "福田区"), station(2, "南山区")], lambda _: core, False
    )
    first = engine.members("Probe", ("city", "district"))
    assert sorted(first) == sorted(
        [
            ("urn:ngsi-ld:Probe:1", "city"),
            ("urn:ngsi-ld:Probe:1", "福田区"),
            ("urn:ngsi-ld:Probe:2", "city"),
            ("urn:ngsi-ld:Probe:2", "南山区"),
        ]
    )
    assert engine.members("Probe", ("district", "city")) == first and walks == ["Probe"]
    batch_upsert(hub.entities, "", [station(3, "罗湖区")], lambda _: core, False)
    third = engine.members("Probe", ("city", "district"))
    assert ("urn:ngsi-ld:Probe:3", "罗湖区") in third and walks == ["Probe", "Probe"]
