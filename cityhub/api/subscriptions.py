"""/ngsi-ld/v1/subscriptions and /ngsi-ld/v1/csourceSubscriptions (subscriptions to context
source registrations): create, list, retrieve, update, delete — one set of handlers, the
service chosen by the path."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.params import options_of, paging
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker.subscription_service import SubscriptionService, render_subscription

BASE = "/ngsi-ld/v1/subscriptions"
CSOURCE_BASE = "/ngsi-ld/v1/csourceSubscriptions"


def _of(request: Request) -> tuple[SubscriptionService, str]:
    """The service and collection path the request's path names."""
    hub = http.hub_of(request)
    if request.url.path.startswith(CSOURCE_BASE):
        return hub.csource_subscriptions, CSOURCE_BASE
    return hub.subscriptions, BASE


async def create(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request)  # an unavailable @context fails here
    context = http.context_value(request, body)
    actor = http.principal_of(request)
    service, base = _of(request)
    sub_id = await hub.write(service.create, tenant, http.without_context(body), context, actor)
    return Response(status_code=201, headers={"Location": f"{base}/{sub_id}"})


def _absolute(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    """jsonldContext is kept as a path; a client gets the URL."""
    path = doc.get("jsonldContext")
    if isinstance(path, str) and path.startswith("/"):
        hub = http.hub_of(request)
        doc["jsonldContext"] = (hub.settings.public_url or str(request.base_url)).rstrip("/") + path
    return doc


async def list_all(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    mtype = http.accepted(request)
    limit, offset, count = paging(request.query_params, hub.settings)
    records = await hub.run(_of(request)[0].list, tenant)
    reader = http.principal_of(request)
    sys_attrs = "sysAttrs" in options_of(request.query_params)
    page = [
        _absolute(request, render_subscription(r, False, reader, sys_attrs))
        for r in records[offset : offset + limit]
    ]
    total = len(records) if count else None
    return http.results_response(request, page, mtype, total, (limit, offset, len(records)))


async def retrieve(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    mtype = http.accepted(request)
    record = await hub.run(_of(request)[0].get, tenant, http.path_uri(request, "sub_id"))
    sys_attrs = "sysAttrs" in options_of(request.query_params)
    reader = http.principal_of(request)
    content = _absolute(request, render_subscription(record, False, reader, sys_attrs))
    return http.json_ld_response(request, content, mtype)


async def update(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request, (http.JSON, http.JSON_LD, http.MERGE_PATCH))
    context = http.context_value(request, body)
    await hub.write(
        _of(request)[0].update,
        tenant,
        http.path_uri(request, "sub_id"),
        http.without_context(body),
        context,
        http.principal_of(request),
    )
    return http.no_content()


async def delete(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    actor = http.principal_of(request)
    service = _of(request)[0]
    await hub.write(service.delete, tenant, http.path_uri(request, "sub_id"), actor)
    return http.no_content()


routes = [
    made
    for base in (BASE, CSOURCE_BASE)
    for made in (
        route(base, create, "POST", policy.BROKER_WRITE),
        route(base, list_all, "GET", policy.PUBLIC_READ),
        route(base + "/{sub_id}", retrieve, "GET", policy.PUBLIC_READ),
        route(base + "/{sub_id}", update, "PATCH", policy.BROKER_WRITE),
        route(base + "/{sub_id}", delete, "DELETE", policy.BROKER_WRITE),
    )
]
