"""Temporal history over HTTP on both stores: every change kept, filtered, aggregated, edited."""

from __future__ import annotations

import statistics
from typing import Any

import httpx
import pytest

E = "urn:ngsi-ld:AirQualityObserved:nanshan-01"
T = "/temporal/entities"
READINGS = [  # (observedAt in Shanghai time, pm25)
    ("2026-11-01T09:00:00+08:00", 30.0),
    ("2026-11-01T15:00:00+08:00", 42.0),
    ("2026-11-02T09:00:00+08:00", 18.0),
    ("2026-11-02T20:00:00+08:00", 18.0),
    ("2026-11-03T09:00:00+08:00", 55.0),
]


@pytest.fixture
def history(client: httpx.Client) -> httpx.Client:
    first_at, first = READINGS[0]
    r = client.post(
        "/entities",
        json={
            "id": E,
            "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": first, "observedAt": first_at, "unitCode": "GQ"},
            "name": {"type": "Property", "value": "南山站"},
        },
    )
    assert r.status_code == 201
    for at, value in READINGS[1:]:
        r = client.patch(
            f"/entities/{E}/attrs",
            json={"pm25": {"type": "Property", "value": value, "observedAt": at, "unitCode": "GQ"}},
        )
        assert r.status_code == 204
    return client


def values(body: dict[str, Any], attr: str = "pm25") -> list[float]:
    return [i["value"] for i in body[attr]]


def test_every_change_is_kept_in_order(history: httpx.Client) -> None:
    body = history.get(f"{T}/{E}").json()
    assert values(body) == [v for _, v in READINGS]
    assert body["pm25"][0]["observedAt"] == "2026-11-01T01:00:00Z"
    assert all(i["instanceId"].startswith("urn:ngsi-ld:Instance:") for i in body["pm25"])
    assert values(body, "name") == ["南山站"]


def test_timerel_filters_and_last_n(history: httpx.Client) -> None:
    after = history.get(f"{T}/{E}", params={"timerel": "after", "timeAt": "2026-11-02T00:00:00Z"})
    assert values(after.json()) == [18.0, 18.0, 55.0]
    before = history.get(f"{T}/{E}", params={"timerel": "before", "timeAt": "2026-11-01T12:00:00Z"})
    assert values(before.json()) == [30.0, 42.0]
    between = history.get(
        f"{T}/{E}",
        params={
            "timerel": "between",
            "attrs": "pm25",
            "timeAt": "2026-11-01T05:00:00Z",
            "endTimeAt": "2026-11-02T05:00:00Z",
        },
    )
    assert values(between.json()) == [42.0, 18.0] and "name" not in between.json()
    last = history.get(f"{T}/{E}", params={"lastN": 2, "attrs": "pm25"})
    assert values(last.json()) == [18.0, 55.0]


def test_temporal_values_representation(history: httpx.Client) -> None:
    body = history.get(f"{T}/{E}", params={"options": "temporalValues", "attrs": "pm25"}).json()
    assert body["pm25"]["type"] == "Property"
    assert body["pm25"]["values"][0] == [30.0, "2026-11-01T01:00:00Z"]
    assert len(body["pm25"]["values"]) == 5


def test_aggregated_values_by_day(history: httpx.Client) -> None:
    r = history.get(
        f"{T}/{E}",
        params={
            "options": "aggregatedValues",
            "aggrMethods": "totalCount,distinctCount,sum,avg,min,max,stddev,sumsq",
            "aggrPeriodDuration": "P1D",
            "timerel": "after",
            "timeAt": "2026-11-01T00:00:00Z",
            "attrs": "pm25",
        },
    )
    assert r.status_code == 200, r.text
    pm = r.json()["pm25"]
    days = {"2026-11-01": [30.0, 42.0], "2026-11-02": [18.0, 18.0], "2026-11-03": [55.0]}
    assert [row[1][:10] for row in pm["avg"]] == list(days)
    for i, vals in enumerate(days.values()):
        assert pm["totalCount"][i][0] == len(vals)
        assert pm["distinctCount"][i][0] == len(set(vals))
        assert pm["sum"][i][0] == pytest.approx(sum(vals))
        assert pm["avg"][i][0] == pytest.approx(statistics.fmean(vals))
        assert (pm["min"][i][0], pm["max"][i][0]) == (min(vals), max(vals))
        assert pm["stddev"][i][0] == pytest.approx(statistics.pstdev(vals))
        assert pm["sumsq"][i][0] == pytest.approx(sum(v * v for v in vals))
    assert pm["avg"][0][2] == "2026-11-02T00:00:00Z"


