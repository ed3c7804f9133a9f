"""Open311 GeoReport v2 against a real server on both stores: JSON and XML, form posts,
the spec's errors (and nothing stored on error), and an independent client from PyPI."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import httpx
import pytest
from georeport import GeoReport

from tests.conftest import Server

FUTIAN = {"lat": "22.5431", "long": "114.0579"}  # Shenzhen Civic Center, 福田区
NANSHAN = {"lat": "22.5333", "long": "113.9304"}  # 南山区


@pytest.fixture
def o311(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base + "/open311/v2", timeout=20) as http:
        yield http


def post(http: httpx.Client, fmt: str = "json", **form: str) -> httpx.Response:
    return http.post(f"/requests.{fmt}", data=form)


def stored_count(server: Server) -> int:
    from cityhub.store.citizen_sql import RequestFilter

    return server.hub.store.requests.count_requests(RequestFilter())


def test_services_list_in_json_and_xml_name_the_same_services(o311: httpx.Client) -> None:
    as_json = o311.get("/services.json")
    assert as_json.status_code == 200
    codes = [s["service_code"] for s in as_json.json()]
    assert {"noise", "road", "hotline", "wages"} <= set(codes)
    noise = next(s for s in as_json.json() if s["service_code"] == "noise")
    assert noise["metadata"] is True and noise["type"] == "realtime"
    assert "噪声" in noise["service_name"]
    as_xml = o311.get("/services.xml")
    assert as_xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(as_xml.content)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert root.find("service[service_code='noise']/metadata").text == "true"  # type: ignore[union-attr]


def test_service_definition_lists_attributes_of_every_datatype(o311: httpx.Client) -> None:
    datatypes = set()
    for code in ("noise", "road", "wages"):
        body = o311.get(f"/services/{code}.json").json()
        assert body["service_code"] == code
        for attr in body["attributes"]:
            assert {"variable", "code", "datatype", "required", "order", "description"} <= set(attr)
            datatypes.add(attr["datatype"])
    assert datatypes == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    root = ET.fromstring(o311.get("/services/noise.xml").content)
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute[code='source']/values/value/key")
    assert [v.text for v in values] == ["construction", "venue", "traffic", "neighbour"]
    missing = o311.get("/services/nope.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404


def test_discovery_names_the_spec_and_formats(o311: httpx.Client) -> None:
    body = o311.get("/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "text/xml" in endpoint["formats"]
    root = ET.fromstring(o311.get("/discovery.xml").content)
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]


def test_post_form_with_attributes_then_read_it_back(server: Server, o311: httpx.Client) -> None:
    reply = post(
        o311,
        service_code="noise",
        description="深南大道工地夜间施工，噪音扰民到凌晨两点",
        email="resident@example.cn",
        **{
            "attribute[source]": "construction",
            "attribute[occurs_at]": "2026-11-24T23:30:00+08:00",
        },
        **FUTIAN,
    )
    assert reply.status_code == 201, reply.text
    answer = reply.json()[0]
    request_id = answer["service_request_id"]
    assert isinstance(request_id, str) and answer["token"]
    one = o311.get(f"/requests/{request_id}.json").json()
    assert len(one) == 1
    item = one[0]
    assert item["service_request_id"] == request_id
    assert item["status"] == "open"
    assert item["service_code"] == "noise"
    assert item["agency_responsible"] == "生态环境局"  # the service's owner
    assert item["district"] == "福田区"
    assert item["lat"] == pytest.approx(22.5431) and item["long"] == pytest.approx(114.0579)
    assert item["requested_datetime"].endswith("+08:00")
    assert item["expected_datetime"] > item["requested_datetime"]
    assert "resident@example.cn" not in str(item)  # contacts are not published
    token = o311.get(f"/tokens/{answer['token']}.json").json()
    assert token == [{"service_request_id": request_id, "token": answer["token"]}]
    row = server.hub.store.requests.get_request(int(request_id))
    assert row is not None and row.doc["attributes"]["source"] == "construction"
    assert row.doc["attributes"]["occurs_at"] == "2026-11-24T15:30:00Z"


def test_post_as_xml_answers_xml(o311: httpx.Client) -> None:
    reply = post(o311, "xml", service_code="road", description="人行道砖块松动", **NANSHAN)
    assert reply.status_code == 201
    root = ET.fromstring(reply.content)
    assert root.tag == "service_requests"
    request_id = root.findtext("request/service_request_id")
    assert request_id and request_id.isdigit()
    got = ET.fromstring(o311.get(f"/requests/{request_id}.xml").content)
    assert got.findtext("request/district") == "南山区"
    assert got.findtext("request/status") == "open"


def test_address_only_request_is_located_from_the_gazetteer(o311: httpx.Client) -> None:
    reply = post(
        o311,
        service_code="streetlight",
        description="路灯不亮已经一周",
        address_string="深圳市龙华区民治街道民治大道",
    )
    assert reply.status_code == 201, reply.text
    request_id = reply.json()[0]["service_request_id"]
    item = o311.get(f"/requests/{request_id}.json").json()[0]
    assert (item["district"], item["street"]) == ("龙华区", "民治街道")
    assert item["lat"] is None


def test_list_filters_by_id_code_status_and_dates(o311: httpx.Client) -> None:
    marker = uuid.uuid4().hex[:8]
    ids = [
        post(o311, service_code="garbage", description=f"垃圾满溢 {marker} {i}", **FUTIAN).json()[
            0
        ]["service_request_id"]
        for i in range(3)
    ]
    both = o311.get("/requests.json", params={"service_request_id": f"{ids[0]},{ids[2]}"}).json()
    assert sorted(r["service_request_id"] for r in both) == sorted([ids[0], ids[2]])
    recent = o311.get("/requests.json", params={"service_code": "garbage", "status": "open"}).json()
    assert set(ids) <= {r["service_request_id"] for r in recent}
    assert all(r["service_code"] == "garbage" and r["status"] == "open" for r in recent)
    closed = o311.get("/requests.json", params={"service_code": "garbage", "status": "closed"})
    assert not set(ids) & {r["service_request_id"] for r in closed.json()}
    past = o311.get(
        "/requests.json",
        params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
    )
    assert past.json() == []
    page = o311.get("/requests.json", params={"service_code": "garbage", "page_size": "2"})
    assert len(page.json()) == 2
    page2 = o311.get(
        "/requests.json", params={"service_code": "garbage", "page_size": "2", "page": "2"}
    )
    assert not {r["service_request_id"] for r in page.json()} & {
        r["service_request_id"] for r in page2.json()
    }


BAD_POSTS = [
    ({"service_code": "road", "description": "没有位置"}, "location"),
    ({"service_code": "nope", "description": "未知服务", **FUTIAN}, "service_code"),
    ({"service_code": "road", "description": "长" * 4001, **FUTIAN}, "4000"),
    ({"service_code": "road", "description": "坐标错误", "lat": "95", "long": "114"}, "range"),
    ({"service_code": "road", "description": "坐标错误", "lat": "abc", "long": "114"}, "number"),
    ({"service_code": "road", "description": "北京", "lat": "39.9", "long": "116.4"}, "outside"),
    ({"service_code": "noise", "description": "缺必填", **FUTIAN}, "source"),
    (
        {
            "service_code": "noise",
            "description": "错误选项",
            "attribute[source]": "volcano",
            **FUTIAN,
        },
        "volcano",
    ),
    (
        {"service_code": "road", "description": "x", "attribute[size_m2]": "big", **FUTIAN},
        "number",
    ),
]


@pytest.mark.parametrize("form,word", BAD_POSTS)
def test_bad_posts_get_the_spec_error_and_store_nothing(
    server: Server, o311: httpx.Client, form: dict[str, str], word: str
) -> None:
    before = stored_count(server)
    for fmt in ("json", "xml"):
        reply = post(o311, fmt, **form)
        assert reply.status_code == 400, reply.text
        if fmt == "json":
            error = reply.json()[0]
            assert error["code"] == 400 and word in error["description"]
        else:
            root = ET.fromstring(reply.content)
            assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert stored_count(server) == before


def test_unknown_request_and_bad_query_are_spec_errors(o311: httpx.Client) -> None:
    assert o311.get("/requests/999999999.json").status_code == 404
    assert o311.get("/requests/abc.xml").status_code == 404
    bad = o311.get("/requests.json", params={"start_date": "yesterday"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    wide = o311.get(
        "/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
    )
    assert wide.status_code == 400
    assert o311.get("/requests.csv").status_code == 404


def test_another_jurisdiction_is_refused_on_every_call(server: Server, o311: httpx.Client) -> None:
    served = server.hub.requests.catalog.jurisdiction
    assert served
    calls = [
        "/discovery.json",
        "/services.json",
        "/services/road.xml",
        "/requests.json",
        "/requests/1.json",
        "/tokens/abc.json",
    ]
    for path in calls:
        other = o311.get(path, params={"jurisdiction_id": "elsewhere.example"})
        assert other.status_code == 404, path
        if path.endswith(".json"):
            assert "jurisdiction_id" in other.json()[0]["description"]
        else:
            assert ET.fromstring(other.content).findtext("error/code") == "404"
    assert o311.get("/services.json", params={"jurisdiction_id": served}).status_code == 200
    refused = post(o311, "json", service_code="road", jurisdiction_id="elsewhere.example", **FUTIAN)
    assert refused.status_code == 404


def test_wrong_api_key_is_403_once_keys_exist(server: Server, o311: httpx.Client) -> None:
    from cityhub.auth.keys import create_key

    _, secret = create_key(server.hub.store, "12345-app", "public")
    server.hub.auth.forget()
    try:
        before = stored_count(server)
        wrong = post(o311, service_code="road", description="坑", api_key="chk_wrong", **FUTIAN)
        assert wrong.status_code == 403 and wrong.json()[0]["code"] == 403
        missing = post(o311, service_code="road", description="坑", **FUTIAN)
        assert missing.status_code == 403
        assert stored_count(server) == before
        right = post(o311, service_code="road", description="坑洼积水", api_key=secret, **FUTIAN)
        assert right.status_code == 201
    finally:
        server.hub.store._run("DELETE FROM api_keys", write=True)  # type: ignore[attr-defined]
        server.hub.auth.forget()


def test_georeport_client_reads_services_and_requests(server: Server, o311: httpx.Client) -> None:
    request_id = post(o311, service_code="parking", description="占用消防通道", **NANSHAN).json()[
        0
    ]["service_request_id"]
    for fmt in ("json", "xml"):
        client = GeoReport(server.base + "/open311/v2", output_format=fmt)
        services = client.get_service_list()
        assert "parking" in [s["service_code"] for s in services]
        definition = client.get_service_definition("noise")
        assert definition["service_code"] == "noise"
        one = client.get_service_request(request_id)
        assert one["service_request_id"] == request_id
        assert one["service_code"] == "parking"
        start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        listed = client.get_service_requests(service_code="parking", start_date=start)
        listed = listed if isinstance(listed, list) else [listed]
        assert request_id in [r["service_request_id"] for r in listed]
