"""The operations dashboard: the page at /, its bundled assets at /static, and the few calls only
the page needs at /dashboard/v1 (map layers, an entity snapshot and the live event stream).
Everything else the page shows comes from the public APIs (NGSI-LD, citizen, voice,
indicators, catalog)."""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cityhub import __version__
from cityhub.api import http
from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from cityhub.web.landing import landing_page
from cityhub.web.mapview import boundary_features, english_names
from cityhub.web.panels import citizen_summary, goals_summary, indicator_chart

PREFIX = "/dashboard/v1"
STATIC = resources.files("cityhub.web").joinpath("static")
_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:")


def _types(request: Request) -> list[str]:
    raw = request.query_params.get("type", "")
    types = [t for t in raw.split(",") if t]
    for name in types:
        if len(name) > 200 or not set(name) <= _TYPE_CHARS:
            raise BadRequestData(f"type must be entity type names separated by commas: {name!r}")
    return types


async def page(request: Request) -> Response:
    html = STATIC.joinpath("index.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("{{version}}", __version__), headers=_NO_CACHE)


async def api_index(request: Request) -> Response:
    return HTMLResponse(landing_page(http.hub_of(request)))


async def config(request: Request) -> Response:
    hub = http.hub_of(request)

    def run() -> dict[str, Any]:
        types = [
            {"type": hub.contexts.core.compact(s.type), "count": s.entity_count}
            for s in hub.store.type_summaries("")
        ]
        minx, miny, maxx, maxy = _bounds(hub)
        return {
            "city": hub.settings.city,
            "timezone": hub.settings.timezone,
            "store": hub.store.dialect,
            "version": __version__,
            "keysRequired": hub.keys.enabled(),
            "types": sorted(types, key=lambda t: str(t["type"])),
            "bounds": [[miny, minx], [maxy, maxx]],
        }

    return http.ORJSONResponse(await hub.run(run), headers=_NO_CACHE)


def _bounds(hub: Hub) -> tuple[float, float, float, float]:
    districts = hub.requests.locator.districts
    boxes = [districts.geometry(i).bounds for i in range(len(districts.names))]
    if not boxes:
        return (-180.0, -85.0, 180.0, 85.0)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class _Layers:
    """Boundary layers are drawn from the city's files: built once per process, sent with an
    ETag so a reload costs a 304."""

    def __init__(self) -> None:
        self.hubs: weakref.WeakKeyDictionary[Hub, dict[str, tuple[bytes, str]]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, hub: Hub, level: str) -> tuple[bytes, str]:
        cache = self.hubs.setdefault(hub, {})
        if level not in cache:
            locator = hub.requests.locator
            english = english_names(hub.store, hub.contexts.core)
            boundaries = locator.districts if level == "district" else locator.streets
            body = orjson.dumps(boundary_features(boundaries, english, level))
            cache[level] = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        return cache[level]


_layers = _Layers()
_NO_CACHE = {"Cache-Control": "no-cache"}


async def _layer(request: Request, level: str) -> Response:
    hub = http.hub_of(request)
    body, etag = await hub.run(_layers.get, hub, level)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)


async def districts(request: Request) -> Response:
    return await _layer(request, "district")


async def streets(request: Request) -> Response:
    return await _layer(request, "street")


async def entities(request: Request) -> Response:
    hub = http.hub_of(request)
    types = _types(request)
    return http.ORJSONResponse(await hub.run(hub.mapview.snapshot, hub.store, types))


async def events(request: Request) -> Response:
    """Server-sent events: `changes` (a list of map items), `resync`, and a comment every 15 s."""
    hub = http.hub_of(request)
    wanted = frozenset(_types(request))

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\nevent: hello\ndata: {}\n\n"
        async for batch in hub.live.batches(wanted):
            if not batch:
                yield b": keep-alive\n\n"
            elif batch[0].get("resync"):
                yield b"event: resync\ndata: {}\n\n"
            else:
                yield b"event: changes\ndata: " + orjson.dumps(batch) + b"\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def citizen(request: Request) -> Response:
    """The citizen panel: needs a key once the city has keys (the queue is the operators')."""
    from cityhub.api.citizen import staff_only

    hub = http.hub_of(request)
    staff_only(request)
    raw = request.query_params.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise BadRequestData("days must be a whole number from 1 to 366")
    return http.ORJSONResponse(await hub.run(citizen_summary, hub, int(raw)))


async def goals(request: Request) -> Response:
    hub = http.hub_of(request)
    return http.ORJSONResponse(await hub.run(goals_summary, hub))


async def goal_chart(request: Request) -> Response:
    hub = http.hub_of(request)
    place = request.query_params.get("place", "city")
    ident = request.path_params["ident"]
    return http.ORJSONResponse(await hub.run(indicator_chart, hub, ident, place))


routes = [
    Route("/", page, methods=["GET"]),
    Route("/api", api_index, methods=["GET"]),
    Route(PREFIX + "/config", config, methods=["GET"]),
    Route(PREFIX + "/districts", districts, methods=["GET"]),
    Route(PREFIX + "/streets", streets, methods=["GET"]),
    Route(PREFIX + "/entities", entities, methods=["GET"]),
    Route(PREFIX + "/events", events, methods=["GET"]),
    Route(PREFIX + "/citizen", citizen, methods=["GET"]),
    Route(PREFIX + "/goals", goals, methods=["GET"]),
    Route(PREFIX + "/goals/{ident}", goal_chart, methods=["GET"]),
    Mount("/static", StaticFiles(packages=[("cityhub.web", "static")]), name="static"),
]
