"""/ngsi-ld/v1/entityOperations: create, upsert, update, merge, delete, query."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import federated, forwarded, http
from cityhub.api.params import options_of, paging, render_options
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.broker import batch
from cityhub.broker.normalize import check_name
from cityhub.broker.query import EntityQuery, build_query
from cityhub.broker.render import feature_collection, render_entity
from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from cityhub.jsonld import TermMap
from cityhub.limits import MAX_DEPTH
from cityhub.store.records import EntityFilter

BASE = "/ngsi-ld/v1/entityOperations"


async def _prelude(request: Request) -> tuple[Hub, str, Any, batch.ContextOf]:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    # Each member is held to the nesting limit on its own: one too deep is one error (207).
    body = await http.read_body(request, depth=4 * MAX_DEPTH, context_rules=False)
    link = http.link_context(request)
    json_ld = http.media_type(request) == http.JSON_LD
    if json_ld and link:
        raise BadRequestData("with application/ld+json the @context goes in the body, not Link")

    def context_of(item: Any) -> TermMap:
        """The member's @context; a member breaking the media type's rule is one error (207)."""
        has = isinstance(item, dict) and "@context" in item
        if json_ld and not has:
            raise BadRequestData("a member sent as application/ld+json must carry an @context")
        if not json_ld and has:
            raise BadRequestData("a member sent as application/json must not carry @context")
        return hub.contexts.resolve(item["@context"] if has else link)

    return hub, tenant, body, context_of


def _answer(result: batch.BatchResult, all_ok: int, created_ids: bool) -> Response:
    if result.failed:
        return http.NgsiJsonResponse(result.to_json(), status_code=207)
    if created_ids:
        return http.NgsiJsonResponse(result.created, status_code=201)
    return Response(status_code=all_ok)


async def batch_create(request: Request) -> Response:
    hub, tenant, body, context_of = await _prelude(request)
    actor = http.principal_of(request)

    async def local(members: list[Any]) -> batch.BatchResult:
        parsed = await hub.run(batch.parse_members, members, context_of)
        return await hub.write(batch.write_create, hub.entities, tenant, parsed, actor)

    result = await forwarded.batch(request, "createBatch", body, context_of, local)
    return _answer(result, 201, created_ids=True)


async def batch_upsert(request: Request) -> Response:
    hub, tenant, body, context_of = await _prelude(request)
    update_only = "update" in options_of(request.query_params)
    actor = http.principal_of(request)

    async def local(members: list[Any]) -> batch.BatchResult:
        parsed = await hub.run(batch.parse_members, members, context_of, True)
        upsert = batch.write_upsert
        return await hub.write(upsert, hub.entities, tenant, parsed, update_only, actor)

    result = await forwarded.batch(request, "upsertBatch", body, context_of, local)
    return _answer(result, 204, created_ids=bool(result.created))


async def _patch_batch(request: Request, kind: str) -> Response:
    """Batch update or merge (`kind`): both patch existing entities member by member; only an
    update honours noOverwrite."""
    hub, tenant, body, context_of = await _prelude(request)
    no_overwrite = kind == "update" and "noOverwrite" in options_of(request.query_params)
    actor = http.principal_of(request)

    async def local(members: list[Any]) -> batch.BatchResult:
        parsed = await hub.run(batch.parse_patches, members, context_of, kind)
        patch = batch.write_patches
        return await hub.write(patch, hub.entities, tenant, parsed, kind, no_overwrite, actor)

    result = await forwarded.batch(request, f"{kind}Batch", body, context_of, local)
    return _answer(result, 204, created_ids=False)


async def batch_update(request: Request) -> Response:
    return await _patch_batch(request, "update")


async def batch_merge(request: Request) -> Response:
    return await _patch_batch(request, "merge")


async def batch_delete(request: Request) -> Response:
    """The body is a list of entity ids: there are no terms in it, so no @context is needed,
    whichever of JSON and JSON-LD it is sent as."""
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    body = await http.read_body(request, (http.JSON, http.JSON_LD), context_rules=False)
    actor = http.principal_of(request)

    async def local(ids: list[Any]) -> batch.BatchResult:
        return await hub.write(batch.batch_delete, hub.entities, tenant, ids, actor)

    def no_context(_: Any) -> TermMap:
        return TermMap()

    result = await forwarded.batch(request, "deleteBatch", body, no_context, local)
    return _answer(result, 204, created_ids=False)


def query_from_body(body: dict[str, Any], tm: TermMap, exact_geo: bool) -> EntityQuery:
    """A Query body: several entity selectors OR'ed, sharing attrs, q and geoQ."""
    if body.get("type", "Query") != "Query":
        raise BadRequestData("the body of a query must have type 'Query'")
    common: dict[str, Any] = {}
    if body.get("attrs") is not None:
        attrs = body["attrs"]
        common["attrs"] = ",".join(attrs) if isinstance(attrs, list) else attrs
    if body.get("q") is not None:
        common["q"] = body["q"]
    if body.get("scopeQ") is not None:
        common["scopeQ"] = body["scopeQ"]
    geo = body.get("geoQ")
    if geo is not None:
        if not isinstance(geo, dict):
            raise BadRequestData("geoQ must be an object")
        common.update(
            georel=geo.get("georel"),
            geometry=geo.get("geometry"),
            coordinates=geo.get("coordinates"),
            geoproperty=geo.get("geoproperty"),
        )
    selectors = body.get("entities") or [{}]
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        raise BadRequestData("entities must be an array of selectors")
    if selectors == [{}] and not common:
        raise BadRequestData("a query needs entities, attrs, q or geoQ")
    queries = [build_query({**common, **s}, tm, exact_geo) for s in selectors]
    if len(queries) == 1:
        return queries[0]
    types: set[str] = set()
    for q in queries:
        if q.flt.any_types is None:
            types = set()
            break
        types.update(q.flt.any_types)
    merged = EntityQuery(flt=EntityFilter(any_types=tuple(sorted(types)) if types else None))

    def any_selector(entity: Any) -> bool:
        return any(_full_match(q, entity) for q in queries)

    merged.predicates.append(any_selector)
    return merged


