"""/ngsi-ld/v1/entities: create, retrieve, query, replace, merge, and attribute operations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import federated, forwarded, http
from cityhub.api.params import flag, options_of, paging, render_options
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker.federation import Source
from cityhub.broker.normalize import attribute_body, check_name, parse_entity
from cityhub.broker.query import LOCATION, build_query, has_selector
from cityhub.broker.render import feature_collection, render_entity, render_feature
from cityhub.broker.service import UpdateResult
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.timeutil import now_iso

BASE = "/ngsi-ld/v1"
_READ_TYPES = (http.JSON, http.JSON_LD, http.GEO_JSON)


def _update_response(result: UpdateResult, tm: TermMap) -> Response:
    if not result.not_updated:
        return http.no_content()
    body = {
        "updated": [tm.compact(n) for n in result.updated],
        "notUpdated": [
            {"attributeName": tm.compact(n), "reason": why} for n, why in result.not_updated
        ],
    }
    return http.NgsiJsonResponse(body, status_code=207)


async def create_entity(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    entity = parse_entity(body, tm, now_iso())  # the whole body checked before any part is sent
    hub = http.hub_of(request)
    actor = http.principal_of(request)

    def created() -> Response:
        return Response(status_code=201, headers={"Location": f"{BASE}/entities/{entity.id}"})

    async def local(part: Any) -> Response:
        kept = entity if part is body else parse_entity(part, tm, now_iso())
        await hub.write(hub.entities.create, tenant, kept, actor)
        return created()

    names = forwarded.attribute_names(body, tm)
    return await forwarded.distributed(
        request, "createEntity", entity.id, body, tm, local, created, names, types=set(entity.types)
    )


async def query_entities(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    params = request.query_params
    mtype = http.accepted(request, _READ_TYPES)
    if not has_selector(params) and not flag(params, "local"):
        raise BadRequestData("a query needs at least one of id, idPattern, type, attrs, q, georel")
    hub = http.hub_of(request)
    limit, offset, count = paging(params, hub.settings)
    opts = render_options(params, tm)
    query = build_query(params, tm, hub.store.exact_geo)
    sources = await federated.sources_for(request, tenant, tm)
    # with registered sources, the local part is read from the start, to merge a page
    window, start = (offset + limit, 0) if sources else (limit, offset)
    items, total = await hub.run(hub.entities.query, tenant, query, window, start, count)
    if mtype == http.GEO_JSON:
        geoprop = tm.expand(check_name(params.get("geometryProperty", "location")))
        collection = feature_collection(items, tm, opts, geoprop)
        return http.results_response(request, collection, mtype, total)
    content = [render_entity(e, tm, opts) for e in items]
    if not sources:
        return http.results_response(request, content, mtype, total)
    gathered = await federated.ask(request, sources, window=window, tm=tm)
    page, total = federated.merged_page(content, gathered, limit, offset, total)
    return federated.warned(http.results_response(request, page, mtype, total), gathered)


async def retrieve_entity(request: Request) -> Response:
    tenant, tm = await http.read_prelude(request)
    params = request.query_params
    mtype = http.accepted(request, _READ_TYPES)
    opts = render_options(params, tm)
    hub = http.hub_of(request)
    entity_id = http.path_uri(request, "entity_id")
    sources = await federated.sources_for(request, tenant, tm, entity_id)
    try:
        entity = await hub.run(hub.entities.retrieve, tenant, entity_id)
    except ResourceNotFound:
        if not sources:
            raise
        return await _retrieve_elsewhere(request, sources, entity_id, mtype, tm)
    if params.get("type"):
        wanted = {tm.expand(t) for t in params["type"].split(",")}
        if not wanted & set(entity.types):
            raise ResourceNotFound(f"entity {entity.id} is not of type {params['type']}")
    if opts.attrs is not None and not opts.attrs & set(entity.attrs):
        raise ResourceNotFound(f"entity {entity.id} has none of the attributes asked for")
    if mtype == http.GEO_JSON:
        geoprop = params.get("geometryProperty")
        content = render_feature(entity, tm, opts, tm.expand(geoprop) if geoprop else LOCATION)
        return http.json_ld_response(request, content, mtype)
    content = render_entity(entity, tm, opts)
    if not sources:
        return http.json_ld_response(request, content, mtype)
    gathered = await federated.ask(request, sources, entity_id, tm=tm)
    merged = federated.merge([content], gathered.entities)[0]
    return federated.warned(http.json_ld_response(request, merged, mtype), gathered)


async def _retrieve_elsewhere(
    request: Request, sources: list[Source], entity_id: str, mtype: str, tm: TermMap
) -> Response:
    """An entity this broker does not hold, from the sources registered for it."""
    gathered = await federated.ask(request, sources, entity_id, tm=tm)
    found = federated.merge([], gathered.entities)
    if not found:
        failed = f" ({'; '.join(gathered.failures)})" if gathered.failures else ""
        raise ResourceNotFound(f"entity {entity_id} was not found here or at its sources{failed}")
    return federated.warned(http.json_ld_response(request, found[0], mtype), gathered)


async def delete_entity(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, tm = await http.bodiless_write_prelude(request)
    actor = http.principal_of(request)
    entity_id = http.path_uri(request, "entity_id")

    async def local(_: Any) -> Response:
        await hub.write(hub.entities.delete, tenant, entity_id, actor)
        return http.no_content()

    return await forwarded.distributed(
        request, "deleteEntity", entity_id, None, tm, local, http.no_content, None
    )


async def replace_entity(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    entity = parse_entity(body, tm, now_iso(), require_id=False)
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    entity_id = http.path_uri(request, "entity_id")

    async def local(part: Any) -> Response:
        kept = entity if part is body else parse_entity(part, tm, now_iso(), require_id=False)
        await hub.write(hub.entities.replace, tenant, entity_id, kept, actor)
        return http.no_content()

    names = forwarded.attribute_names(body, tm)
    return await forwarded.distributed(
        request, "replaceEntity", entity_id, body, tm, local, http.no_content, names
    )


async def merge_entity(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(
        request, (http.JSON, http.JSON_LD, http.MERGE_PATCH)
    )
    if not isinstance(body, dict):
        raise BadRequestData("a merge patch must be a JSON object")
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    entity_id = http.path_uri(request, "entity_id")

    async def local(part: Any) -> Response:
        await hub.write(hub.entities.merge, tenant, entity_id, part, tm, actor)
        return http.no_content()

    names = forwarded.attribute_names(body, tm)
    return await forwarded.distributed(
        request, "mergeEntity", entity_id, body, tm, local, http.no_content, names
    )


async def append_attrs(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    if not isinstance(body, dict):
        raise BadRequestData("attributes must be given as a JSON object")
    no_overwrite = "noOverwrite" in options_of(request.query_params)
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    entity_id = http.path_uri(request, "entity_id")

    async def local(part: Any) -> Response:
        append = hub.entities.append
        result = await hub.write(append, tenant, entity_id, part, tm, no_overwrite, actor)
        return _update_response(result, tm)

    names = forwarded.attribute_names(body, tm)
    return await forwarded.distributed(
        request, "appendAttrs", entity_id, body, tm, local, http.no_content, names
    )


async def update_attrs(request: Request) -> Response:
    tenant, body, tm = await http.write_prelude(request)
    if not isinstance(body, dict):
        raise BadRequestData("attributes must be given as a JSON object")
    hub = http.hub_of(request)
    actor = http.principal_of(request)
    entity_id = http.path_uri(request, "entity_id")

    async def local(part: Any) -> Response:
        update = hub.entities.update_attrs
        return _update_response(await hub.write(update, tenant, entity_id, part, tm, actor), tm)

    names = forwarded.attribute_names(body, tm)
    return await forwarded.distributed(
        request, "updateEntity", entity_id, body, tm, local, http.no_content, names
    )


async def _attribute_write(
    request: Request,
    method: str,
    operation: str,
    media: tuple[str, ...] = (http.JSON, http.JSON_LD),
) -> Response:
    """PATCH or PUT of one attribute: `method` names the EntityService method, `operation`
    the NGSI-LD operation a registration may take part in."""
    tenant, body, tm = await http.write_prelude(request, media)
    hub = http.hub_of(request)
    entity_id = http.path_uri(request, "entity_id")
    attr = http.path_name(request, "attr")
    write = getattr(hub.entities, method)
    actor = http.principal_of(request)

    async def local(_: Any) -> Response:
        await hub.write(write, tenant, entity_id, attr, attribute_body(attr, body), tm, actor)
        return http.no_content()

    name = tm.expand(attr)
    return await forwarded.distributed(
        request, operation, entity_id, body, tm, local, http.no_content, {name}, attribute=name
    )


async def patch_attr(request: Request) -> Response:
    return await _attribute_write(
        request, "patch_attr", "updateAttrs", (http.JSON, http.JSON_LD, http.MERGE_PATCH)
    )


async def replace_attr(request: Request) -> Response:
    return await _attribute_write(request, "replace_attr", "replaceAttrs")


async def delete_attr(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, tm = await http.bodiless_write_prelude(request)
    params = request.query_params
    entity_id = http.path_uri(request, "entity_id")
    attr = http.path_name(request, "attr")
    dataset, every, actor = (
        params.get("datasetId"),
        flag(params, "deleteAll"),
        http.principal_of(request),
    )

    async def local(_: Any) -> Response:
        delete = hub.entities.delete_attr
        await hub.write(delete, tenant, entity_id, attr, tm, dataset, every, actor)
        return http.no_content()

    name = tm.expand(attr)
    return await forwarded.distributed(
        request, "deleteAttrs", entity_id, None, tm, local, http.no_content, {name}, attribute=name
    )


async def purge_entities(request: Request) -> Response:
    """DELETE /entities?type=…: purge what the query selects (`drop`/`keep` only attributes)."""
    from cityhub.broker.purge import purge

    tenant, tm = await http.bodiless_write_prelude(request)
    params = request.query_params  # only a purge's parameters: the route checked them
    if not has_selector(params) and not flag(params, "local"):
        raise BadRequestData("a purge needs at least one of id, idPattern, type, attrs, q, georel")
    hub = http.hub_of(request)
    query = build_query(params, tm, hub.store.exact_geo)

    def names(key: str) -> frozenset[str] | None:
        if key not in params:
            return None
        return frozenset(tm.expand(check_name(n.strip())) for n in params[key].split(","))

    keep, drop = names("keep"), names("drop")
    if keep is not None and drop is not None:
        raise BadRequestData("keep and drop cannot be used together")
    actor = http.principal_of(request)

    async def local(_: Any) -> Response:
        await hub.write(purge, hub.entities, tenant, query, keep, drop, actor)
        return http.no_content()

    types = {tm.expand(t) for t in params.get("type", "").split(",") if t.strip()} or None
    return await forwarded.distributed(
        request, "purgeEntity", None, None, tm, local, http.no_content, None, types=types
    )


routes = [
    route(BASE + "/entities", purge_entities, "DELETE", policy.BROKER_WRITE),
    route(BASE + "/entities", create_entity, "POST", policy.BROKER_WRITE),
    route(BASE + "/entities", query_entities, "GET", policy.PUBLIC_READ),
    route(BASE + "/entities/{entity_id}", retrieve_entity, "GET", policy.PUBLIC_READ),
    route(BASE + "/entities/{entity_id}", delete_entity, "DELETE", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}", replace_entity, "PUT", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}", merge_entity, "PATCH", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs", append_attrs, "POST", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs", update_attrs, "PATCH", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs/{attr}", patch_attr, "PATCH", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs/{attr}", replace_attr, "PUT", policy.BROKER_WRITE),
    route(BASE + "/entities/{entity_id}/attrs/{attr}", delete_attr, "DELETE", policy.BROKER_WRITE),
]
