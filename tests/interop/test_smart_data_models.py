"""Smart Data Models as FIWARE clients send them: their published @contexts resolve offline
from the shipped copies, and each shipped model's examples (normalized and keyValues) go in and
come back out exactly, on both stores."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cityhub.demo.city import load_demo_city
from cityhub.jsonld import smart_data_models
from tests.conftest import Server

EXAMPLES = Path(__file__).parents[1] / "fixtures" / "smart_data_models"
FILES = sorted(EXAMPLES.glob("*.jsonld"))


def _link(url: str) -> str:
    return f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


@pytest.mark.parametrize("example", FILES, ids=lambda p: p.stem)
def test_an_example_goes_in_and_comes_back_exactly(server: Server, example: Path) -> None:
    doc: dict[str, Any] = json.loads(example.read_text(encoding="utf-8"))
    contexts = doc["@context"] if isinstance(doc["@context"], list) else [doc["@context"]]
    sdm = next(c for c in contexts if "smart-data-models" in c)
    headers = {"NGSILD-Tenant": "sdm" + uuid.uuid4().hex[:8]}
    made = httpx.post(
        server.base + "/ngsi-ld/v1/entities",
        content=json.dumps(doc),
        headers={**headers, "Content-Type": "application/ld+json"},
    )
    assert made.status_code == 201, made.text
    key_values = not example.stem.endswith("-normalized")
    back = httpx.get(
        f"{server.base}/ngsi-ld/v1/entities/{doc['id']}",
        params={"options": "keyValues"} if key_values else {},
        headers={**headers, "Link": _link(sdm)},
    )
    assert back.status_code == 200, back.text
    expected = {k: v for k, v in doc.items() if k != "@context"}
    assert back.json() == expected


def test_every_published_url_resolves_offline(server: Server) -> None:
    resolver = server.hub.contexts
    assert server.hub.settings.context_fetch == "deny"  # nothing may be downloaded
    for domain in smart_data_models.DOMAINS:
        documents = [resolver.document(url) for url in smart_data_models.published_urls(domain)]
        assert all(d == documents[0] for d in documents) and "@context" in documents[0]


def test_a_query_in_the_vocabulary_finds_what_was_written_in_it(server: Server) -> None:
    parking = smart_data_models.published_urls("Parking")[0]
    headers = {"NGSILD-Tenant": "sdm" + uuid.uuid4().hex[:8], "Link": _link(parking)}
    spot = {
        "id": "urn:ngsi-ld:ParkingSpot:futian-1",
        "type": "ParkingSpot",
        "status": "occupied",
        "address": {
            "type": "PostalAddress",
            "addressLocality": "深圳",
            "streetAddress": "深南大道",
        },
    }
    made = httpx.post(server.base + "/ngsi-ld/v1/entities", json=spot, headers=headers)
    assert made.status_code == 201, made.text
    found = httpx.get(
        server.base + "/ngsi-ld/v1/entities",
        params={"type": "ParkingSpot", "q": 'status=="occupied"', "options": "keyValues"},
        headers=headers,
    ).json()
    assert [e["id"] for e in found] == [spot["id"]]
    assert found[0]["address"] == spot["address"]  # a typed JSON object value, kept whole
    # Without the vocabulary the terms are the Smart Data Models' full IRIs.
    plain = httpx.get(
        f"{server.base}/ngsi-ld/v1/entities/{spot['id']}",
        headers={"NGSILD-Tenant": headers["NGSILD-Tenant"]},
    ).json()
    assert plain["type"] == "https://smartdatamodels.org/dataModel.Parking/ParkingSpot"


def test_the_city_the_platform_writes_is_found_in_the_models_own_terms(server: Server) -> None:
    """A FIWARE-style client naming a domain's published context finds the demo city's devices,
    the KPIs the indicator service publishes and the citizen requests, under the short names."""
    tenant = "sdmcity" + uuid.uuid4().hex[:8]
    load_demo_city(server.hub.entities, server.hub.contexts.vocabulary, devices=10, tenant=tenant)
    base = server.base + "/ngsi-ld/v1/entities"

    def query(domain: str | None, params: dict[str, str], tenant: str = tenant) -> list[Any]:
        headers = {"NGSILD-Tenant": tenant} if tenant else {}
        if domain:
            headers["Link"] = _link(smart_data_models.published_urls(domain)[0])
        reply = httpx.get(base, params={**params, "limit": "100"}, headers=headers)
        assert reply.status_code == 200, reply.text
        found: list[Any] = reply.json()
        return found

    spots = query("Parking", {"type": "ParkingSpot", "options": "keyValues"})
    assert len(spots) == 2 and all(s["status"] in {"free", "occupied"} for s in spots)
    assert all(s["type"] == "ParkingSpot" and "refDistrict" in s for s in spots)
    assert query(None, {"type": "ParkingSpot"}) == []  # the core vocabulary names another type
    air = query("Environment", {"type": "AirQualityObserved", "q": "pm25>0"})
    assert len(air) == 2 and all(a["pm25"]["unitCode"] == "GQ" for a in air)
    bins = query("WasteManagement", {"type": "WasteContainer", "attrs": "fillingLevel"})
    assert len(bins) == 2 and all("fillingLevel" in b for b in bins)
    districts = query(None, {"type": "District"})  # no shipped domain defines a district
    assert len(districts) == 10

    series = "year,gdp_100m_cny\n" + "".join(
        f"{y},{1000 + 80 * (y - 2015)}\n" for y in range(2015, 2020)
    )
    made = httpx.post(
        server.base + "/indicators/v1/indicators/gdp/series",
        content=series.encode(),
        headers={"content-type": "text/csv"},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    computed = httpx.post(
        server.base + "/indicators/v1/compute", json={"indicators": ["gdp_growth"]}, timeout=60
    )
    assert computed.status_code == 200, computed.text
    kpis = query(
        "KeyPerformanceIndicator",
        {"type": "KeyPerformanceIndicator", "q": 'indicatorId=="gdp_growth"'},
        tenant="",
    )
    assert kpis and {"kpiValue", "calculationPeriod"} <= set(kpis[0])

    text = f"路灯不亮 {uuid.uuid4().hex[:6]}"
    filed = httpx.post(
        server.base + "/open311/v2/requests.json",
        data={"service_code": "road", "description": text, "lat": "22.5431", "long": "114.0579"},
    )
    assert filed.status_code == 201, filed.text
    requests = query(
        "IssueTracking", {"type": "Open311ServiceRequest", "q": 'service_code=="road"'}, tenant=""
    )
    mine = [r for r in requests if r["description"]["value"] == text]
    assert len(mine) == 1 and mine[0]["service_code"]["value"] == "road"
