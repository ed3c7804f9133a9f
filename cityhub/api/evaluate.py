"""Policy evaluation at /evaluate/v1: interrupted time series, staggered difference-in-
differences and synthetic control on a panel posted as JSON rows, or on an indicator's stored
values (``"indicator": id``: places are the units, periods the time); `?format=html` answers
the report page instead of the numbers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cityhub.api import http
from cityhub.errors import BadRequestData

PREFIX = "/evaluate/v1"
MAX_ROWS = 200_000


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
    if isinstance(value, bool) or not isinstance(value, int):
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


def _answer(request: Request, result: Any, page: str) -> Response:
    if request.query_params.get("format") == "html":
        return HTMLResponse(page)
    return http.ORJSONResponse(result.as_dict())


async def its(request: Request) -> Response:
    from cityhub.indicators.its import interrupted_time_series, series_from_rows
    from cityhub.indicators.report import its_report

    body = await http.json_object(request)
    if "indicator" in body:
        place = str(body.get("place") or "city")
        rows = await _indicator_rows(request, body, [], places=[place])
        time_col, value_col = "period", _text(body, "indicator")
    else:
        rows, time_col, value_col = _rows(body), _text(body, "time"), _text(body, "value")
    periods, values, start = series_from_rows(
        rows, time_col, value_col, str(body.get("interruption", ""))
    )
    result = interrupted_time_series(values, start, _int(body, "season", 0))
    return _answer(request, result, its_report(result, periods, values, value_col))


async def did(request: Request) -> Response:
    from cityhub.indicators.did import balanced_panel, callaway_santanna
    from cityhub.indicators.report import did_report

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
    panel = balanced_panel(rows, names["unit"], names["time"], names["outcome"], names["group"])
    control = str(body.get("control", "never"))
    bootstrap = _int(body, "bootstrap", 199)
    if not 0 <= bootstrap <= 2000:
        raise BadRequestData("'bootstrap' must be from 0 to 2000")
    result = await hub.run(callaway_santanna, panel, control, bootstrap)
    return _answer(request, result, did_report(result, names["outcome"]))


async def synth(request: Request) -> Response:
    from cityhub.indicators.report import synth_report
    from cityhub.indicators.synth import Predictor, SynthPanel, synthetic_control

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
    panel = SynthPanel(rows, unit, time_col)
    result = await hub.run(
        synthetic_control,
        panel,
        outcome,
        _text(body, "treated"),
        _int(body, "treatment"),
        predictors,
        _span(body, "optimize"),
        donors,
        bool(body.get("placebos", True)),
    )
    return _answer(request, result, synth_report(result, outcome))


routes = [
    Route(PREFIX + "/its", its, methods=["POST"]),
    Route(PREFIX + "/did", did, methods=["POST"]),
    Route(PREFIX + "/synth", synth, methods=["POST"]),
]
