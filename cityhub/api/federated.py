"""The HTTP side of distributed queries: which sources a request goes to, what is forwarded."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.params import flag
from cityhub.broker.federation import Forwarded, Gathered, Source, merge
from cityhub.broker.forwarding import supports
from cityhub.broker.registration_service import usable_by
from cityhub.broker.registrations import Covered
from cityhub.jsonld import TermMap

__all__ = ["ask", "merge", "merged_page", "query_body", "query_params", "sources_for", "warned"]
BASE = "/ngsi-ld/v1"

_NAMES = re.compile(r"[^,;|()\s]+")
_PAGING = ("limit", "offset", "count")
_GEO = ("georel", "geometry", "coordinates", "geoproperty")


def _expanded(text: str | None, tm: TermMap) -> set[str] | None:
    names = {tm.expand(n) for n in _NAMES.findall(text or "")}
    return names or None


async def sources_for(
    request: Request,
    tenant: str,
    tm: TermMap,
    entity_id: str | None = None,
    query: dict[str, Any] | None = None,
) -> list[Source]:
    """The registered sources this read goes to as well: none for `local=true`, for GeoJSON,
    or for a request that already passed through this broker. `query`: a Query body, for
    POST /entityOperations/query."""
    hub = http.hub_of(request)
    if flag(request.query_params, "local"):
        return []
    params: Any = request.query_params if query is None else dict(query_params(query))
    if http.accepted(request, (http.JSON, http.JSON_LD, http.GEO_JSON)) == (http.GEO_JSON):
        return []
    if not hub.federation.forwarding(request.headers.get("via", "")):
        return []
    ids = {entity_id} if entity_id else {i for i in params.get("id", "").split(",") if i} or None
    types = _expanded(params.get("type"), tm)
    attrs = _expanded(params.get("attrs"), tm)
    found = hub.federation.cached_sources(tenant, types, ids, attrs)
    if found is None:  # not read within the last second: read on a reader thread
        found = await hub.run(hub.federation.sources, tenant, types, ids, attrs)
    actor = http.principal_of(request)
    return [(doc, covered) for doc, covered in found if usable_by(doc, actor)]


async def ask(
    request: Request,
    sources: list[Source],
    entity_id: str | None = None,
    window: int | None = None,
    query: dict[str, Any] | None = None,
    tm: TermMap | None = None,
) -> Gathered:
    """The same read of every source, each by the read operation it supports: a retrieval of
    `entity_id`, or a query (a page from the start to the end of the asked window) given by
    the request's parameters or, for POST /entityOperations/query, by its `query` body."""
    hub = http.hub_of(request)
    given = [(k, v) for k, v in request.query_params.multi_items() if k != "local"]
    offset = request.query_params.get("offset", "0")
    if window is None or offset in ("", "0"):  # the page asked is the page to ask for
        params = given
    else:  # from the start to the end of the page, to merge before cutting the page
        params = [(k, v) for k, v in given if k not in _PAGING]
        params += [("limit", str(min(window, hub.settings.max_limit))), ("offset", "0")]
        if flag(request.query_params, "count"):
            params.append(("count", "true"))
    headers = {"Accept": "application/json"}
    link = request.headers.get("link")
    if link:
        headers["Link"] = link
    preferred: tuple[str, ...]
    if entity_id is not None:
        preferred = ("retrieveEntity", "queryEntity", "queryBatch")
        params = [(k, v) for k, v in params if k not in ("id", *_PAGING)]
        query = {"type": "Query", "entities": [{"id": entity_id}]}
    elif query is not None:
        preferred = ("queryBatch", "queryEntity")
    else:
        preferred = ("queryEntity", "queryBatch")
    asks = []
    for doc, covered in sources:
        operation = next((op for op in preferred if supports(doc, op)), None)
        if operation is None:
            continue
        narrowed, body = params, query
        if tm is not None and entity_id is None:
            narrowed, body = _narrowed(params, query, covered, tm)
        asks.append(_read(doc, covered, operation, entity_id, narrowed, body, headers, tm))
    via = request.headers.get("via", "")
    return await hub.run(hub.federation.gather, asks, via)