def _full_match(query: EntityQuery, entity: Any) -> bool:
    flt = query.flt
    if flt.ids is not None and entity.id not in flt.ids:
        return False
    if flt.any_types is not None and not set(flt.any_types) & set(entity.types):
        return False
    return query.matches(entity)


async def batch_query(request: Request) -> Response:
    hub = http.hub_of(request)
    tenant, body, tm = await http.query_body_prelude(request)
    mtype = http.accepted(request, (http.JSON, http.JSON_LD, http.GEO_JSON))
    limit, offset, count = paging(request.query_params, hub.settings)
    opts = render_options(request.query_params, tm)
    query = query_from_body(body, tm, hub.store.exact_geo)
    geoprop = tm.expand(check_name(request.query_params.get("geometryProperty", "location")))
    sources = await federated.sources_for(request, tenant, tm, query=body)
    # with registered sources, the local part is read from the start, to merge a page
    window, start = (offset + limit, 0) if sources else (limit, offset)
    items, total = await hub.run(hub.entities.query, tenant, query, window, start, count)
    if mtype == http.GEO_JSON:  # as GET /entities: local entities only
        collection = feature_collection(items, tm, opts, geoprop)
        return http.results_response(request, collection, mtype, total)
    content = [render_entity(e, tm, opts) for e in items]
    if not sources:
        return http.results_response(request, content, mtype, total)
    gathered = await federated.ask(request, sources, window=window, query=body, tm=tm)
    page, total = federated.merged_page(content, gathered, limit, offset, total)
    return federated.warned(http.results_response(request, page, mtype, total), gathered)


routes = [
    route(BASE + "/create", batch_create, "POST", policy.BROKER_WRITE),
    route(BASE + "/upsert", batch_upsert, "POST", policy.BROKER_WRITE),
    route(BASE + "/update", batch_update, "POST", policy.BROKER_WRITE),
    route(BASE + "/merge", batch_merge, "POST", policy.BROKER_WRITE),
    route(BASE + "/delete", batch_delete, "POST", policy.BROKER_WRITE),
    route(BASE + "/query", batch_query, "POST", policy.PUBLIC_READ),
]
