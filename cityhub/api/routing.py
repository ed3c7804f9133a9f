"""Routes that declare their authorization rule. The guard runs the rule before the handler.

    route("/ngsi-ld/v1/entities", create_entity, "POST", policy.BROKER_WRITE)

The guard finds the caller (a key in a header, an Open311 `api_key` field, or the dashboard's
session cookie), resolves the tenant the route uses, checks the rule, and leaves both on
`request.state` for the handler. A route without a rule cannot be built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cityhub.api import uri_params
from cityhub.auth.keys import SESSION_COOKIE
from cityhub.auth.policy import Rule, check_rule
from cityhub.auth.principal import Principal

Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


class GuardedRoute(Route):
    """A Starlette route that carries its method and rule (for the matrix test and the docs)."""

    rule: Rule
    method: str


def tenant_from(headers: dict[str, str], rule: Rule) -> str:
    from cityhub.api.http import check_tenant

    tenant = check_tenant(headers.get("ngsild-tenant", ""))
    if not tenant and rule.tenant_header == "iot":
        tenant = check_tenant(headers.get("fiware-service", ""))
    return tenant


async def _secret_in_form(request: Request, field: str) -> str | None:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    value = request.query_params.get(field)
    if not value and ctype == "application/x-www-form-urlencoded":
        from cityhub.api.http import read_form

        value = (await read_form(request)).get(field)
    return value or None


async def authorize(request: Request, rule: Rule) -> Principal:
    from cityhub.api.http import hub_of

    hub = hub_of(request)
    # One pass over the raw headers (names arrive lower-case).
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]}
    tenant = tenant_from(headers, rule)
    principal: Principal
    if rule.key_field and not any(
        h in headers for h in ("authorization", "x-api-key", "x-ckan-api-key")
    ):
        secret = await _secret_in_form(request, rule.key_field)
        principal = await hub.run(hub.auth.principal_for_secret, secret)
    else:
        session = request.cookies.get(SESSION_COOKIE) if "cookie" in headers else None
        if hub.auth.knows(headers, session):  # from memory: no store call on the event loop
            principal = hub.auth.principal(headers, session)
        else:
            principal = await hub.run(hub.auth.principal, headers, session)
    state = "public"
    if rule.tenant == "read":
        if hub.auth.knows_tenant(tenant):
            state = hub.auth.tenant_state(tenant)
        else:
            state = await hub.run(hub.auth.tenant_state, tenant)
    check_rule(principal, rule, tenant, state)
    request.state.principal = principal
    request.state.tenant = tenant
    return principal


def route(path: str, handler: Handler, method: str, rule: Rule) -> GuardedRoute:
    if not isinstance(rule, Rule):
        raise TypeError(f"{method} {path} needs an authorization rule")
    known = uri_params.allowed(method, path)

    async def guarded(request: Request) -> Response:
        if known is not None and request.query_params:
            uri_params.check_known(request.query_params.keys(), known)
        await authorize(request, rule)
        return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    made = GuardedRoute(path, guarded, methods=[method], name=f"{method} {path}")
    made.rule = rule
    made.method = method
    return made


def _guarded(request: Request, name: str, kind: type[T]) -> T:
    """What the route's guard left on the request (a route without a guard is a bug)."""
    value = getattr(request.state, name, None)
    if not isinstance(value, kind):
        raise RuntimeError(f"{request.url.path} was reached without its route's guard")
    return value


def principal_of(request: Request) -> Principal:
    return _guarded(request, "principal", Principal)


def tenant_of(request: Request) -> str:
    return _guarded(request, "tenant", str)
