"""H4: reporters' contacts only for the 12345 centre and the department handling a request;
H5: departments act on their own requests only, satisfaction is the centre's; M4: personal data
in citizens' text is masked on every public path; M8: the XML feed stays well-formed;
M11: platform-owned entities are written by their services (or admins) only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from tests.security.conftest import City

TEXT = (
    "小区垃圾没人清理，我叫李雷，电话13912345678，身份证440305198807150015，"
    "住福田区福华路88号3栋1201"
)
RAW = ("13912345678", "440305198807150015", "福华路88号3栋1201")


def _file(city: City, service: str = "hotline") -> str:
    r = httpx.post(
        city.base + "/open311/v2/requests.json",
        data={
            "api_key": city.keys["public"],
            "service_code": service,
            "lat": "22.54",
            "long": "114.05",
            "description": TEXT,
            "email": "lilei@example.cn",
            "phone": "13912345678",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()[0]["service_request_id"])


def _dispatch(city: City, request_id: str, department: str) -> None:
    with city.client("hot_staff") as centre:
        r = centre.post(
            f"/citizen/v1/requests/{request_id}/actions",
            json={"action": "dispatch", "department": department},
        )
        assert r.status_code == 200, r.text


def test_public_paths_show_citizens_text_masked(city: City) -> None:
    request_id = _file(city)
    entity = f"urn:ngsi-ld:Open311ServiceRequest:{request_id}"
    paths = [
        f"/open311/v2/requests/{request_id}.json",
        f"/open311/v2/requests/{request_id}.xml",
        "/open311/v2/requests.json?service_code=hotline",
        f"/ngsi-ld/v1/entities/{entity}",
        "/ngsi-ld/v1/entities?type=Open311ServiceRequest&options=keyValues&limit=1000",
        "/dashboard/v1/entities?type=Open311ServiceRequest",
    ]
    for path in paths:
        body = httpx.get(city.base + path).text
        assert "电话139****5678" in body or "139****5678" in body, path
        for raw in RAW:
            assert raw not in body, (path, raw)
    with city.client("tr_staff") as other:  # a department it is not dispatched to
        for path in (f"/citizen/v1/requests/{request_id}", f"/dashboard/v1/requests/{request_id}"):
            body = other.get(path).text
            assert not any(raw in body for raw in RAW) and "lilei@example.cn" not in body, path


def test_contacts_only_for_the_centre_and_the_handling_department(city: City) -> None:
    request_id = _file(city)
    _dispatch(city, request_id, "environment")
    assert httpx.get(f"{city.base}/citizen/v1/requests/{request_id}").status_code == 401
    with city.client("public") as citizen:  # H4: a citizen's key reads no operator data
        assert citizen.get(f"/citizen/v1/requests/{request_id}").status_code == 403
        assert citizen.get("/citizen/v1/requests").status_code == 403
        assert citizen.get("/dashboard/v1/citizen").status_code == 403
        assert citizen.get(f"/dashboard/v1/requests/{request_id}").status_code == 403
    assert httpx.get(f"{city.base}/dashboard/v1/requests/{request_id}").status_code == 401
    for who, sees in (("hot_staff", True), ("env_staff", True), ("tr_staff", False)):
        with city.client(who) as reader:
            detail = reader.get(f"/citizen/v1/requests/{request_id}").json()
            assert (detail["reporter"].get("email") == "lilei@example.cn") is sees, who
            assert ("13912345678" in detail["description"]) is sees, who
            card = reader.get(f"/dashboard/v1/requests/{request_id}").json()
            assert ("13912345678" in card["description"]) is sees, who
            assert "email" not in card and "reporter" not in card  # a card carries no contacts


def test_departments_act_only_on_their_own_requests(city: City) -> None:
    request_id = _file(city)
    url = f"/citizen/v1/requests/{request_id}"
    with city.client("tr_staff") as other:  # H5: not the centre, not dispatched to transport
        assert (
            other.post(
                url + "/actions", json={"action": "dispatch", "department": "transport"}
            ).status_code
            == 403
        )
    _dispatch(city, request_id, "environment")
    with city.client("tr_staff") as other:
        for action in ("accept", "resolve", "return", "close", "reopen"):
            r = other.post(url + "/actions", json={"action": action, "note": "not mine"})
            assert r.status_code == 403, (action, r.text)
    with city.client("plan_staff") as outsider:
        assert outsider.post(url + "/actions", json={"action": "accept"}).status_code == 403
    with city.client("env_staff") as owner:
        assert owner.post(url + "/actions", json={"action": "accept"}).status_code == 200
        assert (
            owner.post(url + "/actions", json={"action": "resolve", "note": "cleaned"}).status_code
            == 200
        )
        # 三率: the department being rated never records its own satisfaction.
        assert owner.post(url + "/follow-up", json={"satisfaction": 5}).status_code == 403
    with city.client("tr_staff") as other:
        assert other.post(url + "/follow-up", json={"satisfaction": 1}).status_code == 403
    with city.client("hot_staff") as centre:
        r = centre.post(url + "/follow-up", json={"satisfaction": 4})
        assert r.status_code == 200 and r.json()["satisfaction"] == 4


def test_control_characters_cannot_poison_the_xml_feed(city: City) -> None:
    r = httpx.post(
        city.base + "/open311/v2/requests.json",
        data={
            "api_key": city.keys["public"],
            "service_code": "garbage",
            "lat": "22.55",
            "long": "114.06",
            "description": "垃圾\x01\x0b\x1f控制字符",
        },
    )
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    feed = httpx.get(city.base + "/open311/v2/requests.xml?service_code=garbage")
    ET.fromstring(feed.content)  # well-formed


def test_platform_entities_are_written_by_their_services_only(city: City) -> None:
    request_id = _file(city)
    entity = f"urn:ngsi-ld:Open311ServiceRequest:{request_id}"
    with city.client("plan_staff") as staff:
        patched = staff.patch(
            f"/ngsi-ld/v1/entities/{entity}/attrs",
            json={"status": "closed", "description": "tampered"},
        )
        assert patched.status_code == 403
        assert staff.delete(f"/ngsi-ld/v1/entities/{entity}").status_code == 403
        batch = staff.post(
            "/ngsi-ld/v1/entityOperations/upsert",
            json=[
                {
                    "id": entity,
                    "type": "Open311ServiceRequest",
                    "status": {"type": "Property", "value": "closed"},
                }
            ],
        )
        assert batch.status_code == 207 and batch.json()["errors"][0]["entityId"] == entity
        kpi = {
            "id": "urn:ngsi-ld:KeyPerformanceIndicator:fake",
            "type": "KeyPerformanceIndicator",
            "kpiValue": {"type": "Property", "value": 1},
        }
        assert staff.post("/ngsi-ld/v1/entities", json=kpi).status_code == 403
    still = httpx.get(f"{city.base}/open311/v2/requests/{request_id}.json").json()[0]
    assert still["status"] == "open" and "tampered" not in still["description"]


def test_departments_own_the_entities_they_create(city: City) -> None:
    light = {
        "id": "urn:ngsi-ld:Streetlight:owned-1",
        "type": "Streetlight",
        "powerState": {"type": "Property", "value": "on"},
    }
    with city.client("tr_staff") as owner:
        assert owner.post("/ngsi-ld/v1/entities", json=light).status_code == 201
    with city.client("env_staff") as other:
        r = other.patch(
            f"/ngsi-ld/v1/entities/{light['id']}/attrs",
            json={"powerState": {"type": "Property", "value": "off"}},
        )
        assert r.status_code == 403
        assert other.delete(f"/ngsi-ld/v1/entities/{light['id']}").status_code == 403
    with city.client("tr_staff") as owner:
        r = owner.patch(
            f"/ngsi-ld/v1/entities/{light['id']}/attrs",
            json={"powerState": {"type": "Property", "value": "off"}},
        )
        assert r.status_code == 204
