"""OpenAPI for the dashboard's own calls at /dashboard/v1 (the page and /static are not API)."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_citizen import _op, _param

_OBJ = {"type": "object"}
_LIST = {"type": "array", "items": _OBJ}
_TYPES = _param("type", schema={"type": "string", "pattern": "^[A-Za-z0-9_:,-]*$"})
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
_NAMES = {
    "type": "object",
    "nullable": True,
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
}
_CARD = {
    "type": "object",
    "required": ["id", "status", "status_text", "events"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string"},
        "status_text": _NAMES,
        "department_name": _NAMES,
        "service_name": {"type": "string"},
        "requested": {"type": "string", "format": "date-time", "nullable": True},
        "deadline": {"type": "string", "format": "date-time", "nullable": True},
        "reply": {"type": "string", "nullable": True},
        "satisfaction": {"type": "integer", "nullable": True},
        "lat": {"type": "number", "nullable": True},
        "long": {"type": "number", "nullable": True},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "action": {"type": "string"},
                    "action_text": _NAMES,
                    "status_text": _NAMES,
                    "actor": _NAMES,
                    "note": _NAMES,
                },
            },
        },
    },
}
_PROBLEM = {
    "description": "An RFC 7807 problem",
    "content": {"application/problem+json": {"schema": _OBJ}},
}

_CONFIG = (
    "City name, time zone, types (with the @context their entities are written in and its"
    " Link header), bounds"
)


def _tagged(op: dict[str, Any]) -> dict[str, Any]:
    op["tags"] = ["Dashboard"]
    return op


def dashboard_paths() -> dict[str, Any]:
    base = "/dashboard/v1"
    geo = {
        "summary": "Boundary layer (GeoJSON FeatureCollection, simplified for drawing)",
        "tags": ["Dashboard"],
        "parameters": [],
        "responses": {
            "200": {
                "description": "Features with zh/en names and a label point",
                "content": {"application/geo+json": {"schema": _OBJ}},
            },
            "304": {"description": "Unchanged since the ETag sent in If-None-Match"},
            "default": _PROBLEM,
        },
    }
    events = {
        "summary": "Live changes as server-sent events (a stream that stays open)",
        "description": "Events: `hello` on connect, `changes` (a JSON list of map items: id, "
        "type, lon, lat, district, street, modifiedAt, the changed values), `resync` when the "
        "reader fell behind and should reload /dashboard/v1/entities; a comment every 15 s.",
        "tags": ["Dashboard"],
        "parameters": [_TYPES],
        "responses": {
            "200": {"description": "The stream", "content": {"text/event-stream": {"schema": {}}}},
            "default": _PROBLEM,
        },
    }
    session = {
        "get": _tagged(_op("Who the browser is signed in as (department, role)", [], _OBJ)),
        "post": {
            "summary": "Sign in: exchange an API key for an HttpOnly, SameSite=Strict cookie",
            "tags": ["Dashboard"],
            "parameters": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["key"],
                            "properties": {"key": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Signed in; the cookie is set",
                    "content": {"application/json": {"schema": _OBJ}},
                },
                "default": _PROBLEM,
            },
        },
        "delete": {
            "summary": "Sign out (the session ends, the cookie is cleared)",
            "tags": ["Dashboard"],
            "parameters": [],
            "responses": {"204": {"description": "Signed out"}, "default": _PROBLEM},
        },
    }
    page = {
        "parameters": [],
        "responses": {
            "200": {"description": "An HTML page", "content": {"text/html": {"schema": {}}}},
            "default": _PROBLEM,
        },
    }
    return {
        "/": {"get": {"summary": "The operations dashboard (a page)", "tags": ["Pages"], **page}},
        "/api": {"get": {"summary": "The API index (a page)", "tags": ["Pages"], **page}},
        "/health": {
            "get": {**_op("Status, store, MQTT bridge counters", [], _OBJ), "tags": ["Service"]}
        },
        "/version": {
            "get": {
                **_op("This server's version, the NGSI-LD version it follows, its store", [], _OBJ),
                "tags": ["Service"],
            }
        },
        "/openapi.json": {"get": {**_op("This description", [], _OBJ), "tags": ["Service"]}},
        f"{base}/config": {"get": _tagged(_op(_CONFIG, [], _OBJ))},
        f"{base}/session": session,
        f"{base}/districts": {"get": geo},
        f"{base}/streets": {"get": {**geo, "summary": "Street boundaries, where the city has any"}},
        f"{base}/entities": {
            "get": _tagged(_op("Every located entity as a map item, by type", [_TYPES], _OBJ))
        },
        f"{base}/events": {"get": events},
        f"{base}/citizen": {
            "get": _tagged(
                _op(
                    "Request queue, overdue list, hot issues, sentiment by district (a key once "
                    "the city has keys)",
                    [_param("days", schema={"type": "integer", "minimum": 1, "maximum": 366})],
                    _OBJ,
                )
            )
        },
        f"{base}/requests/{{request_id}}": {
            "get": _tagged(
                _op(
                    "One service request as a case card: status, department and workflow events "
                    "in words (zh/en), times in UTC for the page to show in the city's zone",
                    [_param("request_id", "path", schema=_DIGITS)],
                    _CARD,
                )
            )
        },
        f"{base}/goals": {
            "get": _tagged(_op("Targets with their standing and the latest values", [], _LIST))
        },
        f"{base}/goals/{{ident}}": {
            "get": _tagged(
                _op(
                    "An indicator's values, targets and forecast band at a place",
                    [_param("ident", "path"), _param("place")],
                    _OBJ,
                )
            )
        },
    }
