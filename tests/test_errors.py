"""Every error path answers RFC 7807 problem details (HTTP; NGSI-LD's as application/json, as its
API defines them) or one line (CLI), never a traceback."""

from __future__ import annotations

import httpx
import pytest

from cityhub.errors import CityHubError, all_error_classes

PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_renders_a_problem_and_one_line(cls: type[CityHubError]) -> None:
    err = cls("找不到 something specific")
    problem = err.to_problem()
    assert set(problem) == PROBLEM_KEYS
    assert problem["type"].startswith("https://")
    assert 400 <= problem["status"] <= 599 and problem["detail"] == "找不到 something specific"
    line = err.one_line()
    assert line == "error: 找不到 something specific"  # what went wrong, not HTTP's title


def _cases(big: bytes) -> list[tuple[str, str, dict[str, object], int, str]]:
    e = "/ngsi-ld/v1/entities"
    good = '{"id":"urn:ngsi-ld:T:1","type":"T"}'
    return [
        (
            "POST",
            e,
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "InvalidRequest",
        ),
        (
            "POST",
            e,
            {"content": b"", "headers": {"Content-Type": "application/json"}},
            400,
            "InvalidRequest",
        ),
        (
            "POST",
            e,
            {"content": big, "headers": {"Content-Type": "application/json"}},
            400,
            "BadRequestData",
        ),
        (
            "POST",
            e,
            {"content": good.encode(), "headers": {"Content-Type": "text/xml"}},
            415,
            "UnsupportedMediaType",
        ),
        ("POST", e, {"json": {"id": "no uri", "type": "T"}}, 400, "BadRequestData"),
        ("POST", e, {"json": {"id": "urn:x:1"}}, 400, "BadRequestData"),
        (
            "POST",
            e,
            {"json": {"id": "urn:x:1", "type": "T", "a": {"type": "Nope", "value": 1}}},
            400,
            "BadRequestData",
        ),
        (
            "POST",
            e,
            {
                "json": {
                    "id": "urn:x:1",
                    "type": "T",
                    "location": {
                        "type": "GeoProperty",
                        "value": {"type": "Point", "coordinates": [500, 1]},
                    },
                }
            },
            400,
            "BadRequestData",
        ),
        ("GET", e + "?type=T&q=a>>1", {}, 400, "BadRequestData"),
        ("GET", e + "/urn:x:%00", {}, 400, "BadRequestData"),
        (
            "POST",
            e,
            {
                "content": b'{"id":"urn:x:1","type":"T","n":{"type":"Property","value":"\\u0000"}}',
                "headers": {"Content-Type": "application/json"},
            },
            400,
            "BadRequestData",
        ),
        ("GET", e + "?type=T&limit=100000", {}, 403, "TooManyResults"),
        (
            "GET",
            e + "/urn:x:missing",
            {"headers": {"NGSILD-Tenant": "ghost"}},
            404,
            "NonexistentTenant",
        ),
        ("GET", e + "/urn:x:1", {"headers": {"Accept": "image/png"}}, 406, "NotAcceptable"),
        ("GET", "/ngsi-ld/v1/nowhere", {}, 404, "ResourceNotFound"),
        ("GET", "/citizen/v1/nowhere", {}, 404, "ResourceNotFound"),
        ("PUT", e, {}, 405, "OperationNotSupported"),
        (
            "GET",
            e + "?type=T",
            {
                "headers": {
                    "Link": '<http://ctx.invalid/c.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
                }
            },
            503,
            "LdContextNotAvailable",
        ),
    ]


def test_http_error_paths_answer_problem_json(server: object) -> None:
    base = server.base  # type: ignore[attr-defined]
    big = b'{"id":"urn:ngsi-ld:T:1","type":"T","x":"' + b"x" * 300_000 + b'"}'
    with httpx.Client(base_url=base, timeout=20) as http:
        for method, url, kwargs, status, kind in _cases(big):
            r = http.request(method, url, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == status, (method, url, r.text)
            # NGSI-LD defines ProblemDetails as application/json; the other APIs problem+json
            shape = (
                "application/json" if url.startswith("/ngsi-ld/") else "application/problem+json"
            )
            assert r.headers["content-type"].startswith(shape), url
            body = r.json()
            assert set(body) == PROBLEM_KEYS and body["status"] == status
            assert body["type"].endswith(kind), (url, body)
            assert "Traceback" not in r.text


def test_oversize_body_writes_nothing(server: object) -> None:
    base = server.base  # type: ignore[attr-defined]
    big = {
        "id": "urn:ngsi-ld:T:big",
        "type": "T",
        "x": {"type": "Property", "value": "y" * 400_000},
    }
    with httpx.Client(base_url=base + "/ngsi-ld/v1", timeout=20) as http:
        assert http.post("/entities", json=big).status_code == 400
        assert http.get("/entities/urn:ngsi-ld:T:big").status_code in (404,)


def test_nul_characters_are_refused_in_each_apis_own_error_shape(server: object) -> None:
    """Refused before routing, yet shaped as the API asked would shape any error."""
    base = server.base  # type: ignore[attr-defined]
    with httpx.Client(base_url=base, timeout=20) as http:
        ngsi = http.get("/ngsi-ld/v1/entities", params={"q": "\x00"})
        assert ngsi.status_code == 400
        assert ngsi.headers["content-type"] == "application/json"
        assert ngsi.json()["type"].endswith("BadRequestData")
        own = http.get("/citizen/v1/requests", params={"q": "\x00"})
        assert own.status_code == 400
        assert own.headers["content-type"].startswith("application/problem+json")
        open311 = http.get("/open311/v2/requests.json", params={"end_date": "\x00"})
        assert open311.status_code == 400
        assert open311.json() == [{"code": 400, "description": "NUL characters are not allowed"}]
        xml = http.get("/open311/v2/requests.xml", params={"end_date": "\x00"})
        assert xml.status_code == 400 and xml.text.startswith("<?xml") and "<errors>" in xml.text
        ckan = http.get("/api/3/action/package_search", params={"q": "\x00"})
        assert ckan.json()["success"] is False and "NUL" in str(ckan.json()["error"])
