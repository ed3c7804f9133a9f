"""/ngsi-ld/v1/subscriptions: create, list, retrieve, update, delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cityhub.api import http
from cityhub.api.params import paging
from cityhub.broker.subscription_service import render_subscription

BASE = "/ngsi-ld/v1/subscriptions"


async def create(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request)  # an unavailable @context fails here
    context = http.context_value(request, body)
    sub_id = await hub.run(hub.subscriptions.create, tenant, http.without_context(body), context)
    return Response(status_code=201, headers={"Location": f"{BASE}/{sub_id}"})


async def list_all(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    hub.keys.check_read(http.headers_of(request), tenant)
    mtype = http.accepted(request)
    limit, offset, count = paging(request.query_params, hub.settings)
    records = await hub.run(hub.subscriptions.list, tenant)
    page = [render_subscription(r, False) for r in records[offset : offset + limit]]
    return http.results_response(request, page, mtype, len(records) if count else None)


async def retrieve(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    hub.keys.check_read(http.headers_of(request), tenant)
    mtype = http.accepted(request)
    record = await hub.run(hub.subscriptions.get, tenant, request.path_params["sub_id"])
    return http.json_ld_response(request, render_subscription(record, False), mtype)


async def update(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, _ = await http.write_prelude(request)
    context = http.context_value(request, body)
    await hub.run(
        hub.subscriptions.update,
        tenant,
        request.path_params["sub_id"],
        http.without_context(body),
        context,
    )
    return http.no_content()


async def delete(request: Request) -> Response:
    hub = http.hub_of(request)
    hub.keys.check_write(http.headers_of(request))
    tenant = http.tenant_of(request)
    await hub.run(hub.subscriptions.delete, tenant, request.path_params["sub_id"])
    return http.no_content()


routes = [
    Route(BASE, create, methods=["POST"]),
    Route(BASE, list_all, methods=["GET"]),
    Route(BASE + "/{sub_id}", retrieve, methods=["GET"]),
    Route(BASE + "/{sub_id}", update, methods=["PATCH"]),
    Route(BASE + "/{sub_id}", delete, methods=["DELETE"]),
]
