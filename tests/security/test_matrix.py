"""The authorization matrix: every route × role × own/other department × own/other tenant.

Routes come from the application itself, so a route added without a rule fails here (and a
route cannot be built without one). For each caller the route's rule decides: below it the
answer is 401 (no key) or 403 (a key that may not); at or above it, never 401, never a 5xx,
and 403 only on routes whose rule is completed by a resource-level check in
cityhub.auth.policy (ownership of entities, requests, subscriptions, devices, datasets)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from starlette.routing import Mount

from cityhub.api.routing import GuardedRoute
from cityhub.auth.policy import Need, Rule
from cityhub.auth.principal import RANK
from tests.security.conftest import KEYS, City

PARAMS = {
    "entity_id": "urn:ngsi-ld:T:none",
    "attr": "x",
    "instance_id": "urn:ngsi-ld:Instance:none",
    "sub_id": "urn:ngsi-ld:Subscription:none",
    "context_id": "nope",
    "device_id": "nodev",
    "request_id": "999999",
    "ident": "gdp",
    "key": "nope",
    "access_id": "999999",
    "type": "T",
}
NAMES = {
    "/open311/v2/{name}": "requests.json",
    "/api/action/{name}": "package_list",
    "/api/3/action/{name}": "package_list",
}
# Routes whose rule a resource-level check completes: an allowed caller may still get 403.
RESOURCE_CHECKED = (
    "/citizen/v1/requests/{request_id}/follow-up",  # the 12345 centre only
    "/catalog/v1/",  # dataset ownership, stewards of the owning department
    "/iot/deadletters",  # unattributed letters: admins
)
CALLERS = [None, *KEYS]  # anonymous and every key of the secured city
TENANTS = ["", "rtA"]


def _routes(city: City) -> list[GuardedRoute]:
    from cityhub.app import create_app

    app = create_app(city.hub)
    guarded, unguarded = [], []
    for r in app.routes:
        if isinstance(r, GuardedRoute):
            guarded.append(r)
        elif isinstance(r, Mount) and r.path == "/static":
            continue  # the page's bundled files: public by nature
        else:
            unguarded.append(getattr(r, "path", r))
    assert not unguarded, f"routes without an authorization rule: {unguarded}"
    return guarded


def _path(route: GuardedRoute) -> str:
    template = route.path
    if template in NAMES:
        return re.sub(r"\{name(?::str)?\}", NAMES[template], template)
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), template)


def _allowed(rule: Rule, who: str | None, tenant: str) -> bool:
    if who is None:
        rank, bound = 0, False
    else:
        _, role, tenants = KEYS[who]
        rank, bound = RANK[role], ("*" in tenants or tenant in tenants)
    if rank < rule.need:
        return False
    if rule.tenant == "bound" and not bound:
        return False
    return not (rule.tenant == "read" and tenant == "rtA" and not bound)


def test_every_route_answers_every_caller_as_its_rule_says(city: City) -> None:
    routes = _routes(city)
    assert len(routes) >= 100
    calls = [
        (route, tenant, who)
        for route in routes
        for tenant in TENANTS
        if not (route.rule.tenant == "" and tenant)  # not tenant-scoped: the header means nothing
        for who in CALLERS
    ]
    # Four callers at a time: bodies are empty and ids unknown, so no call changes anything
    # another call's answer depends on, and the order does not matter.
    with httpx.Client(base_url=city.base, timeout=30) as http, ThreadPoolExecutor(4) as pool:
        found = pool.map(lambda call: _judge(http, city, *call), calls)
        failures = [failure for failure in found if failure]
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


def _judge(
    http: httpx.Client, city: City, route: GuardedRoute, tenant: str, who: str | None
) -> str:
    """What is wrong with this caller's answer from this route ("" when it is as ruled)."""
    headers = city.headers(who, tenant or None)
    if route.rule.tenant_header == "iot" and tenant:
        headers["fiware-service"] = tenant
    status = _call(http, route, _path(route), headers)
    allowed = _allowed(route.rule, who, tenant)
    label = f"{route.method} {route.path} as {who or 'anonymous'} in '{tenant}'"
    if status >= 500:
        return f"{label}: {status}"
    if not allowed and status not in (401, 403):
        return f"{label}: {status}, expected 401/403"
    if (
        not allowed
        and (status == 401) != (who is None)
        and not route.path.startswith("/open311/")  # Open311 has no 401
    ):
        return f"{label}: {status}, 401 is for no key, 403 for a key"
    if allowed and status == 401:
        return f"{label}: 401 although allowed"
    if allowed and status == 403 and not route.path.startswith(RESOURCE_CHECKED):
        return f"{label}: 403 although allowed"
    return ""


def _call(http: httpx.Client, route: GuardedRoute, url: str, headers: dict[str, str]) -> int:
    if route.path == "/dashboard/v1/events":
        with http.stream("GET", url, headers=headers) as streamed:
            return streamed.status_code
    if route.method in ("POST", "PUT", "PATCH"):
        return http.request(route.method, url, json={}, headers=headers).status_code
    return http.request(route.method, url, headers=headers).status_code


def test_the_rules_are_the_ones_documented(city: City) -> None:
    """Spot checks of the model in plain words (the README's table is generated from rules)."""
    by_key = {(r.method, r.path): r.rule for r in _routes(city)}
    assert by_key[("GET", "/iot/groups")].need == Need.STAFF
    assert by_key[("GET", "/citizen/v1/requests/{request_id}")].need == Need.STAFF
    assert by_key[("POST", "/evaluate/v1/did")].need == Need.KEY
    assert by_key[("POST", "/ngsi-ld/v1/entities")].tenant == "bound"
    assert by_key[("GET", "/ngsi-ld/v1/entities")].tenant == "read"
    assert by_key[("GET", "/indicators/v1/assessments")].need == Need.ANYONE
    assert by_key[("POST", "/indicators/v1/assessments")].need == Need.STAFF
