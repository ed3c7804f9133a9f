"""Community care at /care/v1: the nearest service points to a place that offer a service,
are open (now or at a given time, on the city's calendar) and have free capacity."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cityhub import __version__
from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.care.coverage import CIRCLES
from cityhub.care.points import KINDS
from cityhub.care.views import BUS_METHOD, METHOD, STREETS_METHOD, found_view
from cityhub.citizen.places import check_coordinates
from cityhub.errors import BadRequestData
from cityhub.limits import whole_number
from cityhub.timeutil import parse_datetime

PREFIX = "/care/v1"


def _flag(value: str | None, default: bool) -> bool:
    if value in (None, ""):
        return default
    if value.lower() not in ("true", "false", "1", "0"):
        raise BadRequestData("a flag is true or false")
    return value.lower() in ("true", "1")


async def nearest(request: Request) -> Response:
    """?lat=&lon= (WGS-84) or ?address= (a district or street), &service= &at= (ISO 8601;
    default now) &n= (1–50) &open=true &capacity=false: the nearest points, by walking time."""
    hub = http.hub_of(request)
    q = request.query_params
    address = q.get("address")
    if address:
        if len(address) > 200:
            raise BadRequestData("address is at most 200 characters")
        lat, lon, label = await hub.run(hub.care.place, address)
    else:
        lat, lon = check_coordinates(q.get("lat"), q.get("lon"))
        label = None
    service = q.get("service") or None
    if service is not None and len(service) > 100:
        raise BadRequestData("service is at most 100 characters")
    at = None
    if q.get("at"):
        try:
            at = parse_datetime(q["at"], hub.settings.timezone)
        except ValueError as exc:
            raise BadRequestData(f"at: {exc}") from None
    count = whole_number(q.get("n"), "n", 1, 50, 5)
    found = await hub.run(
        hub.care.nearest, lat, lon, service, at, count,
        _flag(q.get("open"), True), _flag(q.get("capacity"), False),
    )  # fmt: skip
    return http.ORJSONResponse(
        {
            "from": {"lat": lat, "lon": lon, "place": label},
            "method": METHOD
            + (STREETS_METHOD if hub.care.streets_file is not None else "")
            + (BUS_METHOD if hub.care.bus_file is not None else ""),
            "points": [found_view(f) for f in found],
        }
    )


async def kinds(request: Request) -> Response:
    return http.ORJSONResponse(
        [{"kind": k, "name": {"zh": zh, "en": en}} for k, (zh, en) in KINDS.items()]
    )


async def gaps(request: Request) -> Response:
    """?kind= &minutes=5|10|15: each street's (or district's) share within the life circle."""
    hub = http.hub_of(request)
    q = request.query_params
    kind = q.get("kind") or "day_care_centre"
    minutes = whole_number(q.get("minutes"), "minutes", 5, 15, 0) or CIRCLES.get(kind, 15)
    return http.ORJSONResponse(await hub.run(hub.care.gaps, kind, minutes))


_PAGE = resources.files("cityhub.dashboard").joinpath("static", "care.html")


async def page(request: Request) -> Response:
    """The residents' page of nearby services (mobile first, zh/en)."""
    html = _PAGE.read_text(encoding="utf-8").replace("{{version}}", __version__)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


async def barthel(request: Request) -> Response:
    """{"feeding": 10, …}: the Barthel index (0–100) and the dependency level. Nothing is
    stored: the answers are a care-needs assessment's, and stay with the caller."""
    from cityhub.care.barthel import assess

    body = await http.json_object(request)
    return http.ORJSONResponse(assess(body).as_dict())


routes = [
    route("/care", page, "GET", policy.CITY_READ),
    route(PREFIX + "/nearest", nearest, "GET", policy.CITY_READ),
    route(PREFIX + "/kinds", kinds, "GET", policy.CITY_READ),
    route(PREFIX + "/gaps", gaps, "GET", policy.CITY_READ),
    route(PREFIX + "/assessments/barthel", barthel, "POST", policy.STAFF_READ),
]
