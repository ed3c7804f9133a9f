"""The published OpenAPI documents every route the application serves, and nothing else."""

from __future__ import annotations

import re

import pytest

from cityhub.api.openapi import build_openapi
from cityhub.api.openapi_access import serving_route
from cityhub.api.rules_table import app_routes
from cityhub.auth.policy import Need

METHODS = ("get", "post", "put", "patch", "delete")


def _documented() -> list[tuple[str, str]]:
    spec = build_openapi(app_routes())
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m in METHODS]


def test_every_route_is_documented() -> None:
    documented = _documented()
    missing = []
    for route in app_routes():
        concrete = [p for m, p in documented if m == route.method]
        # A documented path matches the route with its parameters as placeholders or filled in.
        if not any(route.path_regex.match(re.sub(r"\{[^}]+\}", "x", p)) for p in concrete):
            missing.append(f"{route.method} {route.path}")
    assert not missing, f"routes missing from /openapi.json: {missing}"


def test_nothing_is_documented_that_is_not_served() -> None:
    routes = app_routes()
    unserved = [
        f"{method} {path}"
        for method, path in _documented()
        if not any(
            r.method == method and r.path_regex.match(re.sub(r"\{[^}]+\}", "x", path))
            for r in routes
        )
    ]
    assert not unserved, f"documented but not served: {unserved}"


def test_each_operation_says_who_may_call_it_as_its_route_rules() -> None:
    routes = app_routes()
    spec = build_openapi(routes)
    schemes = spec["components"]["securitySchemes"]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            route = serving_route(routes, method, path)
            assert route is not None
            anonymous = {} in op["security"]
            assert anonymous == (route.rule.need == Need.ANYONE), f"{method} {path}"
            assert ("401" in op["responses"]) == (not anonymous), f"{method} {path}"
            assert op["x-cityhub-access"] == route.rule.summary
            assert route.rule.why in op["description"]
            named = {name for requirement in op["security"] for name in requirement}
            assert named <= set(schemes), f"{method} {path} names an undeclared scheme"
            assert ("open311Key" in named) == bool(route.rule.key_field)


def test_an_operation_no_route_serves_cannot_be_published() -> None:
    routes = [r for r in app_routes() if r.path != "/ngsi-ld/v1/subscriptions"]
    with pytest.raises(ValueError, match="/ngsi-ld/v1/subscriptions is documented but no route"):
        build_openapi(routes)
