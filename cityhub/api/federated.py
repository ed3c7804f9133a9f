"""The HTTP side of distributed queries: which sources a request goes to, what is forwarded."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.params import flag
from cityhub.broker.federation import Gathered, merge

__all__ = ["ask", "merge", "merged_page", "sources_for", "warned"]
from cityhub.jsonld import TermMap

_NAMES = re.compile(r"[^,;|()\s]+")
_PAGING = ("limit", "offset", "count")


def _expanded(text: str | None, tm: TermMap) -> set[str] | None:
    names = {tm.expand(n) for n in _NAMES.findall(text or "")}
    return names or None


async def sources_for(
    request: Request, tenant: str, tm: TermMap, entity_id: str | None = None
) -> list[dict[str, Any]]:
    """The registered sources this read goes to as well: none for `local=true`, for GeoJSON,
    or for a request that already passed through this broker."""
    hub = http.hub_of(request)
    params = request.query_params
    if flag(params, "local") or http.accepted(
        request, (http.JSON, http.JSON_LD, http.GEO_JSON)
    ) == (http.GEO_JSON):
        return []
    if not hub.federation.forwarding(request.headers.get("via", "")):
        return []
    ids = {entity_id} if entity_id else {i for i in params.get("id", "").split(",") if i} or None
    types = _expanded(params.get("type"), tm)
    attrs = _expanded(params.get("attrs"), tm)
    cached = hub.federation.cached_sources(tenant, types, ids, attrs)
    if cached is not None:  # the usual case: no hop to a reader thread
        return cached
    return await hub.run(hub.federation.sources, tenant, types, ids, attrs)


async def ask(
    request: Request, sources: list[dict[str, Any]], path: str, window: int | None = None
) -> Gathered:
    """The same read of every source (a page from the start to the end of the asked window)."""
    hub = http.hub_of(request)
    given = request.query_params.multi_items()
    offset = request.query_params.get("offset", "0")
    if window is None or offset in ("", "0"):  # the page asked is the page to ask for
        params = list(given)
    else:  # from the start to the end of the page, to merge before cutting the page
        params = [(k, v) for k, v in given if k not in _PAGING]
        params += [("limit", str(min(window, hub.settings.max_limit))), ("offset", "0")]
        if flag(request.query_params, "count"):
            params.append(("count", "true"))
    headers = {"Accept": "application/json"}
    link = request.headers.get("link")
    if link:
        headers["Link"] = link
    via = request.headers.get("via", "")
    return await hub.run(hub.federation.gather, sources, path, params, headers, via)


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
