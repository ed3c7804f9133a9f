"""The published OpenAPI documents every route the application serves, and nothing else."""

from __future__ import annotations

import re

from cityhub.api.openapi import build_openapi
from cityhub.api.rules_table import app_routes

METHODS = ("get", "post", "put", "patch", "delete")


def _documented() -> list[tuple[str, str]]:
    spec = build_openapi()
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
