"""/ngsi-ld/v1/temporal: entity history (normalized, temporalValues, aggregatedValues)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.batch import query_from_body
from cityhub.api.params import flag, options_of, paging, render_options
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker import temporal
from cityhub.broker.query import build_query, has_selector
from cityhub.broker.temporal_service import TemporalResult
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.jsonld import TermMap

BASE = "/ngsi-ld/v1/temporal"


def _render(result: TemporalResult, tm: TermMap, params: Any, tp: temporal.TemporalParams) -> Any:
    opts = render_options(params, tm)
    if tp.fmt == "aggregatedValues":
        kinds = {a: str(i[0].get("type", "Property")) for a, i in result.entity.attrs.items() if i}
        return temporal.render_aggregates(
            result.entity, result.buckets, kinds, tm, tp, result.start_us, result.period_us
        )
    out = temporal.render_temporal(result.entity, result.rows, tm, opts, tp)
    for name in result.emptied:  # instances exist, but beyond this page's time range
        kind = str((result.entity.attrs.get(name) or [{}])[0].get("type", "Property"))
        out.setdefault(tm.compact(name), temporal.empty_attribute(kind, tp))
    return out


def _page_response(
    request: Request, results: list[TemporalResult], content: Any, mtype: str, total: int | None
) -> Response:
    """200 with every instance asked for, or 206 and the range this page covers."""
    page = next((r.page for r in results if r.page is not None), None)
    if page is None:
        return http.results_response(request, content, mtype, total)
    headers = {"Content-Range": page.content_range()}
    if total is not None:
        headers["NGSILD-Results-Count"] = str(total)
    return http.json_ld_response(request, content, mtype, 206, headers)


async def retrieve(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    params = request.query_params
    mtype = http.accepted(request)
    tp = temporal.parse_temporal(params, options_of(params))
    attrs = render_options(params, tm).attrs
    hub = http.hub_of(request)
    result = await hub.run(
        hub.temporal.retrieve, tenant, http.path_uri(request, "entity_id"), attrs, tp
    )
    if attrs is not None and not attrs & set(result.entity.attrs):
        raise ResourceNotFound(f"entity {result.entity.id} has none of the attributes asked for")
    content = _render(result, tm, params, tp)
    if result.page is None:
        return http.json_ld_response(request, content, mtype)
    headers = {"Content-Range": result.page.content_range()}
    return http.json_ld_response(request, content, mtype, 206, headers)


async def query(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    params = request.query_params
    mtype = http.accepted(request)
    if not has_selector(params) and not flag(params, "local"):
        raise BadRequestData("a temporal query needs at least one of id, type, attrs, q, georel")
    hub = http.hub_of(request)
    limit, offset, count = paging(params, hub.settings)
    tp = temporal.parse_temporal(params, options_of(params))
    attrs = render_options(params, tm).attrs
    q = build_query(params, tm, hub.store.exact_geo)
    results, total = await hub.run(hub.temporal.query, tenant, q, limit, offset, count, attrs, tp)
    content = [_render(r, tm, params, tp) for r in results]
    return _page_response(request, results, content, mtype, total)


async def query_post(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, tm = await http.query_body_prelude(request)
    mtype = http.accepted(request)
    params = request.query_params
    limit, offset, count = paging(params, hub.settings)
    temporal_q = body.get("temporalQ") or {}
    if not isinstance(temporal_q, dict):
        raise BadRequestData("temporalQ must be an object")
    merged = {
        **temporal_q,
        **{k: v for k, v in params.items() if k in ("lastN", "aggrMethods", "aggrPeriodDuration")},
    }
    tp = temporal.parse_temporal(merged, options_of(params))
    attrs_raw = body.get("attrs")
    attrs = frozenset(tm.expand(a) for a in attrs_raw) if isinstance(attrs_raw, list) else None
    q = query_from_body(
        {k: v for k, v in body.items() if k != "temporalQ"}, tm, hub.store.exact_geo
    )
    results, total = await hub.run(hub.temporal.query, tenant, q, limit, offset, count, attrs, tp)
    content = [_render(r, tm, params, tp) for r in results]
    return _page_response(request, results, content, mtype, total)


async def create(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    hub = http.hub_of(request)
    created = await hub.write(hub.temporal.add, tenant, body, tm, http.principal_of(request))
    if created:
        return Response(status_code=201, headers={"Location": f"{BASE}/entities/{body['id']}"})
    return http.no_content()


async def append(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    await hub.write(
        hub.temporal.append_attrs, tenant, http.path_uri(request, "entity_id"), body, tm, actor
    )
    return http.no_content()


async def delete_entity(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    actor = http.principal_of(request)
    await hub.write(hub.temporal.delete_entity, tenant, http.path_uri(request, "entity_id"), actor)
    return http.no_content()


async def delete_attr(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, tm = await http.bodiless_write_prelude(request)
    await hub.write(
        hub.temporal.delete_attr,
        tenant,
        http.path_uri(request, "entity_id"),
        tm.expand(http.path_name(request, "attr")),
        request.query_params.get("datasetId"),
        flag(request.query_params, "deleteAll"),
        http.principal_of(request),
    )
    return http.no_content()


async def modify_instance(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    hub = http.hub_of(request)
    await hub.write(
        hub.temporal.modify_instance,
        tenant,
        http.path_uri(request, "entity_id"),
        tm.expand(http.path_name(request, "attr")),
        http.path_uri(request, "instance_id"),
        body,
        tm,
        http.principal_of(request),
    )
    return http.no_content()


async def delete_instance(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, tm = await http.bodiless_write_prelude(request)
    await hub.write(
        hub.temporal.delete_instance,
        tenant,
        http.path_uri(request, "entity_id"),
        tm.expand(http.path_name(request, "attr")),
        http.path_uri(request, "instance_id"),
        http.principal_of(request),
    )
    return http.no_content()


INSTANCE = BASE + "/entities/{entity_id}/attrs/{attr}/{instance_id}"
routes = [
    route(BASE + "/entities", query, "GET", policy.PUBLIC_READ),
    route(BASE + "/entities", create, "POST", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}", retrieve, "GET", policy.PUBLIC_READ),
    route(BASE + "/entities/{entity_id}", delete_entity, "DELETE", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs", append, "POST", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs/{attr}", delete_attr, "DELETE", policy.BROKER_WRITE),
    route(INSTANCE, modify_instance, "PATCH", policy.BROKER_WRITE),
    route(INSTANCE, delete_instance, "DELETE", policy.BROKER_WRITE),
    route(BASE + "/entityOperations/query", query_post, "POST", policy.PUBLIC_READ),
]