def test_temporal_query_by_type(history: httpx.Client) -> None:
    r = history.get(
        T,
        params={
            "type": "AirQualityObserved",
            "timerel": "after",
            "timeAt": "2026-11-03T00:00:00Z",
            "attrs": "pm25",
        },
    )
    assert r.status_code == 200
    assert [values(e) for e in r.json()] == [[55.0]]
    post = history.post(
        "/temporal/entityOperations/query",
        json={
            "type": "Query",
            "entities": [{"type": "AirQualityObserved"}],
            "attrs": ["pm25"],
            "temporalQ": {"timerel": "before", "timeAt": "2026-11-01T02:00:00Z"},
        },
    )
    assert [values(e) for e in post.json()] == [[30.0]]


def test_temporal_writes(client: httpx.Client) -> None:
    body = {
        "id": E,
        "type": "AirQualityObserved",
        "pm25": [
            {"type": "Property", "value": 10, "observedAt": "2026-10-01T00:00:00Z"},
            {"type": "Property", "value": 12, "observedAt": "2026-10-02T00:00:00Z"},
        ],
    }
    assert client.post(T, json=body).status_code == 201
    assert client.get(f"/entities/{E}", params={"options": "keyValues"}).json()["pm25"] == 12
    more = {"pm25": [{"type": "Property", "value": 14, "observedAt": "2026-10-03T00:00:00Z"}]}
    assert client.post(f"{T}/{E}/attrs", json=more).status_code == 204
    body["pm25"][1]["value"] = 13  # the reading of 2 October corrected
    body["pm25"].append(
        {
            "type": "Property",
            "value": 9,
            "observedAt": "2026-10-02T00:00:00Z",
            "datasetId": "urn:ngsi-ld:Dataset:backup",
        }
    )
    assert client.post(T, json=body).status_code == 204  # existing: sent again, replaced
    got = client.get(f"{T}/{E}").json()
    assert values(got) == [10, 13, 9, 14]  # one reading per attribute, dataset and time
    daily = client.get(
        f"{T}/{E}",
        params={
            "options": "aggregatedValues",
            "aggrMethods": "sum,totalCount",
            "aggrPeriodDuration": "P1D",
            "timerel": "after",
            "timeAt": "2026-10-01T00:00:00Z",
        },
    ).json()["pm25"]
    assert [r[0] for r in daily["totalCount"]] == [1, 2, 1]
    assert [r[0] for r in daily["sum"]] == [10, 22, 14]
    first = got["pm25"][0]["instanceId"]
    r = client.patch(
        f"{T}/{E}/attrs/pm25/{first}",
        json={"pm25": {"type": "Property", "value": 11, "observedAt": "2026-10-01T00:00:00Z"}},
    )
    assert r.status_code == 204
    assert values(client.get(f"{T}/{E}").json())[0] == 11
    assert client.delete(f"{T}/{E}/attrs/pm25/{first}").status_code == 204
    assert client.delete(f"{T}/{E}/attrs/pm25/{first}").status_code == 404
    assert len(client.get(f"{T}/{E}").json()["pm25"]) == 3
    assert client.delete(f"{T}/{E}/attrs/pm25").status_code == 204  # the default dataset
    assert values(client.get(f"{T}/{E}").json()) == [9]
    assert client.delete(f"{T}/{E}/attrs/pm25", params={"deleteAll": "true"}).status_code == 204
    assert "pm25" not in client.get(f"{T}/{E}").json()
    assert client.delete(f"{T}/{E}").status_code == 204
    assert client.get(f"/entities/{E}").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"timerel": "during", "timeAt": "2026-11-01T00:00:00Z"},
        {"timerel": "after"},
        {
            "timerel": "between",
            "timeAt": "2026-11-02T00:00:00Z",
            "endTimeAt": "2026-11-01T00:00:00Z",
        },
        {"timerel": "after", "timeAt": "yesterday"},
        {"options": "aggregatedValues"},
        {"options": "aggregatedValues", "aggrMethods": "median"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1 day"},
        {"lastN": "0"},
        {"timeproperty": "expiredAt"},
    ],
)
def test_bad_temporal_parameters(history: httpx.Client, params: dict[str, str]) -> None:
    r = history.get(f"{T}/{E}", params=params)
    assert r.status_code == 400, (params, r.text)
    assert r.headers["content-type"] == "application/json"  # NGSI-LD's ProblemDetails


def test_hourly_rollups_answer_whole_hour_periods_and_follow_edits(history: httpx.Client) -> None:
    params = {
        "options": "aggregatedValues",
        "aggrMethods": "totalCount,avg,min,max,sum",
        "aggrPeriodDuration": "P1D",
        "timerel": "after",
        "timeAt": "2026-11-01T00:00:00Z",
        "attrs": "pm25",
    }
    pm = history.get(f"{T}/{E}", params=params).json()["pm25"]
    assert [r[0] for r in pm["totalCount"]] == [2, 2, 1]
    assert [r[0] for r in pm["avg"]] == pytest.approx([36.0, 18.0, 55.0])
    assert [r[0] for r in pm["max"]] == [42.0, 18.0, 55.0]
    instances = history.get(f"{T}/{E}", params={"attrs": "pm25"}).json()["pm25"]
    second = instances[1]["instanceId"]  # 42.0 on the first day
    assert history.delete(f"{T}/{E}/attrs/pm25/{second}").status_code == 204
    pm = history.get(f"{T}/{E}", params=params).json()["pm25"]
    assert [r[0] for r in pm["totalCount"]] == [1, 2, 1]
    assert [r[0] for r in pm["max"]] == [30.0, 18.0, 55.0]
    hourly = {
        **params,
        "aggrPeriodDuration": "PT1H",
        "timerel": "between",
        "endTimeAt": "2026-11-01T02:00:00Z",
    }
    pm = history.get(f"{T}/{E}", params=hourly).json()["pm25"]
    assert pm["sum"] == [[30.0, "2026-11-01T01:00:00Z", "2026-11-01T02:00:00Z"]]


