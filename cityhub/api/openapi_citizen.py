"""OpenAPI for the citizens' side: Open311 GeoReport v2 and the operators' /citizen/v1."""

from __future__ import annotations

from typing import Any

_OBJ = {"type": "object"}
_LIST = {"type": "array", "items": {"type": "object"}}
_TEXT = {"type": "string"}


def _param(name: str, where: str = "query", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or ({"type": "string", "minLength": 1} if where == "path" else _TEXT),
    }


def _open311_responses(fmt: str, ok: str = "200", shape: Any = None) -> dict[str, Any]:
    media = "application/json" if fmt == "json" else "text/xml"
    body = {"content": {media: {"schema": _LIST if fmt == "json" else _TEXT}}}
    good = {"content": {media: {"schema": shape or body["content"][media]["schema"]}}}
    return {
        ok: {"description": "OK", **good},
        "400": {"description": "Errors: [{code, description}]", **body},
        "403": {"description": "Errors: [{code, description}]", **body},
        "404": {"description": "Errors: [{code, description}]", **body},
        "default": {
            "description": "Routing errors",
            "content": {"application/problem+json": {"schema": _OBJ}},
        },
    }


def _open311_op(
    summary: str, fmt: str, params: list[dict[str, Any]], ok: str = "200", shape: Any = None
) -> Any:
    return {
        "summary": f"{summary} ({fmt.upper()})",
        "tags": ["Open311"],
        "parameters": params,
        "responses": _open311_responses(fmt, ok, shape if fmt == "json" else None),
    }


_FORM = {
    "type": "object",
    "required": ["service_code"],
    "properties": {
        name: {"type": "string"}
        for name in (
            "service_code",
            "api_key",
            "jurisdiction_id",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "device_id",
            "account_id",
            "description",
            "media_url",
            "urgency",
        )
    },
}


def _open311_paths() -> dict[str, Any]:
    base = "/open311/v2"
    listing = [
        _param(name)
        for name in ("service_request_id", "service_code", "start_date", "end_date", "status")
    ] + [
        _param("page", schema={"type": "integer", "minimum": 1}),
        _param("page_size", schema={"type": "integer", "minimum": 1, "maximum": 1000}),
    ]
    paths: dict[str, Any] = {}
    for fmt in ("json", "xml"):
        paths[f"{base}/discovery.{fmt}"] = {"get": _open311_op("Discovery", fmt, [], shape=_OBJ)}
        paths[f"{base}/services.{fmt}"] = {"get": _open311_op("Service list", fmt, [])}
        paths[f"{base}/services/{{service_code}}.{fmt}"] = {
            "get": _open311_op(
                "Service definition", fmt, [_param("service_code", "path")], shape=_OBJ
            )
        }
        post = _open311_op("File a service request", fmt, [], ok="201")
        post["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": _FORM}},
        }
        paths[f"{base}/requests.{fmt}"] = {
            "get": _open311_op("Service requests", fmt, listing),
            "post": post,
        }
        paths[f"{base}/requests/{{service_request_id}}.{fmt}"] = {
            "get": _open311_op("One service request", fmt, [_param("service_request_id", "path")])
        }
        paths[f"{base}/tokens/{{token}}.{fmt}"] = {
            "get": _open311_op("Request id for a token", fmt, [_param("token", "path")])
        }
    return paths


def _op(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], body: bool = False) -> Any:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": ["Citizen requests"],
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
            "default": {
                "description": "An RFC 7807 problem",
                "content": {"application/problem+json": {"schema": _OBJ}},
            },
        },
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _OBJ}},
        }
    return op


def _voice_paths() -> dict[str, Any]:
    base = "/voice/v1"
    day = _param("date", schema={"type": "string", "format": "date"})
    brief = _op("The daily brief (html, md or json)", [day, _param("format")], _OBJ)
    brief["tags"] = ["Public opinion"]
    brief["responses"]["200"]["content"] = {
        "text/html": {"schema": _TEXT},
        "text/markdown": {"schema": _TEXT},
        "application/json": {"schema": _OBJ},
    }
    paths = {
        f"{base}/brief": {"get": brief},
        f"{base}/hot-issues": {
            "get": _op(
                "Hot issues among recent requests",
                [
                    day,
                    _param("days", schema={"type": "integer", "minimum": 1, "maximum": 366}),
                    _param("top", schema={"type": "integer", "minimum": 1, "maximum": 200}),
                ],
                _LIST,
            )
        },
        f"{base}/sentiment": {
            "post": _op("Sentiment of texts", [], _LIST, True),
            "get": _op(
                "Sentiment of recent requests by district, department, category or day",
                [
                    day,
                    _param("by"),
                    _param("days", schema={"type": "integer", "minimum": 1, "maximum": 366}),
                ],
                _OBJ,
            ),
        },
        f"{base}/replies/evaluate": {
            "post": _op("Score an official reply, with reasons", [], _OBJ, True)
        },
    }
    for item in paths.values():
        for op in item.values():
            op["tags"] = ["Public opinion"]
    return paths


