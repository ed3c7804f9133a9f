"""Open311 GeoReport v2 at /open311/v2: discovery, services, requests and tokens, in .json
and .xml. Errors are the spec's list of {code, description} with 400, 403 or 404."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.citizen import open311
from cityhub.citizen.catalog import check_attributes
from cityhub.citizen.service import NewRequest, to_us
from cityhub.citizen.workflow import open311_statuses
from cityhub.errors import (
    BadRequestData,
    CityHubError,
    ResourceNotFound,
)
from cityhub.store.citizen_sql import RequestFilter
from cityhub.timeutil import parse_datetime

PREFIX = "/open311/v2"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_DAYS = 90
MAX_PAGE = 1000
REPORTER_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")
Handler = Callable[[Request, str], Awaitable[Response]]


def _split_format(name: str) -> tuple[str, str]:
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in ("json", "xml"):
        raise ResourceNotFound(f"'{name}': add .json or .xml")
    return stem, fmt


def render(fmt: str, root: str, content: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(open311.to_xml(root, content), status, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(content), status, media_type="application/json; charset=utf-8")


def open311_error(name: str, exc: CityHubError) -> Response:
    """An error as the spec's list of {code, description}: 400, 403 (also for a missing key)
    or 404."""
    fmt = "xml" if name.endswith(".xml") else "json"
    status = exc.status if exc.status in (400, 403, 404) else 400
    if exc.status in (401, 403):
        status = 403
    return render(fmt, "errors", open311.errors(status, exc.detail), status)


def check_jurisdiction(request: Request, given: str) -> None:
    """A jurisdiction_id other than the one this city serves is refused (404), on every call:
    answering another jurisdiction's question with this city's data would mislead."""
    served = http.hub_of(request).requests.catalog.jurisdiction
    if given and served and given != served:
        raise ResourceNotFound(f"jurisdiction_id '{given}' is not served here")


def open311_errors(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run a handler with its format (a GET's jurisdiction_id checked first); render any error
    as the spec's error list."""

    @wraps(fn)
    async def wrapper(request: Request) -> Response:
        name = request.path_params.get("name", "")
        try:
            if request.method == "GET":
                check_jurisdiction(request, request.query_params.get("jurisdiction_id", ""))
            return await fn(request, name)
        except CityHubError as exc:
            if exc.status >= 500:
                raise
            return open311_error(name, exc)

    return wrapper


def _hub_base(request: Request) -> str:
    hub = http.hub_of(request)
    return (hub.settings.public_url or str(request.base_url)).rstrip("/") + PREFIX


@open311_errors
async def discovery(request: Request, name: str) -> Response:
    _, fmt = _split_format(name)
    hub = http.hub_of(request)
    doc = open311.discovery(_hub_base(request), hub.requests.catalog)
    return render(fmt, "discovery", doc)


@open311_errors
async def services(request: Request, name: str) -> Response:
    _, fmt = _split_format(name)
    catalog = http.hub_of(request).requests.catalog
    return render(fmt, "services", [s.open311() for s in catalog.services.values()])


@open311_errors
async def service_definition(request: Request, name: str) -> Response:
    code, fmt = _split_format(name)
    service = http.hub_of(request).requests.catalog.service(code)
    return render(fmt, "service_definition", service.definition())


def _when(value: str, what: str, tz: str) -> dt.datetime:
    try:
        moment = parse_datetime(value.strip().replace(" ", "+"), tz)
    except ValueError as exc:
        raise BadRequestData(f"{what} must be a W3C datetime, e.g. 2026-11-01T00:00:00Z") from exc
    if not 1900 <= moment.year <= 9000:
        raise BadRequestData(f"{what} must be a date between the years 1900 and 9000")
    return moment


