"""The demo city: shipped Shenzhen districts, devices inside them, readings that change."""

from __future__ import annotations

import random
from pathlib import Path

from shapely.geometry import Point, shape

from cityhub.demo.city import load_demo_city
from cityhub.demo.simulate import simulate_once
from cityhub.hub import Hub
from cityhub.store.records import EntityFilter
from cityhub.timeutil import city_today, now_us

DISTRICT = "https://uri.etsi.org/ngsi-ld/default-context/District"


def test_demo_loads_ten_districts_and_devices_inside_them(hub: Hub) -> None:
    districts, devices = load_demo_city(hub.entities, hub.contexts.vocabulary, devices=60)
    assert (districts, devices) == (10, 60)
    loaded = list(hub.store.iter_entities("", EntityFilter(any_types=(DISTRICT,))))
    names = {
        e.attrs["https://uri.etsi.org/ngsi-ld/default-context/name"][0]["languageMap"]["zh"]
        for e in loaded
    }
    assert {"福田区", "南山区", "大鹏区"} <= names and len(names) == 10
    polygons = {
        e.id: shape(e.attrs["https://uri.etsi.org/ngsi-ld/location"][0]["value"]) for e in loaded
    }
    vocabulary = hub.contexts.vocabulary  # each kind in its Smart Data Models domain's terms
    for entity in hub.store.iter_entities("", EntityFilter()):
        if entity.types == [DISTRICT]:
            continue
        core = vocabulary.terms_of(entity.types[0])
        lon, lat = entity.attrs[core.expand("location")][0]["value"]["coordinates"]
        district = entity.attrs[core.expand("refDistrict")][0]["object"]
        assert polygons[district].contains(Point(lon, lat)), entity.id
    assert load_demo_city(hub.entities, hub.contexts.vocabulary, devices=60) == (10, 60)  # rerun ok


def test_simulator_changes_readings(hub: Hub) -> None:
    load_demo_city(hub.entities, hub.contexts.vocabulary, devices=50)
    before = {e.id: e.modified_at for e in hub.store.iter_entities("", EntityFilter())}
    changed = simulate_once(hub, random.Random(5), share=0.5)
    after = {e.id: e.modified_at for e in hub.store.iter_entities("", EntityFilter())}
    assert changed > 0
    assert sum(before[i] != after[i] for i in before) == changed


def test_a_city_can_bring_its_own_boundaries(hub: Hub, tmp_path: Path) -> None:
    own = tmp_path / "town.geojson"
    own.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"name":"东城"},"geometry":{"type":"Polygon","coordinates":'
        "[[[116.4,39.9],[116.45,39.9],[116.45,39.95],[116.4,39.95],[116.4,39.9]]]}}]}",
        encoding="utf-8",
    )
    assert load_demo_city(hub.entities, hub.contexts.vocabulary, 5, "Beijing", own) == (1, 5)


def test_demo_files_citizen_requests_once(hub: Hub) -> None:
    import datetime as dt

    from cityhub.demo.requests import file_demo_requests
    from cityhub.store.citizen_sql import RequestFilter

    assert file_demo_requests(hub.requests, count=25) == 25
    assert file_demo_requests(hub.requests, count=25) == 0  # a second run adds nothing
    rows = hub.store.requests.list_requests(RequestFilter(), 100)
    assert len(rows) == 25
    assert all(r.district and r.district.endswith("区") for r in rows)
    assert {"dispatched", "in_progress", "resolved"} <= {r.status for r in rows}
    assert any(r.satisfaction for r in rows)
    now = dt.datetime.now(dt.UTC)
    assert hub.requests.rates(now - dt.timedelta(days=30), now)


def test_demo_publishes_its_catalogue_once(hub: Hub) -> None:
    from cityhub.catalog.datastore import RowQuery
    from cityhub.catalog.policy import ANONYMOUS
    from cityhub.demo.catalog import publish_demo_datasets

    assert publish_demo_datasets(hub) == 4
    assert publish_demo_datasets(hub) == 0
    names = {d.name for d in hub.catalog.datasets()}
    assert names == {"shenzhen-districts", "prd-daily-pm25", "bus-stops", "hotline-callers"}
    callers = hub.catalog.dataset("hotline-callers")
    assert callers.share_type == "conditional" and callers.level == 4 and callers.confirmed
    version = hub.catalog.version(callers)
    assert {c["id"]: c["kinds"] for c in version.columns}["身份证号"] == ["id_card"]
    stops = hub.catalog.rows(ANONYMOUS, "bus-stops", RowQuery(limit=1))
    assert stops.total > 1000 and stops.access.via == "open"


def test_demo_runs_its_survey_and_proposal_board_once(hub: Hub) -> None:
    from cityhub.catalog.datastore import RowQuery
    from cityhub.catalog.policy import Reader
    from cityhub.demo.survey import FORM_ID, load_demo_proposals, run_demo_survey
    from cityhub.store.participation_sql import ProposalFilter

    stored = run_demo_survey(hub)
    assert run_demo_survey(hub) == 0  # a second run adds nothing
    progress = hub.surveys.progress(FORM_ID)
    assert progress["mode"] == "sample" and progress["invited"] == 800
    assert progress["responses"] == stored and 0.3 < progress["rate"] < 0.5
    rates = [s["rate"] for s in progress["strata"]]
    assert len(rates) == 10 and max(rates) - min(rates) > 0.1  # non-response differs
    # the register stays restricted and masked; the results are open aggregates
    anyone = Reader("anonymous", "", "anonymous")
    register = hub.catalog.dataset("resident-register")
    assert register.share_type == "conditional"
    results = hub.catalog.rows(anyone, "survey-sz_public_services_2026", RowQuery(limit=500))
    assert results.access.via == "open"
    city = next(r for r in results.records if r["variable"] == "index" and r["domain"] == "全市")
    values = {v.place: v.value for v in hub.indicators.values("public_satisfaction_index")}
    assert abs(values["city"] - float(city["estimate"])) < 1e-3 and 40 < values["city"] < 80
    withheld = [r for r in results.records if r["suppressed"] is True]
    assert withheld and all(r["estimate"] is None for r in withheld)
    assert load_demo_proposals(hub) == 12 and load_demo_proposals(hub) == 0
    board = hub.proposals.find(ProposalFilter(), 50)
    assert {p.status for p in board} == {"open", "accepted", "in_study", "rejected"}
    overdue = hub.proposals.find(ProposalFilter(overdue_at_us=now_us()), 50)
    assert overdue and all(p.answered_us is None for p in overdue)


def test_demo_home_care_is_synthetic_planned_and_loaded_once(hub: Hub) -> None:
    from cityhub.auth.principal import Principal
    from cityhub.demo.homecare import DEPARTMENT, NOTE, load_demo_homecare

    made = load_demo_homecare(hub)
    assert made > 60 and load_demo_homecare(hub) == 0
    office = Principal("t", DEPARTMENT, "staff")
    clients = hub.homecare.clients(office, None, True, 1000, 0)
    assert len(clients) == 60 and all(c["note"] == NOTE and "idNumber" not in c for c in clients)
    orders = hub.homecare.orders(office, city_today(hub.settings.timezone), None, (), None)
    visits = [o for o in orders if o["priority"] == "normal"]
    assert len(visits) == made and sum(o["status"] == "assigned" for o in visits) > made / 2
    alarms = [o for o in orders if o["priority"] == "urgent"]
    assert len(alarms) == 2 and all(o["acceptedSeconds"] < 60 for o in alarms)