def _evaluate_paths() -> dict[str, Any]:
    paths = {}
    for name, summary in (
        (
            "its",
            "Interrupted time series (rows, time, value | indicator, place; interruption, season)",
        ),
        (
            "did",
            "Staggered difference-in-differences (rows, unit, time, outcome, group | "
            "indicator, adopted {place: year})",
        ),
        (
            "synth",
            "Synthetic control (rows, unit, time, outcome | indicator; treated, treatment, "
            "optimize, predictors)",
        ),
    ):
        op = _op(summary, [_param("format")], _OBJ, True)
        op["tags"] = ["Policy evaluation"]
        op["responses"]["200"]["content"]["text/html"] = {"schema": _TEXT}
        paths[f"/evaluate/v1/{name}"] = {"post": op}
    return paths


def _indicator_paths() -> dict[str, Any]:
    base = "/indicators/v1/indicators/{ident}"
    ident = _param("ident", "path")
    csv_body = {
        "required": True,
        "content": {
            "text/csv": {"schema": _TEXT},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
    upload = _op(
        "Upload official statistics for a series indicator",
        [
            ident,
            *(_param(n) for n in ("time_column", "value_column", "place_column", "city_place")),
        ],
        _OBJ,
    )
    upload["requestBody"] = csv_body
    upload["responses"]["201"] = upload["responses"].pop("200")
    target = _op("Set a target for a period", [ident], _OBJ, True)
    target["responses"]["201"] = target["responses"].pop("200")
    paths = {
        "/indicators/v1/indicators": {
            "get": _op("Indicator definitions", [_param("theme")], _LIST)
        },
        base: {"get": _op("One definition", [ident], _OBJ)},
        f"{base}/values": {"get": _op("Computed values", [ident, _param("place")], _LIST)},
        f"{base}/series": {"post": upload},
        f"{base}/targets": {"post": target},
        f"{base}/forecast": {
            "get": _op(
                "Forecast with intervals, method chosen by backtest",
                [
                    ident,
                    _param("place"),
                    _param("horizon", schema={"type": "integer", "minimum": 1, "maximum": 60}),
                    _param("level", schema={"type": "string", "enum": ["0.8", "0.9", "0.95"]}),
                ],
                _OBJ,
            )
        },
        "/indicators/v1/latest": {"get": _op("Latest value per indicator and place", [], _LIST)},
        "/indicators/v1/compute": {"post": _op("Compute indicators", [], _OBJ, True)},
        "/indicators/v1/assessments": {
            "get": _op(
                "Targets assessed now (reading changes nothing)", [_param("indicator")], _LIST
            ),
            "post": {
                **_op("Assess and publish the standings on the KPI entities", [], _LIST),
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"indicator": {"type": "string"}},
                            }
                        }
                    },
                },
            },
        },
    }
    for item in paths.values():
        for op in item.values():
            op["tags"] = ["Indicators"]
    return paths


def citizen_paths() -> dict[str, Any]:
    base = "/citizen/v1"
    rid = _param("request_id", "path")
    queue_params = [
        _param(name)
        for name in ("status", "department", "district", "overdue", "unrouted", "by_deadline")
    ] + [
        _param("limit", schema={"type": "integer", "minimum": 0, "maximum": 1000}),
        _param("offset", schema={"type": "integer", "minimum": 0}),
    ]
    return {
        **_open311_paths(),
        **_voice_paths(),
        **_evaluate_paths(),
        **_indicator_paths(),
        f"{base}/requests": {"get": _op("The request queue", queue_params, _LIST)},
        f"{base}/requests/{{request_id}}": {
            "get": _op("A request with its events and notices", [rid], _OBJ)
        },
        f"{base}/requests/{{request_id}}/actions": {
            "post": _op(
                "dispatch, accept, return, resolve, close, reopen or merge", [rid], _OBJ, True
            )
        },
        f"{base}/requests/{{request_id}}/follow-up": {
            "post": _op("Record the reporter's satisfaction (回访)", [rid], _OBJ, True)
        },
        f"{base}/departments": {"get": _op("Departments", [], _LIST)},
        f"{base}/departments/rates": {
            "get": _op(
                "Response, resolution and satisfaction rates (三率)",
                [_param("start"), _param("end")],
                _OBJ,
            )
        },
        f"{base}/classify": {"post": _op("Classify message texts", [], _LIST, True)},
        f"{base}/classifier": {"get": _op("The current classifier's report", [], _OBJ)},
        f"{base}/locate": {
            "get": _op(
                "District and street of coordinates or an address",
                [_param("lat"), _param("long"), _param("address")],
                _OBJ,
            )
        },
    }
