"""M5: bodies are limited while they stream in; L2: bad numbers, dates and nesting are 400s;
L3: CKAN takes form posts; L4: one bad entity is one error in a 207; L5: self-intersecting
polygons are refused; M7: reading assessments writes nothing."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.security.conftest import City

HUGE = 2_000_000  # the city's body limit is 256 KiB


def _chunks(total: int, size: int = 65536):  # type: ignore[no-untyped-def]
    sent = 0
    while sent < total:
        yield b"0" * size
        sent += size


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/api/3/action/package_search", "application/json"),
        ("/iot/json?k=x&i=y", "application/json"),
        ("/indicators/v1/indicators/gdp/series", "text/csv"),
        ("/open311/v2/requests.json", "application/x-www-form-urlencoded"),
        ("/ngsi-ld/v1/entities", "application/json"),
    ],
)
def test_bodies_over_the_limit_are_refused_while_streaming(
    city: City, path: str, ctype: str
) -> None:
    headers = {"Content-Type": ctype, **city.headers("admin")}
    r = httpx.post(city.base + path, content=_chunks(HUGE), headers=headers, timeout=30)
    assert 400 <= r.status_code < 500, r.text
    if not path.startswith(("/api/", "/open311")):
        assert "limit" in r.json()["detail"]


def test_out_of_range_input_is_a_client_error(city: City, tenant: str) -> None:
    big = str(2**63)
    bad_gets = [
        f"/ngsi-ld/v1/entities?type=T&offset={big}",
        f"/ngsi-ld/v1/temporal/entities?type=T&lastN={big}",
        "/ngsi-ld/v1/temporal/entities?type=T&options=aggregatedValues&aggrMethods=max"
        "&aggrPeriodDuration=P99999999999Y",
        f"/citizen/v1/requests/{big}",
        f"/open311/v2/requests/{big}.json",
        f"/catalog/v1/audit?offset={big}",
        "/open311/v2/requests.json?start_date=9999-12-31T00:00:00-23:59",
        "/ngsi-ld/v1/entities?type=" + "(" * 2000 + "T" + ")" * 2000,
        "/ngsi-ld/v1/entities?type=T&q=" + "(" * 2000 + "a==1" + ")" * 2000,
    ]
    with city.client("admin", tenant) as admin:
        for path in bad_gets:
            r = admin.get(path)
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        seeded = {
            "id": "urn:ngsi-ld:T:agg",
            "type": "T",
            "v": {"type": "Property", "value": 1, "observedAt": "2026-01-01T00:00:00Z"},
        }
        assert admin.post("/ngsi-ld/v1/entities", json=seeded).status_code == 201
        for period in ("PT0S", "PT0.000001S", "P1000Y"):
            r = admin.get(
                "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:T:agg",
                params={
                    "options": "aggregatedValues",
                    "aggrMethods": "max",
                    "aggrPeriodDuration": period,
                },
            )
            assert r.status_code == 200, (period, r.text)
        for observed in (
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999-23:59",
            "0001-01-01T00:00:00+23:59",
        ):
            e = {
                "id": "urn:ngsi-ld:T:dates",
                "type": "T",
                "v": {"type": "Property", "value": 1, "observedAt": observed},
            }
            r = admin.post("/ngsi-ld/v1/entities", json=e)
            assert r.status_code == 400, (observed, r.text)
        deep: object = 1
        for _ in range(300):
            deep = {"a": deep}
        r = admin.post(
            "/ngsi-ld/v1/entities",
            json={
                "id": "urn:ngsi-ld:T:deep",
                "type": "T",
                "v": {"type": "Property", "value": deep},
            },
        )
        assert r.status_code == 400
        r = admin.post("/citizen/v1/requests/1/actions", json={"action": "merge", "into": 2**64})
        assert 400 <= r.status_code < 500


def test_one_bad_entity_is_one_error_in_the_batch(city: City, tenant: str) -> None:
    deep: object = 1
    for _ in range(100):
        deep = [deep]
    batch = [
        {"id": "urn:ngsi-ld:T:ok1", "type": "T", "v": {"type": "Property", "value": 1}},
        {"id": "urn:ngsi-ld:T:bad", "type": "T", "v": {"type": "Property", "value": deep}},
        {"id": "urn:ngsi-ld:T:ok2", "type": "T", "v": {"type": "Property", "value": 2}},
    ]
    with city.client("admin", tenant) as admin:
        for op in ("create", "upsert"):
            r = admin.post(f"/ngsi-ld/v1/entityOperations/{op}", json=batch)
            assert r.status_code == 207, (op, r.text)
            assert [e["entityId"] for e in r.json()["errors"]] == ["urn:ngsi-ld:T:bad"]
        assert admin.get("/ngsi-ld/v1/entities/urn:ngsi-ld:T:ok2").status_code == 200


def test_self_intersecting_polygons_are_refused(city: City, tenant: str) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[114, 22], [114.1, 22.1], [114.1, 22], [114, 22.1], [114, 22]]],
    }
    with city.client("admin", tenant) as admin:
        r = admin.post(
            "/ngsi-ld/v1/entities",
            json={
                "id": "urn:ngsi-ld:T:bowtie",
                "type": "T",
                "area": {"type": "GeoProperty", "value": bowtie},
            },
        )
        assert r.status_code == 400 and "Self-intersection" in r.json()["detail"]
        r = admin.get(
            "/ngsi-ld/v1/entities",
            params={
                "type": "T",
                "georel": "within",
                "geometry": "Polygon",
                "coordinates": str(bowtie["coordinates"]).replace(" ", ""),
            },
        )
        assert r.status_code == 400


def test_ckan_actions_take_form_posts(city: City) -> None:
    r = httpx.post(city.base + "/api/3/action/package_search", data={"q": "x", "rows": "5"})
    assert r.status_code == 200 and r.json()["success"]
    r = httpx.post(city.base + "/api/3/action/package_show", files={"id": (None, "nope")})
    assert r.status_code == 404 and r.json()["success"] is False


def test_reading_assessments_writes_nothing(city: City) -> None:
    before = city.hub.store.count_entities("", _kpi_filter(city))
    history = _history_rows(city)
    for _ in range(3):
        assert httpx.get(city.base + "/indicators/v1/assessments").status_code == 200
    assert city.hub.store.count_entities("", _kpi_filter(city)) == before
    assert _history_rows(city) == history


def _kpi_filter(city: City):  # type: ignore[no-untyped-def]
    from cityhub.store.records import EntityFilter

    return EntityFilter(
        any_types=(city.hub.contexts.vocabulary.expand_type("KeyPerformanceIndicator"),)
    )


def _history_rows(city: City) -> int:
    table = "attr_history"
    rows = city.hub.store._run(f"SELECT count(*) FROM {table}")  # type: ignore[attr-defined]
    return int(rows[0][0])


def test_malformed_spreadsheets_are_refused(city: City, tmp_path: os.PathLike[str]) -> None:
    import zipfile
    from pathlib import Path

    path = Path(tmp_path) / "bomb.xlsx"
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData>'
        "</worksheet>"
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, text in _xlsx_parts(laughs).items():
            z.writestr(name, text)
    with city.client("tr_staff") as staff:
        meta = {"name": "bomb-sheet", "org": "transport", "title": "炸弹"}
        assert staff.post("/catalog/v1/datasets", json=meta).status_code == 201
        r = staff.post(
            "/catalog/v1/datasets/bomb-sheet/versions",
            content=path.read_bytes(),
            headers={
                "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            },
        )
        assert r.status_code == 400, r.text


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xlsx_parts(sheet: str) -> dict[str, str]:
    """The smallest workbook package openpyxl opens, with the given first sheet."""
    head = '<?xml version="1.0"?>'
    return {
        "[Content_Types].xml": f'{head}<Types xmlns="{_PKG}/content-types">'
        f'<Override PartName="/xl/workbook.xml" ContentType="{XLSX}.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'{head}<Relationships xmlns="{_PKG}/relationships"><Relationship '
        f'Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{head}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