def _int(value: str | None, what: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequestData(f"{what} must be a whole number") from exc
    if not low <= number <= high:
        raise BadRequestData(f"{what} must be from {low} to {high}")
    return number


def _ids(value: str) -> list[int]:
    out = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdecimal() or len(part) > 18:
            raise BadRequestData(f"service_request_id '{part}' is not a request id")
        out.append(int(part))
    return out


@open311_errors
async def requests_list(request: Request, name: str) -> Response:
    _, fmt = _split_format(name)
    hub = http.hub_of(request)
    q = request.query_params
    tz = hub.settings.timezone
    page = _int(q.get("page"), "page", 1, 1, 1_000_000)
    size = _int(q.get("page_size"), "page_size", MAX_PAGE, 1, MAX_PAGE)
    if q.get("service_request_id"):
        flt = RequestFilter(ids=_ids(q["service_request_id"]))
    else:
        end = _when(q["end_date"], "end_date", tz) if q.get("end_date") else None
        start = _when(q["start_date"], "start_date", tz) if q.get("start_date") else None
        if start is None and end is None:
            end = dt.datetime.now(dt.UTC)
        if start is None:
            assert end is not None
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        if end is None:
            end = start + dt.timedelta(days=DEFAULT_DAYS)
        if end < start:
            raise BadRequestData("end_date is before start_date")
        if end - start > dt.timedelta(days=DEFAULT_DAYS):
            raise BadRequestData(f"start_date to end_date may span at most {DEFAULT_DAYS} days")
        codes = [c.strip() for c in q.get("service_code", "").split(",") if c.strip()]
        flt = RequestFilter(
            service_codes=codes or None,
            statuses=open311_statuses(q["status"]) if q.get("status") else None,
            start_us=to_us(start),
            end_us=to_us(end),
        )
    rows = await hub.run(hub.requests.find, flt, size, (page - 1) * size)
    catalog = hub.requests.catalog
    return render(fmt, "service_requests", [open311.request_document(r, catalog, tz) for r in rows])


@open311_errors
async def request_one(request: Request, name: str) -> Response:
    stem, fmt = _split_format(name)
    if not stem.isdecimal() or len(stem) > 18:
        raise ResourceNotFound(f"service request '{stem}' was not found")
    hub = http.hub_of(request)
    row = await hub.run(hub.requests.get, int(stem))
    doc = open311.request_document(row, hub.requests.catalog, hub.settings.timezone)
    return render(fmt, "service_requests", [doc])


@open311_errors
async def token_one(request: Request, name: str) -> Response:
    token, fmt = _split_format(name)
    hub = http.hub_of(request)
    request_id = await hub.run(hub.requests.by_token, token)
    if request_id is None:
        raise ResourceNotFound(f"token '{token}' is unknown")
    return render(
        fmt, "service_requests", [{"service_request_id": str(request_id), "token": token}]
    )


async def _form(request: Request) -> dict[str, list[str]]:
    ctype = http.media_type(request)
    if ctype not in ("application/x-www-form-urlencoded", ""):
        raise BadRequestData(f"post the request form-encoded, not as '{ctype}'")
    raw = await http.read_bytes(request)
    try:
        text = raw.decode("utf-8")
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequestData(f"the form is not UTF-8 url-encoded: {exc}") from exc


@open311_errors
async def requests_create(request: Request, name: str) -> Response:
    _, fmt = _split_format(name)
    hub = http.hub_of(request)
    form = await _form(request)
    if any(_CONTROL.search(v) for values in form.values() for v in values):
        raise BadRequestData("control characters (other than tab and line breaks) are not allowed")

    def one(key: str) -> str:
        values = form.get(key) or [""]
        return values[0]

    if not one("service_code"):
        raise BadRequestData("service_code is required")
    catalog = hub.requests.catalog
    check_jurisdiction(request, one("jurisdiction_id"))
    given = {
        key[len("attribute[") : -1]: values
        for key, values in form.items()
        if key.startswith("attribute[") and key.endswith("]")
    }
    if one("service_code") not in catalog.services:
        raise BadRequestData(f"service_code '{one('service_code')}' is not provided")
    attributes = check_attributes(catalog.services[one("service_code")], given)
    new = NewRequest(
        service_code=one("service_code"),
        description=one("description"),
        lat=one("lat") or None,
        lon=one("long") or None,
        address=one("address_string"),
        address_id=one("address_id"),
        media_url=one("media_url"),
        urgency=one("urgency") or "normal",
        reporter={k: one(k) for k in REPORTER_FIELDS},
        attributes=attributes,
    )
    row = await hub.write(hub.requests.create, new)
    answer = {
        "service_request_id": str(row.id),
        "token": row.token,
        "service_notice": row.doc.get("service_notice"),
        "account_id": one("account_id") or None,
    }
    return render(fmt, "service_requests", [answer], status=201)


async def requests_dispatch(request: Request) -> Response:
    if request.method == "POST":
        return await requests_create(request)
    return await requests_list(request)


async def _top(request: Request) -> Response:
    name = request.path_params["name"]
    stem = name.rpartition(".")[0] or name
    if stem == "requests":
        return await requests_dispatch(request)
    if request.method != "GET":
        return render("json", "errors", open311.errors(400, f"POST is not allowed on {name}"), 400)
    handler = {"discovery": discovery, "services": services}.get(stem)
    if handler is None:
        fmt = "xml" if name.endswith(".xml") else "json"
        return render(fmt, "errors", open311.errors(404, f"no resource '{name}'"), 404)
    return await handler(request)


FILING = policy.Rule(
    policy.Need.KEY, key_field="api_key", why="any valid key, also as Open311's api_key field"
)
routes = [
    route(PREFIX + "/{name:str}", _top, "GET", policy.CITY_READ),
    route(PREFIX + "/{name:str}", _top, "POST", FILING),
    route(PREFIX + "/services/{name:str}", service_definition, "GET", policy.CITY_READ),
    route(PREFIX + "/requests/{name:str}", request_one, "GET", policy.CITY_READ),
    route(PREFIX + "/tokens/{name:str}", token_one, "GET", policy.CITY_READ),
]
