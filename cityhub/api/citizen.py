"""The 12345 centre's own API at /citizen/v1: the queue, actions on a request, follow-ups,
department rates (三率), classification and location. Errors are problem+json."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.catalog.mask import mask_text
from cityhub.citizen import views
from cityhub.citizen.entity import us_to_iso
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.limits import whole_number
from cityhub.store.citizen_sql import RequestFilter
from cityhub.timeutil import parse_datetime

PREFIX = "/citizen/v1"


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


async def queue(request: Request) -> Response:
    hub = http.hub_of(request)
    q = request.query_params
    limit = _count(q.get("limit"), "limit", 50, 1000)
    offset = _count(q.get("offset"), "offset", 0, 10_000_000)
    now_us = views.now_us()
    flt = RequestFilter(
        statuses=[s for s in q.get("status", "").split(",") if s] or None,
        department=q.get("department") or None,
        district=q.get("district") or None,
        overdue_at_us=now_us if _flag(q.get("overdue")) else None,
        unrouted=_flag(q.get("unrouted")),
        order="deadline" if _flag(q.get("by_deadline")) else "newest",
    )
    rows = await hub.run(hub.requests.find, flt, limit, offset)
    reader, catalog = http.principal_of(request), hub.requests.catalog
    return http.ORJSONResponse([views.request_view(r, catalog, reader, now_us) for r in rows])


def _count(value: str | None, what: str, default: int, high: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdecimal() or int(value) > high:
        raise BadRequestData(f"{what} must be a whole number from 0 to {high}")
    return int(value)


def _request_id(request: Request) -> int:
    raw = request.path_params["request_id"]
    if not raw.isdecimal() or len(raw) > 18:
        raise ResourceNotFound(f"service request '{raw}' was not found")
    return int(raw)


async def detail(request: Request) -> Response:
    """One request with its history; the reporter's contacts and the notices sent to them
    only for the 12345 centre and the department handling it."""
    hub = http.hub_of(request)
    request_id = _request_id(request)
    row = await hub.run(hub.requests.get, request_id)
    reader, catalog = http.principal_of(request), hub.requests.catalog
    view = views.request_view(row, catalog, reader)
    own = views.sees_contacts(row, catalog, reader)
    view["reporter"] = row.doc.get("reporter", {}) if own else {}
    view["events"] = [
        {
            "at": us_to_iso(e.at_us),
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "actor": e.actor,
            "note": e.note if own else mask_text(e.note),
        }
        for e in await hub.run(hub.store.requests.request_events, request_id)
    ]
    view["notices"] = (
        [
            {"at": us_to_iso(at), "channel": channel, "to": to, "message": message}
            for at, channel, to, message in await hub.run(
                hub.store.requests.request_notices, request_id
            )
        ]
        if own
        else []
    )
    return http.ORJSONResponse(view)


def _actor(request: Request) -> str:
    principal = http.principal_of(request)
    return principal.department or "operator"


async def act(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    into = body.get("into")
    if into is not None:
        into = whole_number(into, "'into' (a request id)", 1)
    department = body.get("department")
    if department is not None and not isinstance(department, str):
        raise BadRequestData("department must be a department code")
    principal = http.principal_of(request)
    row = await hub.write(
        hub.requests.act,
        _request_id(request),
        str(body.get("action", "")),
        _actor(request),
        str(body.get("note", "")),
        department,
        into,
        None,
        principal,
    )
    return http.ORJSONResponse(views.request_view(row, hub.requests.catalog, principal))


async def follow_up(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    principal = http.principal_of(request)
    row = await hub.write(
        hub.requests.follow_up,
        _request_id(request),
        body.get("satisfaction"),
        _actor(request),
        str(body.get("note", "")),
        principal,
    )
    return http.ORJSONResponse(views.request_view(row, hub.requests.catalog, principal))


def _period(request: Request) -> tuple[dt.datetime, dt.datetime]:
    q = request.query_params
    tz = http.hub_of(request).settings.timezone
    try:
        end = parse_datetime(q["end"], tz) if q.get("end") else dt.datetime.now(dt.UTC)
        start = parse_datetime(q["start"], tz) if q.get("start") else end - dt.timedelta(days=30)
    except ValueError as exc:
        raise BadRequestData(f"start/end must be ISO 8601 date-times: {exc}") from exc
    return start, end


async def rates(request: Request) -> Response:
    hub = http.hub_of(request)
    start, end = _period(request)
    body = await hub.run(hub.requests.rates, start, end)
    return http.ORJSONResponse({"start": start.isoformat(), "end": end.isoformat(), "rates": body})


async def departments(request: Request) -> Response:
    catalog = http.hub_of(request).requests.catalog
    return http.ORJSONResponse(
        [
            {"code": d.code, "name": {"zh": d.name_zh, "en": d.name_en}, "categories": d.categories}
            for d in catalog.departments.values()
        ]
    )


async def classify(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    texts = http.texts_of(body)
    k = body.get("k", 3)
    if not isinstance(k, int) or not 1 <= k <= 20:
        raise BadRequestData("k must be a whole number from 1 to 20")
    routed = await hub.run(hub.classifiers.classify, texts, k)
    if routed and routed[0].model_version is None:
        raise ResourceNotFound("no classifier has been trained: cityhub citizen train FILE.csv")
    catalog = hub.requests.catalog
    return http.ORJSONResponse(
        [
            {
                "category": r.category,
                "confidence": r.confidence,
                "department": catalog.department_for(r.category),
                "needs_human": (r.confidence or 0) < catalog.threshold,
                "top": [{"category": c, "confidence": p} for c, p in r.top],
                "model_version": r.model_version,
            }
            for r in routed
        ]
    )


async def classifier_report(request: Request) -> Response:
    hub = http.hub_of(request)
    found = await hub.run(hub.classifiers.report)
    if found is None:
        raise ResourceNotFound("no classifier has been trained: cityhub citizen train FILE.csv")
    version, created, report = found
    return http.ORJSONResponse({"version": version, "created": created, "report": report})


async def locate(request: Request) -> Response:
    from cityhub.citizen.places import check_coordinates

    hub = http.hub_of(request)
    q = request.query_params
    lat = lon = None
    if q.get("lat") or q.get("long"):
        lat, lon = check_coordinates(q.get("lat"), q.get("long"))
    if lat is None and not q.get("address"):
        raise BadRequestData("give lat and long, or address")
    place = hub.requests.locator.locate(lat, lon, q.get("address"))
    return http.ORJSONResponse(place.as_dict())


routes = [
    route(PREFIX + "/requests", queue, "GET", policy.STAFF_READ),
    route(PREFIX + "/requests/{request_id}", detail, "GET", policy.STAFF_READ),
    route(PREFIX + "/requests/{request_id}/actions", act, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/requests/{request_id}/follow-up", follow_up, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/departments", departments, "GET", policy.CITY_READ),
    route(PREFIX + "/departments/rates", rates, "GET", policy.CITY_READ),
    route(PREFIX + "/classify", classify, "POST", policy.ANALYTICS),
    route(PREFIX + "/classifier", classifier_report, "GET", policy.CITY_READ),
    route(PREFIX + "/locate", locate, "GET", policy.CITY_READ),
]
