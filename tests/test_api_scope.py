"""scopeQ: entities by the scopes they are in (levels, `+`, `#`, or/and, parentheses)."""

from __future__ import annotations

import httpx
import pytest

SCOPES = {
    "a": "/Madrid/Gardens/ParkNorte",
    "b": "/Madrid/Gardens/ParkSur",
    "c": ["/Madrid/Districts/Centro", "/Company/Sales"],
    "d": "/Shenzhen/Futian",
}


@pytest.fixture
def scoped(client: httpx.Client) -> httpx.Client:
    entities = [
        {"id": f"urn:ngsi-ld:Sensor:{name}", "type": "Sensor", "scope": scope}
        for name, scope in SCOPES.items()
    ] + [{"id": "urn:ngsi-ld:Sensor:none", "type": "Sensor"}]
    made = client.post("/entityOperations/create", json=entities)
    assert made.status_code == 201, made.text
    return client


def _names(client: httpx.Client, scope_q: str) -> list[str]:
    answer = client.get("/entities", params={"type": "Sensor", "scopeQ": scope_q})
    assert answer.status_code == 200, answer.text
    return sorted(e["id"].rsplit(":", 1)[-1] for e in answer.json())


@pytest.mark.parametrize(
    "scope_q,expected",
    [
        ("/Madrid/Gardens/ParkNorte", ["a"]),
        ("/Madrid/Gardens", []),  # a scope is a whole path
        ("/Madrid/Gardens/+", ["a", "b"]),
        ("/Madrid/#", ["a", "b", "c"]),
        ("/Madrid/+/ParkSur,/Shenzhen/#", ["b", "d"]),
        ("/Madrid/#;/Company/Sales", ["c"]),
        ("(/Shenzhen/Futian,/Company/#);/Madrid/#", ["c"]),
        ("/#", ["a", "b", "c", "d"]),  # any scope: the unscoped one is not
    ],
)
def test_scope_queries(scoped: httpx.Client, scope_q: str, expected: list[str]) -> None:
    assert _names(scoped, scope_q) == expected


def test_a_scope_query_in_a_query_body(scoped: httpx.Client) -> None:
    body = {"type": "Query", "entities": [{"type": "Sensor"}], "scopeQ": "/Madrid/Gardens/+"}
    answer = scoped.post("/entityOperations/query", json=body)
    assert answer.status_code == 200, answer.text
    assert sorted(e["id"].rsplit(":", 1)[-1] for e in answer.json()) == ["a", "b"]


@pytest.mark.parametrize("bad", ["Madrid", "/Madrid//x", "/Madrid/#/x", "/Ma+d", "(/a", "/a;"])
def test_a_scope_query_that_cannot_be_read_is_an_error(scoped: httpx.Client, bad: str) -> None:
    answer = scoped.get("/entities", params={"type": "Sensor", "scopeQ": bad})
    assert answer.status_code == 400, answer.text
