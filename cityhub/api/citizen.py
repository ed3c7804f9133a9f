"""The 12345 centre's own API at /citizen/v1: the queue, actions on a request, follow-ups,
department rates (三率), classification and location. Errors are problem+json."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cityhub.api import http
from cityhub.citizen.entity import us_to_iso
from cityhub.citizen.service import to_us
from cityhub.errors import BadRequestData, ResourceNotFound, Unauthorized
from cityhub.hub import Hub
from cityhub.store.citizen_sql import RequestFilter, RequestRow
from cityhub.timeutil import parse_datetime

PREFIX = "/citizen/v1"


def request_view(hub: Hub, row: RequestRow, now_us: int | None = None) -> dict[str, Any]:
    """Everything an operator sees of a request (personal contacts included: staff only)."""
    now_us = now_us if now_us is not None else to_us(dt.datetime.now(dt.UTC))
    remaining = (row.deadline_us - now_us) / 3_600_000_000
    return {
        "id": str(row.id),
        "service_code": row.service_code,
        "status": row.status,
        "department": row.department,
        "category": row.category,
        "confidence": row.confidence,
        "urgency": row.urgency,
        "district": row.district,
        "street": row.street,
        "lat": row.lat,
        "long": row.lon,
        "requested": us_to_iso(row.requested_us),
        "updated": us_to_iso(row.updated_us),
        "response_due": us_to_iso(row.response_due_us),
        "deadline": us_to_iso(row.deadline_us),
        "responded": us_to_iso(row.responded_us),
        "resolved": us_to_iso(row.resolved_us),
        "hours_left": round(remaining, 2) if row.is_open else None,
        "deadline_state": _deadline_state(row, now_us),
        "escalation": row.escalation,
        "merged_into": str(row.merged_into) if row.merged_into is not None else None,
        "satisfaction": row.satisfaction,
        **{k: row.doc.get(k) for k in ("title", "description", "address", "status_notes")},
        "attributes": row.doc.get("attributes", {}),
        "routing": row.doc.get("routing", {}),
        "duplicate_candidates": row.doc.get("duplicate_candidates", []),
        "calendar_known": row.doc.get("calendar_known", True),
    }


def _deadline_state(row: RequestRow, now_us: int) -> str:
    """ok / warning (less than a fifth of the time left) / overdue / done."""
    if not row.is_open:
        return "done"
    if now_us > row.deadline_us:
        return "overdue"
    span = max(row.deadline_us - row.requested_us, 1)
    return "warning" if (row.deadline_us - now_us) < span / 5 else "ok"


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


async def queue(request: Request) -> Response:
    hub = http.hub_of(request)
    q = request.query_params
    staff_only(request)
    limit = _count(q.get("limit"), "limit", 50, 1000)
    offset = _count(q.get("offset"), "offset", 0, 10_000_000)
    now_us = to_us(dt.datetime.now(dt.UTC))
    flt = RequestFilter(
        statuses=[s for s in q.get("status", "").split(",") if s] or None,
        department=q.get("department") or None,
        district=q.get("district") or None,
        overdue_at_us=now_us if _flag(q.get("overdue")) else None,
        unrouted=_flag(q.get("unrouted")),
        order=(
            "deadline_us ASC, id ASC"
            if _flag(q.get("by_deadline"))
            else "requested_us DESC, id DESC"
        ),
    )
    rows = await hub.run(hub.requests.find, flt, limit, offset)
    return http.ORJSONResponse([request_view(hub, r, now_us) for r in rows])


def _count(value: str | None, what: str, default: int, high: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) > high:
        raise BadRequestData(f"{what} must be a whole number from 0 to {high}")
    return int(value)


def staff_only(request: Request) -> None:
    """Once the city has keys, the operators' API (with reporters' contacts) needs one."""
    hub = http.hub_of(request)
    if hub.keys.enabled() and hub.keys.identify(http.headers_of(request)) is None:
        raise Unauthorized("the request queue needs an API key once keys exist")


def _request_id(request: Request) -> int:
    raw = request.path_params["request_id"]
    if not raw.isdigit():
        raise ResourceNotFound(f"service request '{raw}' was not found")
    return int(raw)


async def detail(request: Request) -> Response:
    hub = http.hub_of(request)
    staff_only(request)
    request_id = _request_id(request)
    row = await hub.run(hub.requests.get, request_id)
    view = request_view(hub, row)
    view["reporter"] = row.doc.get("reporter", {})
    view["events"] = [
        {
            "at": us_to_iso(e.at_us),
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "actor": e.actor,
            "note": e.note,
        }
        for e in await hub.run(hub.store.request_events, request_id)
    ]
    view["notices"] = [
        {"at": us_to_iso(at), "channel": channel, "to": to, "message": message}
        for at, channel, to, message in await hub.run(hub.store.request_notices, request_id)
    ]
    return http.ORJSONResponse(view)


def _actor(request: Request) -> str:
    hub = http.hub_of(request)
    key = hub.keys.check_write(http.headers_of(request))
    return key.department if key is not None else "operator"


async def act(request: Request) -> Response:
    hub = http.hub_of(request)
    actor = _actor(request)
    body = await http.json_object(request)
    into = body.get("into")
    if into is not None and not str(into).isdigit():
        raise BadRequestData("'into' must be a request id")
    row = await hub.run(
        hub.requests.act,
        _request_id(request),
        str(body.get("action", "")),
        actor,
        str(body.get("note", "")),
        body.get("department"),
        int(into) if into is not None else None,
    )
    return http.ORJSONResponse(request_view(hub, row))


async def follow_up(request: Request) -> Response:
    hub = http.hub_of(request)
    actor = _actor(request)
    body = await http.json_object(request)
    row = await hub.run(
        hub.requests.follow_up,
        _request_id(request),
        body.get("satisfaction"),
        actor,
        str(body.get("note", "")),
    )
    return http.ORJSONResponse(request_view(hub, row))


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
    Route(PREFIX + "/requests", queue, methods=["GET"]),
    Route(PREFIX + "/requests/{request_id}", detail, methods=["GET"]),
    Route(PREFIX + "/requests/{request_id}/actions", act, methods=["POST"]),
    Route(PREFIX + "/requests/{request_id}/follow-up", follow_up, methods=["POST"]),
    Route(PREFIX + "/departments", departments, methods=["GET"]),
    Route(PREFIX + "/departments/rates", rates, methods=["GET"]),
    Route(PREFIX + "/classify", classify, methods=["POST"]),
    Route(PREFIX + "/classifier", classifier_report, methods=["GET"]),
    Route(PREFIX + "/locate", locate, methods=["GET"]),
]
