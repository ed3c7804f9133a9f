"""Masking by role on every read path, access requests (申请 → 审批 → expiry/revocation), and the
stewards' audit, over HTTP against a real server on both stores."""

from __future__ import annotations

import httpx
import pytest

from cityhub.catalog.datastore import RowQuery
from cityhub.catalog.policy import Reader
from cityhub.errors import Forbidden
from cityhub.timeutil import now_us
from tests.catalog_city import SECRETS, City, city

__all__ = ["city"]

UNAUTHORISED = ["anonymous", "public", "transport_staff", "transport_steward"]


def _paths(c: City) -> list[tuple[str, str, dict[str, object] | None]]:
    """(method, url, JSON body) of every way rows or metadata leave the catalog."""
    http = httpx.Client(base_url=c.base, headers=c.headers("admin"), timeout=20)
    residents = http.get("/catalog/v1/datasets/residents").json()
    air = http.get("/catalog/v1/datasets/air-quality").json()
    http.close()
    out: list[tuple[str, str, dict[str, object] | None]] = []
    for d in (residents, air):
        rid, name = d["resources"][0]["id"], d["name"]
        out += [
            ("GET", f"/api/3/action/datastore_search?resource_id={rid}&limit=100", None),
            ("POST", "/api/action/datastore_search", {"resource_id": rid, "q": "街道"}),
            ("POST", "/api/action/datastore_search", {"id": name, "sort": "_id desc"}),
            ("GET", f"/catalog/v1/datasets/{name}/rows?limit=100", None),
            ("GET", f"/catalog/v1/datasets/{name}/download?format=csv", None),
            ("GET", f"/catalog/v1/datasets/{name}/download?format=json", None),
            ("GET", f"/api/3/action/package_show?id={name}", None),
            ("GET", f"/dataset/{name}.ttl", None),
            ("GET", f"/dataset/{name}.jsonld", None),
        ]
    out += [
        ("GET", "/api/3/action/package_search?q=*:*&rows=100", None),
        ("GET", "/catalog.ttl", None),
        ("GET", "/catalog/v1/datasets", None),
        ("GET", "/catalog/v1/audit?limit=1000", None),
        ("GET", "/catalog/v1/access-requests", None),
    ]
    return out


def _leaks(text: str) -> list[str]:
    return [kind for kind, raw in SECRETS.items() if raw in text]


def test_no_unauthorised_role_ever_receives_an_unmasked_value(city: City) -> None:
    paths = _paths(city)
    served = 0
    for who in UNAUTHORISED:
        with httpx.Client(base_url=city.base, headers=city.headers(who), timeout=30) as http:
            for method, url, body in paths:
                r = http.request(method, url, json=body)
                assert r.status_code < 500, (who, url, r.text[:300])
                assert not _leaks(r.text), f"{who} saw {_leaks(r.text)} at {method} {url}"
                served += r.status_code == 200 and ("records" in r.text or "download" in url)
    assert served >= 12  # the open dataset's rows really were read, masked, by these roles
    # the owner sees the raw values on the same paths: the check above can fail
    with httpx.Client(base_url=city.base, headers=city.headers("civil_staff"), timeout=30) as http:
        raw = http.get("/catalog/v1/datasets/residents/download?format=csv").text
        assert set(_leaks(raw)) == set(SECRETS)
        assert "440305********1236" not in raw


def test_open_data_is_masked_for_others_and_raw_for_its_department(city: City) -> None:
    with httpx.Client(base_url=city.base, timeout=20) as http:
        anonymous = http.get("/catalog/v1/datasets/air-quality/rows").json()
        assert anonymous["masked"] is True
        assert anonymous["records"][0]["contact"] == "值班电话0755-****1234"
        owner = http.get(
            "/catalog/v1/datasets/air-quality/rows", headers=city.headers("admin")
        ).json()
        assert owner["masked"] is False and owner["records"][0]["contact"].endswith("83211234")


def test_share_types_decide_who_reads_rows(city: City) -> None:
    cases = {
        ("residents", "anonymous"): 401,
        ("residents", "public"): 401,
        ("residents", "transport_staff"): 403,
        ("residents", "civil_staff"): 200,
        ("plate-sightings", "transport_steward"): 403,
        ("plate-sightings", "admin"): 200,
        ("air-quality", "anonymous"): 200,
    }
    with httpx.Client(base_url=city.base, timeout=20) as http:
        for (name, who), status in cases.items():
            r = http.get(f"/catalog/v1/datasets/{name}/rows", headers=city.headers(who))
            assert r.status_code == status, (name, who, r.text)
            if status >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")