def test_a_deleted_attribute_keeps_its_deletion_in_history(history: httpx.Client) -> None:
    assert history.delete(f"/entities/{E}/attrs/pm25").status_code == 204
    deleted = history.get(f"{T}/{E}", params={"timeproperty": "deletedAt"}).json()
    assert list(deleted) == ["id", "type", "pm25"]  # name was not deleted
    [gone] = deleted["pm25"]
    assert gone["type"] == "Property" and gone["value"] == "urn:ngsi-ld:null"
    assert gone["deletedAt"].endswith("Z") and gone["instanceId"].startswith("urn:ngsi-ld:")
    simple = history.get(
        f"{T}/{E}", params={"timeproperty": "deletedAt", "options": "temporalValues"}
    ).json()
    assert simple["pm25"]["values"] == [["urn:ngsi-ld:null", gone["deletedAt"]]]
    # the readings are unchanged: a deletion is no observation and no aggregate counts it
    assert values(history.get(f"{T}/{E}").json()) == [v for _, v in READINGS]
    counts = history.get(
        f"{T}/{E}",
        params={
            "options": "aggregatedValues",
            "aggrMethods": "totalCount",
            "aggrPeriodDuration": "P1D",
            "timerel": "after",
            "timeAt": "2026-11-01T00:00:00Z",
        },
    ).json()
    assert [r[0] for r in counts["pm25"]["totalCount"]] == [2, 2, 1]
    # a relationship and a language property deleted by a merge with NGSI-LD Null
    history.post(
        f"/entities/{E}/attrs",
        json={
            "near": {"type": "Relationship", "object": "urn:ngsi-ld:Road:1"},
            "label": {"type": "LanguageProperty", "languageMap": {"zh": "南山", "en": "Nanshan"}},
        },
    )
    r = history.patch(
        f"/entities/{E}", json={"near": "urn:ngsi-ld:null", "label": "urn:ngsi-ld:null"}
    )
    assert r.status_code == 204, r.text
    deleted = history.get(f"{T}/{E}", params={"timeproperty": "deletedAt"}).json()
    assert deleted["near"][0]["object"] == "urn:ngsi-ld:null"
    assert deleted["label"][0]["languageMap"] == {"@none": "urn:ngsi-ld:null"}


def test_day_periods_without_time_at_are_the_citys_days(client: httpx.Client) -> None:
    """06:00 in Shenzhen is 22:00 UTC the day before: by the city's day it counts with the
    evening after it, not with the morning before."""
    ident = "urn:ngsi-ld:AirQualityObserved:local-days"
    readings = [
        ("2026-11-01T09:00:00+08:00", 10.0),
        ("2026-11-02T06:00:00+08:00", 20.0),  # 2026-11-01T22:00Z
        ("2026-11-02T21:00:00+08:00", 30.0),
    ]
    at, value = readings[0]
    made = client.post(
        "/entities",
        json={"id": ident, "type": "AirQualityObserved",
              "pm25": {"type": "Property", "value": value, "observedAt": at}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    for at, value in readings[1:]:
        r = client.patch(
            f"/entities/{ident}/attrs",
            json={"pm25": {"type": "Property", "value": value, "observedAt": at}},
        )
        assert r.status_code == 204
    asked = {"options": "aggregatedValues", "aggrMethods": "sum", "aggrPeriodDuration": "P1D"}
    daily = client.get(f"{T}/{ident}", params=asked).json()["pm25"]["sum"]
    assert daily == [
        [10.0, "2026-10-31T16:00:00Z", "2026-11-01T16:00:00Z"],
        [50.0, "2026-11-01T16:00:00Z", "2026-11-02T16:00:00Z"],
    ]
    # the same days asked for explicitly, with the city's offset in timeAt
    local = client.get(
        f"{T}/{ident}",
        params={**asked, "timerel": "after", "timeAt": "2026-11-01T00:00:00+08:00"},
    ).json()["pm25"]["sum"]
    assert local == daily
    utc = client.get(
        f"{T}/{ident}", params={**asked, "timerel": "after", "timeAt": "2026-11-01T00:00:00Z"}
    ).json()["pm25"]["sum"]
    assert [row[0] for row in utc] == [30.0, 30.0]  # UTC days, when that is what is asked
