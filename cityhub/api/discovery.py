"""/ngsi-ld/v1/types, /attributes and /jsonldContexts."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.params import flag
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData, InvalidRequest, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.store.records import StoredContext, TypeSummary

BASE = "/ngsi-ld/v1"


async def _summaries(request: Request) -> tuple[list[TypeSummary], TermMap]:
    hub = http.hub_of(request)
    tenant = http.tenant_of(request)
    tm = await http.termmap(request, http.link_context(request))
    return await hub.run(hub.entities.type_summaries, tenant), tm


def _type_info(summary: TypeSummary, tm: TermMap) -> dict[str, Any]:
    return {
        "id": summary.type,
        "type": "EntityTypeInfo",
        "typeName": tm.compact(summary.type),
        "entityCount": summary.entity_count,
        "attributeDetails": [
            {
                "id": name,
                "type": "Attribute",
                "attributeName": tm.compact(name),
                "attributeTypes": sorted(kinds),
            }
            for name, kinds in sorted(summary.attributes.items())
        ],
    }


async def list_types(request: Request) -> Response:
    summaries, tm = await _summaries(request)
    mtype = http.accepted(request)
    content: Any
    if flag(request.query_params, "details"):
        content = [
            {
                "id": s.type,
                "type": "EntityType",
                "typeName": tm.compact(s.type),
                "attributeNames": [tm.compact(a) for a in sorted(s.attributes)],
            }
            for s in summaries
        ]
    else:
        content = {
            "id": f"urn:ngsi-ld:EntityTypeList:{uuid.uuid4()}",
            "type": "EntityTypeList",
            "typeList": sorted(tm.compact(s.type) for s in summaries),
        }
    return http.json_ld_response(request, content, mtype)


async def get_type(request: Request) -> Response:
    if not request.path_params["type"]:  # /types/ : the list
        return await list_types(request)
    summaries, tm = await _summaries(request)
    mtype = http.accepted(request)
    wanted = tm.expand(request.path_params["type"])
    for summary in summaries:
        if summary.type == wanted:
            return http.json_ld_response(request, _type_info(summary, tm), mtype)
    raise ResourceNotFound(f"no entity of type {request.path_params['type']} exists")


def _attribute_details(summaries: list[TypeSummary]) -> dict[str, dict[str, Any]]:
    details: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for name, kinds in s.attributes.items():
            entry = details.setdefault(name, {"kinds": set(), "types": set(), "count": 0})
            entry["kinds"] |= kinds
            entry["types"].add(s.type)
            entry["count"] += s.attribute_counts.get(name, 0)
    return details


def _attribute(name: str, entry: dict[str, Any], tm: TermMap) -> dict[str, Any]:
    return {
        "id": name,
        "type": "Attribute",
        "attributeName": tm.compact(name),
        "attributeCount": entry["count"],
        "attributeTypes": sorted(entry["kinds"]),
        "typeNames": sorted(tm.compact(t) for t in entry["types"]),
    }


async def list_attributes(request: Request) -> Response:
    summaries, tm = await _summaries(request)
    mtype = http.accepted(request)
    details = _attribute_details(summaries)
    content: Any
    if flag(request.query_params, "details"):
        content = sorted(
            (_attribute(n, e, tm) for n, e in details.items()), key=lambda a: a["attributeName"]
        )
    else:
        content = {
            "id": f"urn:ngsi-ld:AttributeList:{uuid.uuid4()}",
            "type": "AttributeList",
            "attributeList": sorted(tm.compact(n) for n in details),
        }
    return http.json_ld_response(request, content, mtype)


async def get_attribute(request: Request) -> Response:
    if not request.path_params["attr"]:  # /attributes/ : the list
        return await list_attributes(request)
    summaries, tm = await _summaries(request)
    mtype = http.accepted(request)
    wanted = tm.expand(request.path_params["attr"])
    entry = _attribute_details(summaries).get(wanted)
    if entry is None:
        raise ResourceNotFound(f"no entity has attribute {request.path_params['attr']}")
    return http.json_ld_response(request, _attribute(wanted, entry, tm), mtype)


# -- hosted @contexts --------------------------------------------------------------------------
def _public_base(request: Request) -> str:
    hub = http.hub_of(request)
    return (hub.settings.public_url or str(request.base_url)).rstrip("/")


async def add_context(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.read_body(request, context_rules=False)
    # not a JSON-LD context document at all: the request is malformed (InvalidRequest, 5.13.2)
    if not isinstance(body, dict) or set(body) != {"@context"}:
        raise InvalidRequest("a hosted context must be a JSON object with only an @context member")
    if not isinstance(body["@context"], dict | list):
        raise InvalidRequest("@context must be an object or an array")
    owner = policy.owner_for(http.principal_of(request))
    local_id = await hub.write(hub.contexts.host, body, owner)
    # relative, as NGSI-LD shows it; the context's URL (in lists, in @context) is absolute
    return Response(status_code=201, headers={"Location": f"{BASE}/jsonldContexts/{local_id}"})


async def list_contexts(request: Request) -> Response:
    hub = http.hub_of(request)
    kind = request.query_params.get("kind")
    if kind is not None and kind not in ("Hosted", "Cached", "ImplicitlyCreated"):
        raise BadRequestData("kind must be Hosted, Cached or ImplicitlyCreated")
    records = await hub.run(hub.contexts.held, kind)
    base = _public_base(request)

    def url_of(url: str) -> str:
        return base + url if url.startswith("/") else url

    content: Any
    if flag(request.query_params, "details"):
        content = [_details(r, url_of(r.url)) for r in records]
    else:
        content = [url_of(r.url) for r in records]
    return http.NgsiJsonResponse(content)


def _details(record: StoredContext, url: str) -> dict[str, Any]:
    return {
        "URL": url,
        "localId": f"urn:ngsi-ld:{record.local_id}",
        "kind": record.kind,
        "createdAt": record.created_at,
        "lastUsage": record.last_used,
        "numberOfHits": record.hits,
    }


async def get_context(request: Request) -> Response:
    hub = http.hub_of(request)
    raw = request.path_params["context_id"]
    if flag(request.query_params, "details"):  # what is held, not the document itself
        local_id = raw.removeprefix("urn:ngsi-ld:")
        records = await hub.run(hub.contexts.held, None)
        found = next(
            (r for r in records if raw in (r.local_id, r.url) or r.local_id == local_id), None
        )
        if found is None:
            raise ResourceNotFound(f"no @context {raw} is held here")
        base = _public_base(request)
        return http.NgsiJsonResponse(
            _details(found, base + found.url if found.url.startswith("/") else found.url)
        )
    body = await hub.run(hub.contexts.held_document, raw)
    if body is None:
        raise ResourceNotFound(f"no @context {raw} is held here")
    # a context document is served as JSON (5.13.4) unless JSON-LD is asked for by name
    wants_ld = http.JSON_LD in request.headers.get("accept", "")
    return Response(orjson.dumps(body), media_type=http.JSON_LD if wants_ld else http.JSON)


async def delete_context(request: Request) -> Response:
    hub = http.hub_of(request)
    actor = http.principal_of(request)

    def may_remove(record: StoredContext) -> None:
        policy.check_manage(actor, record.owner, "this @context")

    raw = request.query_params.get("reload", "false")
    if raw not in ("true", "false"):
        raise BadRequestData("reload must be true or false")
    ref = request.path_params["context_id"]
    if raw == "true":  # fetched again off the writer; LdContextNotAvailable (503) keeps it
        await hub.run(hub.contexts.reload, ref, may_remove)
    else:
        await hub.write(hub.contexts.remove, ref, may_remove)
    return http.no_content()


CONTEXT = BASE + "/jsonldContexts/{context_id:path}"
routes = [
    route(BASE + "/types", list_types, "GET", policy.PUBLIC_READ),
    route(BASE + "/types/{type:path}", get_type, "GET", policy.PUBLIC_READ),
    route(BASE + "/attributes", list_attributes, "GET", policy.PUBLIC_READ),
    route(BASE + "/attributes/{attr:path}", get_attribute, "GET", policy.PUBLIC_READ),
    route(BASE + "/jsonldContexts", add_context, "POST", policy.STAFF_WRITE),
    route(BASE + "/jsonldContexts", list_contexts, "GET", policy.CITY_READ),
    route(CONTEXT, get_context, "GET", policy.CITY_READ),
    route(CONTEXT, delete_context, "DELETE", policy.STAFF_WRITE),
]
