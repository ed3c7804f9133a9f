"""Queries: type expressions, the q language, geo-queries, paging and counts, on both stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

FUTIAN = [[[114.00, 22.50], [114.10, 22.50], [114.10, 22.58], [114.00, 22.58], [114.00, 22.50]]]


def station(n: int, lon: float, lat: float, pm25: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{n:03d}",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": pm25},
        "status": {"type": "Property", "value": "ok" if pm25 < 75 else "alert"},
        "dateObserved": {
            "type": "Property",
            "value": {"@type": "DateTime", "@value": f"2026-11-{n % 28 + 1:02d}T00:00:00Z"},
        },
        "address": {"type": "Property", "value": {"district": "福田", "street": f"深南大道{n}号"}},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
        **extra,
    }


@pytest.fixture
def city(client: httpx.Client) -> httpx.Client:
    entities = [
        station(1, 114.05, 22.54, 20.0),
        station(2, 114.06, 22.55, 80.0),
        station(3, 113.93, 22.54, 40.0),  # Nanshan, outside the Futian box
        station(
            4,
            114.051,
            22.541,
            55.5,
            sensor={
                "type": "Property",
                "value": 1,
                "unitCode": "GQ",
                "observedAt": "2026-11-20T00:00:00Z",
            },
        ),
        {
            "id": "urn:ngsi-ld:ParkingSpot:1",
            "type": "ParkingSpot",
            "status": {"type": "Property", "value": "free"},
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [114.052, 22.542]},
            },
        },
        {
            "id": "urn:ngsi-ld:Both:1",
            "type": ["ParkingSpot", "WasteContainer"],
            "fillingLevel": {"type": "Property", "value": 0.9},
        },
    ]
    r = client.post("/entityOperations/create", json=entities)
    assert r.status_code == 201, r.text
    return client


def ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return sorted(e["id"].rsplit(":", 2)[-2] + ":" + e["id"].rsplit(":", 1)[-1] for e in r.json())


def q(client: httpx.Client, **params: Any) -> list[str]:
    return ids(client.get("/entities", params=params))


def test_type_expressions(city: httpx.Client) -> None:
    assert len(q(city, type="AirQualityObserved")) == 4
    assert q(city, type="ParkingSpot") == ["Both:1", "ParkingSpot:1"]
    assert len(q(city, type="ParkingSpot,AirQualityObserved")) == 6
    assert len(q(city, type="ParkingSpot|AirQualityObserved")) == 6
    assert q(city, type="ParkingSpot;WasteContainer") == ["Both:1"]
    assert q(city, type="(WasteContainer;ParkingSpot)|Nothing") == ["Both:1"]


def test_q_comparisons_ranges_lists_and_logic(city: httpx.Client) -> None:
    t = "AirQualityObserved"
    assert q(city, type=t, q="pm25>50") == ["AirQualityObserved:002", "AirQualityObserved:004"]
    assert q(city, type=t, q="pm25<=20") == ["AirQualityObserved:001"]
    assert q(city, type=t, q="pm25==20..45") == ["AirQualityObserved:001", "AirQualityObserved:003"]
    assert q(city, type=t, q="pm25==20,80") == ["AirQualityObserved:001", "AirQualityObserved:002"]
    assert q(city, type=t, q='status=="alert"') == ["AirQualityObserved:002"]
    assert len(q(city, type=t, q='status!="alert"')) == 3
    assert q(city, type=t, q="pm25>50;pm25<60") == ["AirQualityObserved:004"]
    assert q(city, type=t, q="pm25<25|pm25>75") == [
        "AirQualityObserved:001",
        "AirQualityObserved:002",
    ]
    assert q(city, type=t, q='(pm25<25|pm25>75);status=="ok"') == ["AirQualityObserved:001"]


def test_q_regex_compound_subattribute_and_existence(city: httpx.Client) -> None:
    t = "AirQualityObserved"
    assert q(city, type=t, q='address[street]=="深南大道3号"') == ["AirQualityObserved:003"]
    assert len(q(city, type=t, q="address[district]~=福.")) == 4
    assert q(city, type=t, q="sensor") == ["AirQualityObserved:004"]
    assert len(q(city, type=t, q="!sensor")) == 3
    assert q(city, type=t, q='sensor.unitCode=="GQ"') == ["AirQualityObserved:004"]
    assert q(city, type=t, q="sensor.observedAt>2026-11-19T00:00:00Z") == ["AirQualityObserved:004"]
    assert q(city, q="fillingLevel>=0.9") == ["Both:1"]


def test_q_datetimes(city: httpx.Client) -> None:
    got = q(city, type="AirQualityObserved", q="dateObserved>=2026-11-04T00:00:00Z")
    assert got == ["AirQualityObserved:003", "AirQualityObserved:004"]


@pytest.mark.parametrize("bad", ["pm25>", "pm25==(1", "(pm25>1", "pm25~=[", 'pm25=="x', ";"])
def test_invalid_q_is_bad_request(city: httpx.Client, bad: str) -> None:
    r = city.get("/entities", params={"type": "AirQualityObserved", "q": bad})
    assert r.status_code == 400, bad
    assert r.headers["content-type"] == "application/json"  # NGSI-LD's ProblemDetails


def test_geo_near_within_intersects_disjoint(city: httpx.Client) -> None:
    t = "AirQualityObserved"
    near = q(
        city, type=t, georel="near;maxDistance==500", geometry="Point", coordinates="[114.05,22.54]"
    )
    assert near == ["AirQualityObserved:001", "AirQualityObserved:004"]
    far = q(
        city,
        type=t,
        georel="near;minDistance==5000",
        geometry="Point",
        coordinates="[114.05,22.54]",
    )
    assert far == ["AirQualityObserved:003"]
    poly = str(FUTIAN).replace(" ", "")
    within = q(city, type=t, georel="within", geometry="Polygon", coordinates=poly)
    assert "AirQualityObserved:003" not in within and len(within) == 3
    assert len(q(city, type=t, georel="intersects", geometry="Polygon", coordinates=poly)) == 3
    assert q(city, type=t, georel="disjoint", geometry="Polygon", coordinates=poly) == [
        "AirQualityObserved:003"
    ]
    combined = q(
        city,
        type="AirQualityObserved,ParkingSpot",
        q='pm25>50|status=="free"',
        georel="near;maxDistance==400",
        geometry="Point",
        coordinates="[114.05,22.54]",
    )
    assert combined == ["AirQualityObserved:004", "ParkingSpot:1"]


@pytest.mark.parametrize(
    "params",
    [
        {"georel": "near", "geometry": "Point", "coordinates": "[114,22]"},
        {
            "georel": "within",
            "geometry": "Polygon",
            "coordinates": "[[[114,22],[115,22],[114,22]]]",
        },
        {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": "[914,22]"},
        {"georel": "near;maxDistance==10", "geometry": "Circle", "coordinates": "[114,22]"},
        {"georel": "touches", "geometry": "Point", "coordinates": "[114,22]"},
        {"georel": "within", "geometry": "Polygon"},
        {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": "not json"},
    ],
)
def test_invalid_geo_query_is_bad_request(city: httpx.Client, params: dict[str, str]) -> None:
    r = city.get("/entities", params={"type": "AirQualityObserved", **params})
    assert r.status_code == 400, r.text


def test_paging_and_count(city: httpx.Client) -> None:
    t = "AirQualityObserved"
    r = city.get("/entities", params={"type": t, "limit": 2, "count": "true"})
    assert r.headers["ngsild-results-count"] == "4" and len(r.json()) == 2
    second = city.get("/entities", params={"type": t, "limit": 2, "offset": 2}).json()
    assert {e["id"] for e in r.json()}.isdisjoint({e["id"] for e in second})
    r = city.get("/entities", params={"type": t, "q": "pm25>30", "limit": 1, "count": "true"})
    assert r.headers["ngsild-results-count"] == "3" and len(r.json()) == 1
    zero = city.get("/entities", params={"type": t, "limit": 0, "count": "true"})
    assert zero.json() == [] and zero.headers["ngsild-results-count"] == "4"
    assert city.get("/entities", params={"type": t, "limit": 5000}).status_code == 403
    assert city.get("/entities", params={"type": t, "limit": -1}).status_code == 400


def test_query_needs_a_selector(city: httpx.Client) -> None:
    assert city.get("/entities").status_code == 400


def test_id_idpattern_and_attrs(city: httpx.Client) -> None:
    got = q(city, id="urn:ngsi-ld:AirQualityObserved:001,urn:ngsi-ld:ParkingSpot:1")
    assert got == ["AirQualityObserved:001", "ParkingSpot:1"]
    assert q(city, idPattern="^urn:ngsi-ld:Parking.*") == ["ParkingSpot:1"]
    assert q(city, attrs="fillingLevel") == ["Both:1"]
    assert city.get("/entities", params={"idPattern": "(["}).status_code == 400


def test_geojson_feature_collection(city: httpx.Client) -> None:
    r = city.get(
        "/entities",
        params={"type": "AirQualityObserved"},
        headers={"Accept": "application/geo+json"},
    )
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 4
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])
    posted = city.post(
        "/entityOperations/query",
        json={"type": "Query", "entities": [{"type": "AirQualityObserved"}]},
        headers={"Accept": "application/geo+json"},
    )
    assert posted.status_code == 200 and posted.headers["content-type"] == "application/geo+json"
    assert posted.json()["features"] == body["features"]


def test_post_query_with_several_selectors(city: httpx.Client) -> None:
    query = {
        "type": "Query",
        "entities": [
            {"type": "ParkingSpot", "idPattern": ".*Parking.*"},
            {"id": "urn:ngsi-ld:AirQualityObserved:001", "type": "AirQualityObserved"},
        ],
    }
    assert ids(city.post("/entityOperations/query", json=query)) == [
        "AirQualityObserved:001",
        "ParkingSpot:1",
    ]
    geo = {
        "type": "Query",
        "entities": [{"type": "AirQualityObserved"}],
        "q": "pm25>30",
        "geoQ": {
            "georel": "near;maxDistance==2000",
            "geometry": "Point",
            "coordinates": [114.05, 22.54],
        },
    }
    assert ids(city.post("/entityOperations/query", json=geo)) == [
        "AirQualityObserved:002",
        "AirQualityObserved:004",
    ]


UNKNOWN_PARAMETERS = [
    ("GET", "/entities", {"type": "AirQualityObserved", "geoQ": "near;maxDistance==10"}),
    ("GET", "/entities/urn:ngsi-ld:AirQualityObserved:001", {"attributes": "pm25"}),
    ("POST", "/entities", {"invalidParams": "invalidValue"}),
    ("DELETE", "/entities", {"type": "Nothing", "limit": "5"}),
    ("GET", "/temporal/entities", {"type": "AirQualityObserved", "since": "2026-01-01"}),
    ("GET", "/types", {"detail": "true"}),
    ("GET", "/subscriptions", {"pageSize": "5"}),
    ("POST", "/entityOperations/delete", {"dryRun": "true"}),
]


@pytest.mark.parametrize("method,path,params", UNKNOWN_PARAMETERS)
def test_a_parameter_the_operation_does_not_define_is_refused(
    city: httpx.Client, method: str, path: str, params: dict[str, str]
) -> None:
    body = {"id": "urn:ngsi-ld:X:unknown-param", "type": "X"} if path == "/entities" else None
    if path.endswith("/delete"):
        body = ["urn:ngsi-ld:AirQualityObserved:001"]
    answer = city.request(method, path, params=params, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest"
    unknown = next(k for k in params if k not in ("type",))
    assert repr(unknown) in answer.json()["detail"]
    # Nothing was done: the entity the batch delete named is still there.
    assert city.get("/entities/urn:ngsi-ld:AirQualityObserved:001").status_code == 200


def test_every_parameter_the_operation_defines_is_taken(city: httpx.Client) -> None:
    spec = {"type": "AirQualityObserved", "local": "true", "lang": "zh", "count": "true"}
    assert city.get("/entities", params=spec).status_code == 200
    assert city.get("/types", params={"details": "true", "local": "true"}).status_code == 200
    one = city.get("/entities/urn:ngsi-ld:AirQualityObserved:001", params={"pick": "id,pm25"})
    assert one.status_code == 200 and set(one.json()) == {"id", "pm25"}


def test_a_query_url_encoded_twice_is_an_error_not_an_empty_answer(city: httpx.Client) -> None:
    twice = city.get(
        "/entities", params={"type": "AirQualityObserved", "q": "pm25%3E%3D10"}
    )  # the client escaped 'pm25>=10' before httpx escaped it again
    assert twice.status_code == 400 and "encoded twice" in twice.json()["detail"]
    assert len(city.get("/entities", params={"type": "AirQualityObserved", "q": "pm25>=10"}).json())
