"""Fuzzing: the parsers every request goes through, and the live API on both stores, answer bad
input with a client error (a CityHubError, 4xx), never an unexpected exception or a 5xx."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityhub.api.rules_table import app_routes, rules_markdown
from cityhub.broker.normalize import parse_entity
from cityhub.broker.ql import compile_q
from cityhub.broker.query import build_query, parse_type_expression
from cityhub.broker.temporal import parse_duration, parse_temporal
from cityhub.config import Settings
from cityhub.errors import CityHubError
from cityhub.geo import GeometryError, validate
from cityhub.jsonld.resolver import ContextResolver
from cityhub.limits import whole_number
from cityhub.outbound import Destinations, check_header
from cityhub.timeutil import is_datetime, parse_datetime
from tests.security.conftest import City

# The same examples on every run (CI must not turn red by chance); CITYHUB_FUZZ_RANDOM=1 and
# CITYHUB_FUZZ_EXAMPLES=N explore new ones.
RANDOM = bool(os.environ.get("CITYHUB_FUZZ_RANDOM"))
EXAMPLES = int(os.environ.get("CITYHUB_FUZZ_EXAMPLES", "200"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=list(HealthCheck),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
EXPRESSION = st.text(alphabet="()[]|;,.=!<>~\"'*ab01 -:", max_size=60)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def _core():  # type: ignore[no-untyped-def]
    from cityhub.store import open_store

    store = open_store("sqlite:///:memory:")
    try:
        return ContextResolver(Settings(), store.contexts).core
    finally:
        store.close()


TM = _core()


def _only_client_errors(fn: Any, *args: Any) -> None:
    with contextlib.suppress(CityHubError, GeometryError):
        fn(*args)


@FAST
@given(EXPRESSION)
def test_q_and_type_expressions(text: str) -> None:
    _only_client_errors(compile_q, text, TM)
    _only_client_errors(parse_type_expression, text, TM)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "idPattern",
                "type",
                "attrs",
                "q",
                "georel",
                "geometry",
                "coordinates",
                "geoproperty",
                "timerel",
                "timeAt",
                "endTimeAt",
                "lastN",
                "aggrMethods",
                "aggrPeriodDuration",
                "timeproperty",
            ]
        ),
        TEXT,
        max_size=6,
    )
)
def test_query_parameters(params: dict[str, str]) -> None:
    _only_client_errors(build_query, params, TM, False)
    _only_client_errors(parse_temporal, params, {"aggregatedValues"})
    _only_client_errors(parse_temporal, params, set())


@FAST
@given(JSON)
def test_entity_bodies(body: Any) -> None:
    _only_client_errors(parse_entity, body, TM, "2026-12-01T00:00:00Z")
    if isinstance(body, dict):
        _only_client_errors(
            parse_entity, {"id": "urn:ngsi-ld:T:1", "type": "T", **body}, TM, "2026-12-01T00:00:00Z"
        )
        _only_client_errors(validate, body)


@FAST
@given(TEXT)
def test_scalars(text: str) -> None:
    _only_client_errors(parse_duration, text)
    _only_client_errors(whole_number, text, "x", 0, 100)
    assert is_datetime(text) in (True, False)
    with contextlib.suppress(ValueError):
        parse_datetime(text)
    _only_client_errors(check_header, text, text)
    _only_client_errors(Destinations("public", "X").check_host, text)


@settings(
    max_examples=max(EXAMPLES // 8, 10),
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=list(HealthCheck),
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "type",
                "id",
                "idPattern",
                "q",
                "attrs",
                "limit",
                "offset",
                "georel",
                "geometry",
                "coordinates",
                "options",
                "count",
                "lang",
                "pick",
            ]
        ),
        TEXT,
        min_size=1,
        max_size=5,
    ),
    body=JSON,
)
def test_the_live_api_answers_bad_input_with_client_errors(
    city: City, params: dict[str, str], body: Any
) -> None:
    with city.client("admin") as http:
        for path in ("/ngsi-ld/v1/entities", "/ngsi-ld/v1/temporal/entities"):
            assert http.get(path, params=params).status_code < 500, (path, params)
        for path in (
            "/ngsi-ld/v1/entities",
            "/ngsi-ld/v1/entityOperations/upsert",
            "/ngsi-ld/v1/subscriptions",
            "/iot/groups",
            "/catalog/v1/datasets",
            "/evaluate/v1/its",
            "/citizen/v1/classify",
            "/api/3/action/package_search",
            "/ngsi-ld/v1/entityOperations/query",
        ):
            r = http.post(path, json=body)
            assert r.status_code < 500, (path, body, r.text[:300])
        r = http.post(
            "/open311/v2/requests.json",
            data={k: str(v) for k, v in params.items()} | {"service_code": "hotline"},
        )
        assert r.status_code < 500


def test_the_readme_shows_the_enforced_rules() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert rules_markdown(app_routes()) in readme, "regenerate: python -m cityhub.api.rules_table"
