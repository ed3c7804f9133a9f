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
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from cityhub import __version__
from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.auth.keys import SESSION_COOKIE
from cityhub.dashboard import Dashboard
from cityhub.dashboard.landing import landing_page
from cityhub.dashboard.mapview import boundary_features, english_names
from cityhub.dashboard.panels import citizen_summary, goals_summary, indicator_chart, request_card
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.hub import Hub
from cityhub.workers import ServerBusy

PREFIX = "/dashboard/v1"
STATIC = resources.files("cityhub.dashboard").joinpath("static")
_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:")


def _dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


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
    return HTMLResponse(
        landing_page(http.hub_of(request)),
        headers={"Content-Security-Policy": http.REPORT_CSP},
    )


async def config(request: Request) -> Response:
    hub = http.hub_of(request)

    def run() -> dict[str, Any]:
        vocabulary = hub.contexts.vocabulary
        types = []
        for s in hub.store.type_summaries(""):
            term = vocabulary.type_term(s.type)
            found: dict[str, Any] = {"type": term, "count": s.entity_count}
            context = vocabulary.context_url(term)  # the page reads such entities in it
            if context:
                found["context"] = context
                found["link"] = http.context_link(context)
            types.append(found)
        minx, miny, maxx, maxy = _bounds(hub)
        return {
            "city": hub.settings.city,
            "timezone": hub.settings.timezone,
            "store": hub.store.dialect,
            "version": __version__,
            "keysRequired": hub.auth.enabled(),
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
    view = _dashboard(request).mapview
    return http.ORJSONResponse(await hub.run(view.snapshot, hub.store, types))


async def events(request: Request) -> Response:
    """Server-sent events: `changes` (a list of map items), `resync`, and a comment every 15 s."""
    wanted = frozenset(_types(request))

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\nevent: hello\ndata: {}\n\n"
        async for batch in _dashboard(request).live.batches(wanted):
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
    """The citizen panel: department keys (the queue is the operators'); the text of requests
    outside the reader's department is masked."""
    hub = http.hub_of(request)
    raw = request.query_params.get("days", "30")
    if not raw.isdecimal() or not 1 <= int(raw) <= 366:
        raise BadRequestData("days must be a whole number from 1 to 366")
    reader = http.principal_of(request)
    return http.ORJSONResponse(await hub.compute.run(citizen_summary, hub, int(raw), reader))


async def request_case(request: Request) -> Response:
    """One request as a case card (status and departments in words, the workflow timeline);
    text masked for readers outside the centre and the handling department."""
    hub = http.hub_of(request)
    raw = request.path_params["request_id"]
    if not raw.isdecimal() or len(raw) > 18:
        raise ResourceNotFound(f"service request '{raw}' was not found")
    reader = http.principal_of(request)
    return http.ORJSONResponse(await hub.run(request_card, hub, int(raw), reader))


async def goals(request: Request) -> Response:
    """Every target's standing, from the stored assessment (remade in the background)."""
    hub = http.hub_of(request)
    judged = await hub.analyses.assessments()
    return http.ORJSONResponse(await hub.run(goals_summary, hub, judged))


# Seconds a goal's chart waits for a forecast that is being made; past that it answers with its
# values and targets and says the forecast is pending (the making goes on and is stored).
CHART_FORECAST_WAIT = 2.0


async def goal_chart(request: Request) -> Response:
    hub = http.hub_of(request)
    place = request.query_params.get("place", "city")
    ident = request.path_params["ident"]
    chart = await hub.run(indicator_chart, hub, ident, place)
    try:
        chart["forecast"] = await hub.analyses.forecast(ident, place, wait=CHART_FORECAST_WAIT)
    except BadRequestData as exc:  # no values yet, or too short a series
        chart["forecastNote"] = exc.detail
    except ServerBusy:
        chart["forecastNote"] = "the forecast is still being made; ask again shortly"
        chart["forecastPending"] = True
    return http.ORJSONResponse(chart)


# -- the browser's session: the key is exchanged for an HttpOnly cookie -----------------------
async def start_session(request: Request) -> Response:
    """{"key": "chk_..."} -> a session cookie (HttpOnly, SameSite=Strict) that stands for the
    key, so the page never keeps the key where a script could read it."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    secret = body.get("key")
    if not isinstance(secret, str) or not secret.strip():
        raise BadRequestData("give the API key as 'key'")
    token, key, lasts = await hub.write(hub.auth.start_session, secret.strip())
    response = http.ORJSONResponse(
        {"department": key.department, "role": key.role, "expiresIn": lasts}, status_code=201
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lasts,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def show_session(request: Request) -> Response:
    principal = http.principal_of(request)
    return http.ORJSONResponse(
        {
            "signedIn": not principal.is_anonymous,
            "department": principal.department,
            "role": principal.role,
            "keysRequired": http.hub_of(request).auth.enabled(),
        },
        headers=_NO_CACHE,
    )


async def end_session(request: Request) -> Response:
    hub = http.hub_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await hub.write(hub.auth.end_session, token)
    response = http.no_content()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


routes = [
    route("/", page, "GET", policy.CITY_READ),
    route("/api", api_index, "GET", policy.CITY_READ),
    route(PREFIX + "/config", config, "GET", policy.PUBLIC_READ),
    route(PREFIX + "/session", start_session, "POST", policy.CITY_READ),
    route(PREFIX + "/session", show_session, "GET", policy.CITY_READ),
    route(PREFIX + "/session", end_session, "DELETE", policy.CITY_READ),
    route(PREFIX + "/districts", districts, "GET", policy.CITY_READ),
    route(PREFIX + "/streets", streets, "GET", policy.CITY_READ),
    route(PREFIX + "/entities", entities, "GET", policy.PUBLIC_READ),
    route(PREFIX + "/events", events, "GET", policy.PUBLIC_READ),
    route(PREFIX + "/citizen", citizen, "GET", policy.STAFF_READ),
    route(PREFIX + "/requests/{request_id}", request_case, "GET", policy.STAFF_READ),
    route(PREFIX + "/goals", goals, "GET", policy.CITY_READ),
    route(PREFIX + "/goals/{ident}", goal_chart, "GET", policy.ANALYTICS),
    Mount("/static", StaticFiles(packages=[("cityhub.dashboard", "static")]), name="static"),
]