def _read(
    doc: dict[str, Any],
    covered: list[Covered],
    operation: str,
    entity_id: str | None,
    params: list[tuple[str, str]],
    query: dict[str, Any] | None,
    headers: dict[str, str],
    tm: TermMap | None,
) -> Forwarded:
    """The request asking one source for what is read, by `operation`."""
    if operation == "retrieveEntity" and entity_id is not None:
        path = f"{BASE}/entities/{quote(entity_id, safe=':')}"
        return Forwarded(doc, "GET", path + _query_string(params), headers, None, single=True)
    registered = next((sorted(c.types)[0] for c in covered if c.types), None)
    if entity_id is not None and tm is not None and registered:
        # a retrieval made as a query: its selector names the type the source registered
        named = tm.compact(registered)
        query = {"type": "Query", "entities": [{"id": entity_id, "type": named}]}
        params = [("type", named), *[(k, v) for k, v in params if k != "type"]]
    if operation == "queryEntity":
        if entity_id is not None:
            params = [("id", entity_id), *params]
        elif query is not None:
            params = [*query_params(query), *params]
        return Forwarded(doc, "GET", f"{BASE}/entities{_query_string(params)}", headers, None)
    body = query if query is not None else query_body(params)
    paging = [(k, v) for k, v in params if k in _PAGING]
    sent = {**headers, "Content-Type": http.JSON}
    return Forwarded(
        doc, "POST", f"{BASE}/entityOperations/query{_query_string(paging)}", sent,
        orjson.dumps(body),
    )  # fmt: skip


def _narrowed(
    params: list[tuple[str, str]],
    query: dict[str, Any] | None,
    covered: list[Covered],
    tm: TermMap,
) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
    """A query cut to what a source is registered for (4.3.6): its entity ids or id pattern
    and its attributes, within what was asked. Left whole when several infos match."""
    if len(covered) != 1:
        return params, query
    info = covered[0]
    asked = dict(query_params(query)) if query is not None else dict(params)
    changed: dict[str, str] = {}
    asked_ids = {i for i in asked.get("id", "").split(",") if i}
    if info.ids:
        changed["id"] = ",".join(sorted(asked_ids & info.ids if asked_ids else info.ids))
    elif info.patterns and not asked_ids and "idPattern" not in asked:
        changed["idPattern"] = info.patterns[0]
    if info.attrs:
        asked_attrs = {tm.expand(a) for a in asked.get("attrs", "").split(",") if a}
        kept = asked_attrs & info.attrs if asked_attrs else info.attrs
        changed["attrs"] = ",".join(sorted(tm.compact(a) for a in kept))
    if not changed:
        return params, query
    if query is not None:  # the body kept as sent (geoQ, scope...) but for the cut members
        cut = dict(query)
        if "id" in changed or "idPattern" in changed:
            cut["entities"] = query_body(list({**asked, **changed}.items()))["entities"]
        if "attrs" in changed:
            cut["attrs"] = changed["attrs"].split(",")
        return params, cut
    return [(k, v) for k, v in params if k not in changed] + list(changed.items()), None


def _query_string(params: list[tuple[str, str]]) -> str:
    return f"?{urlencode(params, safe=':,')}" if params else ""


def query_body(params: list[tuple[str, str]]) -> dict[str, Any]:
    """A GET query's parameters as a Query body (POST /entityOperations/query)."""
    given = dict(params)
    selector = {k: given[k] for k in ("type", "idPattern") if given.get(k)}
    ids = [i for i in given.get("id", "").split(",") if i]
    entities = [{"id": i, **selector} for i in ids] or ([selector] if selector else [])
    body: dict[str, Any] = {"type": "Query"}
    if entities:
        body["entities"] = entities
    if given.get("attrs"):
        body["attrs"] = given["attrs"].split(",")
    if given.get("q"):
        body["q"] = given["q"]
    if given.get("georel"):
        geo: dict[str, Any] = {k: given[k] for k in _GEO if given.get(k)}
        with contextlib.suppress(orjson.JSONDecodeError):
            geo["coordinates"] = orjson.loads(given.get("coordinates", ""))
        body["geoQ"] = geo
    return body


def query_params(body: dict[str, Any]) -> list[tuple[str, str]]:
    """A Query body as GET parameters (selectors joined: ids, types, one idPattern)."""
    selectors = [s for s in body.get("entities") or [] if isinstance(s, dict)]
    out = []
    for key in ("id", "type"):
        values = sorted({str(s[key]) for s in selectors if s.get(key)})
        if values:
            out.append((key, ",".join(values)))
    patterns = [str(s["idPattern"]) for s in selectors if s.get("idPattern")]
    if patterns:
        out.append(("idPattern", patterns[0]))
    attrs = body.get("attrs")
    if attrs:
        out.append(("attrs", ",".join(attrs) if isinstance(attrs, list) else str(attrs)))
    if body.get("q"):
        out.append(("q", str(body["q"])))
    return out


def merged_page(
    local: list[dict[str, Any]],
    gathered: Gathered,
    limit: int,
    offset: int,
    total: int | None,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of local and remote entities merged, and the count (entities both hold are
    counted once among those fetched)."""
    everything = merge(local, gathered.entities)
    if total is not None:
        shared = len(local) + len(gathered.entities) - len(everything)
        total = total + sum(gathered.counts) - shared
    return everything[offset : offset + limit], total


def warned(response: Response, gathered: Gathered) -> Response:
    warning = gathered.warning()
    if warning:
        response.headers["NGSILD-Warning"] = warning
    return response
