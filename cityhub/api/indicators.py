"""City indicators at /indicators/v1: definitions, values, computation, series uploads,
targets, assessments and forecasts."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData

PREFIX = "/indicators/v1"


def _day(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise BadRequestData(f"{name} must be YYYY-MM-DD, not {value!r}") from exc


async def list_indicators(request: Request) -> Response:
    hub = http.hub_of(request)
    theme = request.query_params.get("theme")
    return http.ORJSONResponse([d.summary() for d in hub.indicators.library.all(theme)])


async def show(request: Request) -> Response:
    hub = http.hub_of(request)
    d = hub.indicators.definition(request.path_params["ident"])
    return http.ORJSONResponse(d.document())


async def values(request: Request) -> Response:
    hub = http.hub_of(request)
    ident = request.path_params["ident"]
    place = request.query_params.get("place")
    rows = await hub.run(hub.indicators.values, ident, place)
    return http.ORJSONResponse(
        [
            {"place": v.place, "period": v.period, "value": v.value, "observations": v.observations}
            for v in rows
        ]
    )


async def latest(request: Request) -> Response:
    hub = http.hub_of(request)
    rows = await hub.run(hub.store.indicators.latest_indicator_values)
    return http.ORJSONResponse(
        [
            {"indicator": v.indicator, "place": v.place, "period": v.period, "value": v.value}
            for v in rows
        ]
    )


async def compute(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    ids = body.get("indicators")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise BadRequestData("indicators must be a list of indicator ids")
    today = dt.datetime.now(ZoneInfo(hub.settings.timezone)).date()
    first = _day(body["since"], "since") if "since" in body else dt.date(today.year - 2, 1, 1)
    last = _day(body["until"], "until") if "until" in body else today
    written = await hub.run(hub.indicators.compute, ids or None, first, last)
    return http.ORJSONResponse({"computed": written, "since": str(first), "until": str(last)})


async def upload_series(request: Request) -> Response:
    """The request body is the CSV or XLSX file itself; columns come from the query string or
    the definition."""
    hub = http.hub_of(request)
    ident = request.path_params["ident"]
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    suffix = ".xlsx" if "spreadsheetml" in kind else ".csv"
    if kind not in (
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ):
        raise BadRequestData("send the series as text/csv or an XLSX spreadsheet")
    body = await http.read_bytes(request, hub.settings.max_body_bytes)
    q = request.query_params
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(body)
        count = await hub.run(
            hub.indicators.load_series,
            ident,
            path,
            q.get("time_column"),
            q.get("value_column"),
            q.get("place_column"),
            q.get("city_place"),
        )
    return http.ORJSONResponse({"indicator": ident, "points": count}, status_code=201)


async def put_target(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    value = body.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise BadRequestData("value must be a number")
    for name in ("period", "place", "kind", "base_period", "note"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise BadRequestData(f"{name} must be a string")
    if not body.get("period"):
        raise BadRequestData("a target needs a period (2026, 2026-Q2, 2026-05)")
    t = await hub.write(
        hub.indicators.set_target,
        request.path_params["ident"],
        body["period"],
        float(value) if value is not None else None,
        body.get("place") or "city",
        body.get("kind") or "auto",
        body.get("base_period"),
        body.get("note") or "",
    )
    return http.ORJSONResponse(
        {
            "indicator": t.indicator,
            "place": t.place,
            "period": t.period,
            "kind": t.kind,
            "value": t.value,
        },
        status_code=201,
    )


async def assessments(request: Request) -> Response:
    """The targets' standings, judged now. Reading them changes nothing."""
    hub = http.hub_of(request)
    ident = request.query_params.get("indicator")
    ids = [ident] if ident else None
    if ident:
        hub.indicators.definition(ident)

    def run() -> list[dict[str, Any]]:
        return [a.as_dict() for a in hub.indicators.assess(ids)]

    return http.ORJSONResponse(await hub.compute.run(run))


async def publish_assessments(request: Request) -> Response:
    """Judge the targets and publish the standings on the KPI entities (a write)."""
    hub = http.hub_of(request)
    body = await http.json_object(request) if await http.read_bytes(request) else {}
    ident = body.get("indicator")
    if ident is not None and not isinstance(ident, str):
        raise BadRequestData("indicator must be an indicator id")
    ids = [ident] if ident else None
    if ident:
        hub.indicators.definition(ident)

    def run() -> list[dict[str, Any]]:
        hub.indicators.sync_targets(ids)
        return [a.as_dict() for a in hub.indicators.assess(ids, publish=True)]

    return http.ORJSONResponse(await hub.run(run))


async def forecast(request: Request) -> Response:
    hub = http.hub_of(request)
    q = request.query_params
    horizon_text = q.get("horizon", "3")
    if not horizon_text.isdecimal() or not 1 <= int(horizon_text) <= 60:
        raise BadRequestData("horizon must be a whole number from 1 to 60")
    try:
        level = float(q.get("level", "0.95"))
    except ValueError as exc:
        raise BadRequestData("level must be 0.8, 0.9 or 0.95") from exc
    if level not in (0.8, 0.9, 0.95):
        raise BadRequestData("level must be 0.8, 0.9 or 0.95")
    result = await hub.analyses.forecast(
        request.path_params["ident"], q.get("place", "city"), int(horizon_text), level
    )
    return http.ORJSONResponse(result)


INDICATOR = PREFIX + "/indicators/{ident}"
routes = [
    route(PREFIX + "/indicators", list_indicators, "GET", policy.CITY_READ),
    route(INDICATOR, show, "GET", policy.CITY_READ),
    route(INDICATOR + "/values", values, "GET", policy.CITY_READ),
    route(INDICATOR + "/series", upload_series, "POST", policy.STAFF_WRITE),
    route(INDICATOR + "/targets", put_target, "POST", policy.STAFF_WRITE),
    route(INDICATOR + "/forecast", forecast, "GET", policy.ANALYTICS),
    route(PREFIX + "/latest", latest, "GET", policy.CITY_READ),
    route(PREFIX + "/compute", compute, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/assessments", assessments, "GET", policy.CITY_READ),
    route(PREFIX + "/assessments", publish_assessments, "POST", policy.STAFF_WRITE),
]
