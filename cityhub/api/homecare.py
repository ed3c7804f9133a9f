"""Home care at /care/v1: the serving department's register of clients, its caregivers, service
orders and their workflow, and the day's visit plan (a VRPTW). Personal data is read raw by the
serving department only, masked for other departments' keys, and every read is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData
from cityhub.limits import whole_number
from cityhub.timeutil import city_today

PREFIX = "/care/v1"
EXPORT = ("planned", "order", "kind", "minutes", "name", "phone", "address", "lat", "lon", "note")


def _created(made: dict[str, Any], collection: str) -> Response:
    return http.ORJSONResponse(
        made, status_code=201, headers={"Location": f"{PREFIX}/{collection}/{made['id']}"}
    )


def _day(text: str | None, zone: str) -> dt.date:
    if not text or text == "today":
        return city_today(zone)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequestData("day is YYYY-MM-DD (the city's day) or 'today'") from None


async def add_client(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    made = await hub.write(hub.homecare.add_client, http.principal_of(request), body)
    return _created(made, "clients")


async def list_clients(request: Request) -> Response:
    """?district= &active=true|false|all &limit &offset — the caller's department's clients."""
    hub = http.hub_of(request)
    q = request.query_params
    active = {"": True, "true": True, "false": False, "all": None}.get(q.get("active", ""), True)
    limit = whole_number(q.get("limit"), "limit", 1, 1000, 100)
    offset = whole_number(q.get("offset"), "offset", 0, 10_000_000, 0)
    found = await hub.write(
        hub.homecare.clients, http.principal_of(request), q.get("district") or None, active,
        limit, offset,
    )  # fmt: skip
    return http.ORJSONResponse(found)


async def show_client(request: Request) -> Response:
    hub = http.hub_of(request)
    ident = http.path_number(request, "client_id", "client")
    found = await hub.write(hub.homecare.client, http.principal_of(request), ident)
    return http.ORJSONResponse(found)


async def replace_client(request: Request) -> Response:
    hub = http.hub_of(request)
    ident = http.path_number(request, "client_id", "client")
    body = await http.json_object(request)
    made = await hub.write(hub.homecare.replace_client, http.principal_of(request), ident, body)
    return http.ORJSONResponse(made)


async def end_care(request: Request) -> Response:
    hub = http.hub_of(request)
    ident = http.path_number(request, "client_id", "client")
    await hub.write(hub.homecare.end_care, http.principal_of(request), ident)
    return http.no_content()


async def list_caregivers(request: Request) -> Response:
    hub = http.hub_of(request)
    return http.ORJSONResponse(await hub.run(hub.homecare.caregivers, http.principal_of(request)))


async def put_caregiver(request: Request) -> Response:
    """{"name", "phone"?, "skills"?, "shift": "08:00-17:00", "lat", "lon", "onDuty"?}"""
    hub = http.hub_of(request)
    ident = request.path_params["caregiver_id"]
    body = await http.json_object(request)
    made = await hub.write(hub.homecare.put_caregiver, http.principal_of(request), ident, body)
    return http.ORJSONResponse(made)


async def add_order(request: Request) -> Response:
    """{"client", "kind", "start", "end", "minutes"?, "skills"?, "note"?}"""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    made = await hub.write(hub.homecare.add_order, http.principal_of(request), body)
    return _created(made, "orders")


async def list_orders(request: Request) -> Response:
    """?day=YYYY-MM-DD|today &department= &status=a,b &caregiver= &format=json|csv — a day's
    orders with their clients; as CSV, one caregiver's run sheet in planned order."""
    hub = http.hub_of(request)
    q = request.query_params
    day = _day(q.get("day"), hub.settings.timezone) if q.get("day") != "all" else None
    status = tuple(s for s in (q.get("status") or "").split(",") if s)
    fmt = q.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequestData("format is json or csv")
    caregiver = q.get("caregiver") or None
    if fmt == "csv" and caregiver is None:
        raise BadRequestData("a run sheet is one caregiver's: add caregiver=")
    found = await hub.write(
        hub.homecare.orders, http.principal_of(request), day, q.get("department") or None,
        status, caregiver,
    )  # fmt: skip
    if fmt == "json":
        return http.ORJSONResponse(found)
    out = io.StringIO()
    sheet = csv.writer(out)
    sheet.writerow(EXPORT)
    for o in sorted(found, key=lambda o: (o["planned"] or o["start"], o["id"])):
        c = o["client"]
        sheet.writerow([o["planned"] or "", o["id"], o["kindName"]["zh"], o["minutes"],
                        c.get("name", ""), c.get("phone", ""), c.get("address", ""), c["lat"],
                        c["lon"], o["note"]])  # fmt: skip
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="run-{caregiver}.csv"'},
    )


async def order_status(request: Request) -> Response:
    """{"status": "assigned"|"accepted"|"arrived"|"done"|"cancelled", "caregiver"?}"""
    hub = http.hub_of(request)
    ident = http.path_number(request, "order_id", "order")
    body = await http.json_object(request)
    caregiver = body.get("caregiver")
    if caregiver is not None and not isinstance(caregiver, str):
        raise BadRequestData("caregiver is a caregiver's id")
    made = await hub.write(
        hub.homecare.step, http.principal_of(request), ident, str(body.get("status", "")),
        caregiver,
    )  # fmt: skip
    return http.ORJSONResponse(made)


async def plan(request: Request) -> Response:
    """{"day": "YYYY-MM-DD", "timeLimit": 1–60}: the day's open visits planned over the
    caregivers on duty; each gets its caregiver and planned start."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    day = _day(body.get("day"), hub.settings.timezone)
    limit = body.get("timeLimit", 5)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 1 <= limit <= 60:
        raise BadRequestData("timeLimit is 1 to 60 seconds")
    from cityhub.care.routing import solve

    job = await hub.run(hub.homecare.day_problem, http.principal_of(request), day)
    plan = None
    if job.problem is not None:  # the search runs in a worker process, off the writer
        plan = await hub.compute.run_pure(solve, job.problem, float(limit), True,
                                          deadline=float(limit) + 30)  # fmt: skip
    return http.ORJSONResponse(await hub.write(hub.homecare.save_plan, job, plan))


CLIENT = PREFIX + "/clients/{client_id}"
routes = [
    route(PREFIX + "/clients", add_client, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/clients", list_clients, "GET", policy.STAFF_READ),
    route(CLIENT, show_client, "GET", policy.STAFF_READ),
    route(CLIENT, replace_client, "PUT", policy.STAFF_WRITE),
    route(CLIENT, end_care, "DELETE", policy.STAFF_WRITE),
    route(PREFIX + "/caregivers", list_caregivers, "GET", policy.STAFF_READ),
    route(PREFIX + "/caregivers/{caregiver_id}", put_caregiver, "PUT", policy.STAFF_WRITE),
    route(PREFIX + "/orders", add_order, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/orders", list_orders, "GET", policy.STAFF_READ),
    route(PREFIX + "/orders/{order_id}/status", order_status, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/plans", plan, "POST", policy.STAFF_WRITE),
]
