"""Policy evaluation at /evaluate/v1: interrupted time series, staggered difference-in-
differences and synthetic control on a panel posted as JSON rows, or on an indicator's stored
values (``"indicator": id``: places are the units, periods the time); `?format=html` answers
the report page instead of the numbers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData
from cityhub.indicators import analyses

PREFIX = "/evaluate/v1"
MAX_ROWS = 50_000  # observations per call (a district panel over decades is a few thousand)
MAX_BOOTSTRAP = 999


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise BadRequestData("'rows' must be a non-empty list of objects (one per observation)")
    if len(rows) > MAX_ROWS:
        raise BadRequestData(f"at most {MAX_ROWS:,} rows per call")
    return rows


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequestData(f"'{name}' must name a column (a non-empty string)")
    return value


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**9:
        raise BadRequestData(f"'{name}' must be a whole number")
    return value


def _span(body: dict[str, Any], name: str) -> tuple[int, ...]:
    value = body.get(name)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise BadRequestData(f"'{name}' must be a non-empty list of periods (whole numbers)")
    return tuple(value)


async def _indicator_rows(
    request: Request, body: dict[str, Any], extra: list[str], **kwargs: Any
) -> list[dict[str, Any]]:
    hub = http.hub_of(request)
    ident = _text(body, "indicator")
    ids = [ident, *(e for e in extra if e != ident)]
    rows: list[dict[str, Any]] = await hub.run(hub.indicators.panel, ids, **kwargs)
    return rows


def _answer(request: Request, result: dict[str, Any], page: str) -> Response:
    if request.query_params.get("format") == "html":
        return HTMLResponse(page, headers={"Content-Security-Policy": http.REPORT_CSP})
    return http.ORJSONResponse(result)


async def its(request: Request) -> Response:
    body = await http.json_object(request)
    if "indicator" in body:
        place = str(body.get("place") or "city")
        rows = await _indicator_rows(request, body, [], places=[place])
        time_col, value_col = "period", _text(body, "indicator")
    else:
        rows, time_col, value_col = _rows(body), _text(body, "time"), _text(body, "value")
    season = _int(body, "season", 0)
    if not 0 <= season <= 366:
        raise BadRequestData("'season' must be from 0 (none) to 366 periods")
    interruption = str(body.get("interruption", ""))
    result, page = await http.hub_of(request).compute.run_pure(
        analyses.its, rows, time_col, value_col, interruption, season
    )
    return _answer(request, result, page)


async def did(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    if "indicator" in body:
        adopted = body.get("adopted")
        if not isinstance(adopted, dict) or not adopted:
            raise BadRequestData("'adopted' must map treated places to their first treated year")
        rows = await _indicator_rows(request, body, [], yearly=True)
        for row in rows:
            row["group"] = adopted.get(row["place"], 0)
        names = {"unit": "place", "time": "period", "group": "group"}
        names["outcome"] = _text(body, "indicator")
    else:
        rows = _rows(body)
        names = {k: _text(body, k) for k in ("unit", "time", "outcome", "group")}
    control = str(body.get("control", "never"))
    bootstrap = _int(body, "bootstrap", 199)
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise BadRequestData(f"'bootstrap' must be from 0 to {MAX_BOOTSTRAP}")

    result, page = await hub.compute.run_pure(analyses.did, rows, names, control, bootstrap)
    return _answer(request, result, page)


async def synth(request: Request) -> Response:
    from cityhub.indicators.synth import Predictor

    hub = http.hub_of(request)
    body = await http.json_object(request)
    raw = body.get("predictors", [])
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise BadRequestData("'predictors' must be a list of {variable, periods}")
    predictors = [Predictor(_text(p, "variable"), _span(p, "periods")) for p in raw]
    donors = body.get("donors")
    if donors is not None and (
        not isinstance(donors, list) or not all(isinstance(d, str) for d in donors)
    ):
        raise BadRequestData("'donors' must be a list of unit names")
    if "indicator" in body:
        variables = [p.variable for p in predictors]
        rows = await _indicator_rows(request, body, variables, yearly=True)
        unit, time_col, outcome = "place", "period", _text(body, "indicator")
    else:
        rows = _rows(body)
        unit, time_col, outcome = _text(body, "unit"), _text(body, "time"), _text(body, "outcome")
    treated, treatment = _text(body, "treated"), _int(body, "treatment")
    optimize, placebos = _span(body, "optimize"), bool(body.get("placebos", True))
    result, page = await hub.compute.run_pure(
        analyses.synth,
        rows,
        unit,
        time_col,
        outcome,
        treated,
        treatment,
        [(p.variable, p.periods) for p in predictors],
        optimize,
        donors,
        placebos,
    )
    return _answer(request, result, page)


routes = [
    route(PREFIX + "/its", its, "POST", policy.ANALYTICS),
    route(PREFIX + "/did", did, "POST", policy.ANALYTICS),
    route(PREFIX + "/synth", synth, "POST", policy.ANALYTICS),
]