def test_masked_readers_cannot_search_by_personal_data(city: City) -> None:
    with httpx.Client(base_url=city.base, timeout=20, headers=city.headers("admin")) as http:
        rid = http.get("/catalog/v1/datasets/air-quality").json()["resources"][0]["id"]
    with httpx.Client(base_url=city.base, timeout=20) as http:
        probe = http.post(
            "/api/action/datastore_search", json={"resource_id": rid, "q": "0755-83211234"}
        ).json()
        assert probe["success"] is False and probe["error"]["__type"] == "Authorization Error"


def test_access_request_is_approved_scoped_to_fields_revoked_and_expires(city: City) -> None:
    staff, steward = city.headers("transport_staff"), city.headers("civil_steward")
    with httpx.Client(base_url=city.base, timeout=20) as http:
        url = "/catalog/v1/datasets/residents"
        assert http.get(f"{url}/rows", headers=staff).status_code == 403
        bad = http.post(f"{url}/access-requests", headers=staff, json={"purpose": " "})
        assert bad.status_code == 400
        asked = http.post(
            f"{url}/access-requests",
            headers=staff,
            json={"purpose": "核对公交优惠卡申领资格", "fields": ["街道", "手机"], "days": 30},
        )
        assert asked.status_code == 201, asked.text
        request_id = asked.json()["id"]
        assert asked.json()["status"] == "pending"
        assert http.get(f"{url}/rows", headers=staff).status_code == 403
        # the requester cannot approve their own request; the owner's steward can
        decide = f"/catalog/v1/access-requests/{request_id}/decision"
        assert http.post(decide, headers=staff, json={"decision": "approve"}).status_code == 403
        approved = http.post(decide, headers=steward, json={"decision": "approve", "days": 7})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert approved.json()["expiresAt"].endswith("+08:00")
        page = http.get(f"{url}/rows?limit=100", headers=staff).json()
        first = page["records"][0]
        assert first["手机"] == SECRETS["mobile"]  # granted unmasked
        assert first["身份证号"] == "440305********1236"  # not granted: still masked
        assert first["姓名"] == "欧阳*"
        listed = http.get("/catalog/v1/access-requests", headers=steward).json()
        assert any(r["id"] == request_id for r in listed)
        revoked = http.post(decide, headers=steward, json={"decision": "revoke"})
        assert revoked.json()["status"] == "revoked"
        assert http.get(f"{url}/rows", headers=staff).status_code == 403


def test_an_expired_approval_no_longer_opens_the_dataset(city: City) -> None:
    hub = city.server.hub
    key_id = city.keys["transport_steward"][0]
    reader = Reader(key_id, "transport", "steward")
    record = hub.access.request(reader, "residents", "统计分析", [], 10)
    hub.store.catalog.decide_access(
        record.id, "approved", "test", now_us(), now_us() + 60_000_000, ""
    )
    assert hub.catalog.rows(reader, "residents", RowQuery(limit=1)).access.masked
    hub.store.catalog.decide_access(record.id, "approved", "test", now_us(), now_us() - 1, "")
    with pytest.raises(Forbidden):
        hub.catalog.rows(reader, "residents", RowQuery(limit=1))


def test_stewards_read_the_audit_of_their_own_datasets(city: City) -> None:
    reader_id = city.keys["transport_staff"][0]
    with httpx.Client(base_url=city.base, timeout=20) as http:
        http.get(
            "/catalog/v1/datasets/air-quality/rows?limit=2", headers=city.headers("transport_staff")
        )
        for who, status in (("anonymous", 401), ("civil_staff", 403), ("public", 403)):
            got = http.get("/catalog/v1/audit", headers=city.headers(who))
            assert got.status_code == status, who
        civil = http.get(
            "/catalog/v1/audit?limit=1000", headers=city.headers("civil_steward")
        ).json()
        residents_id = http.get("/catalog/v1/datasets/residents").json()["id"]
        assert civil and {r["dataset"] for r in civil} == {residents_id}
        everything = http.get(
            f"/catalog/v1/audit?actor={reader_id}&action=read&limit=1000",
            headers=city.headers("admin"),
        ).json()
        reads = [r for r in everything if r["rows"] == 2]
        assert reads and reads[-1]["department"] == "transport"
        assert reads[-1]["at"].endswith("+08:00") and reads[-1]["detail"]["masked"] is True
        verified = http.get("/catalog/v1/audit/verify", headers=city.headers("admin"))
        assert verified.status_code == 200 and verified.json()["ok"] is True
