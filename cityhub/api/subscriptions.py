"""/ngsi-ld/v1/subscriptions and /ngsi-ld/v1/csourceSubscriptions (subscriptions to context
source registrations): create, list, retrieve, update, delete — one set of handlers, the
service chosen by the path (writes in cityhub.api.documents, shared with registrations)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import documents, http
from cityhub.api.params import options_of, paging
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker.subscription_service import SubscriptionService, render_subscription

BASE = "/ngsi-ld/v1/subscriptions"
CSOURCE_BASE = "/ngsi-ld/v1/csourceSubscriptions"


def _of(request: Request) -> tuple[SubscriptionService, str]:
    """The service (entity or context source subscriptions) the request's path names."""
    hub = http.hub_of(request)
    if request.url.path.startswith(CSOURCE_BASE):
        return hub.csource_subscriptions, CSOURCE_BASE
    return hub.subscriptions, BASE


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


routes = [
    made
    for base in (BASE, CSOURCE_BASE)
    for made in (
        route(base, documents.create, "POST", policy.BROKER_WRITE),
        route(base, list_all, "GET", policy.PUBLIC_READ),
        route(base + "/{sub_id}", retrieve, "GET", policy.PUBLIC_READ),
        route(base + "/{sub_id}", documents.update, "PATCH", policy.BROKER_WRITE),
        route(base + "/{sub_id}", documents.delete, "DELETE", policy.BROKER_WRITE),
    )
]
