"""OpenAPI for home care at /care/v1: the register, caregivers, orders and the day's plan."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_parts import PROBLEM_RESPONSE, json_response
from cityhub.care.barthel import ITEMS
from cityhub.care.orders import KINDS, NEXT
from cityhub.care.register import SERVICES

_TAGS = ["Home care"]
_TEXT = {"type": "string", "maxLength": 500}
_STR = {"type": "string"}
_NUM = {"type": "number"}
_WHEN = {"type": "string", "format": "date-time", "nullable": True}
_CLIENT_IN = {
    "type": "object",
    "required": ["name", "address", "lat", "lon"],
    "additionalProperties": False,
    "properties": {
        "name": _TEXT, "idNumber": _TEXT, "phone": _TEXT, "address": _TEXT,
        "contactName": _TEXT, "contactPhone": _TEXT, "note": _TEXT,
        "birthYear": {"type": "integer", "minimum": 1890, "maximum": 2010},
        "gender": {"type": "string", "enum": ["female", "male"]},
        "livesAlone": {"type": "boolean"},
        "services": {"type": "array", "items": {"type": "string", "enum": list(SERVICES)}},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "district": _TEXT, "street": _TEXT,
        "device": {"type": "string", "description": "the home alarm's entity id"},
        "deviceTenant": _STR,
        "barthel": {
            "type": "object",
            "description": "the ten Barthel items' scores; the care level follows from them",
            "properties": {
                name: {"type": "integer", "enum": list(allowed)}
                for name, (allowed, _, _) in ITEMS.items()
            },
        },
    },
}  # fmt: skip
_CLIENT = {
    "type": "object",
    "description": "A register entry; `masked` when the reader is not the serving department",
    "properties": {
        **_CLIENT_IN["properties"],  # type: ignore[dict-item]
        "id": {"type": "integer"},
        "department": _STR,
        "careLevel": {"type": "string", "enum": ["", "independent", "mild", "moderate", "severe"]},
        "active": {"type": "boolean"},
        "masked": {"type": "boolean"},
        "device": {"type": "string", "nullable": True},
        "district": {"type": "string", "nullable": True},
        "street": {"type": "string", "nullable": True},
    },
}
_CAREGIVER_IN = {
    "type": "object",
    "required": ["name", "lat", "lon"],
    "properties": {
        "name": {"type": "string", "maxLength": 100},
        "phone": {"type": "string", "maxLength": 40},
        "skills": {"type": "array", "items": _STR},
        "shift": {"type": "string", "pattern": r"^\d{2}:\d{2}-\d{2}:\d{2}$"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "onDuty": {"type": "boolean"},
    },
}
_CAREGIVER = {
    "type": "object",
    "properties": {**_CAREGIVER_IN["properties"], "id": _STR, "department": _STR},  # type: ignore[dict-item]
}
_ORDER_IN = {
    "type": "object",
    "required": ["client", "kind", "start", "end"],
    "additionalProperties": False,
    "properties": {
        "client": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": [k for k in KINDS if k != "emergency"]},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "minutes": {"type": "integer", "minimum": 1, "maximum": 480},
        "skills": {"type": "array", "items": _STR},
        "note": _TEXT,
    },
}
_ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "client": _CLIENT,
        "department": _STR,
        "kind": {"type": "string", "enum": list(KINDS)},
        "kindName": {"type": "object", "properties": {"zh": _STR, "en": _STR}},
        "priority": {"type": "string", "enum": ["urgent", "normal"]},
        "status": {"type": "string", "enum": list(NEXT)},
        "start": _WHEN, "end": _WHEN, "planned": _WHEN, "created": _WHEN, "assigned": _WHEN,
        "notified": _WHEN, "accepted": _WHEN, "arrived": _WHEN, "done": _WHEN,
        "minutes": {"type": "integer"},
        "skills": {"type": "array", "items": _STR},
        "caregiver": {"type": "string", "nullable": True},
        "source": {"type": "string", "description": "alarm:<device>:<value> for an alarm"},
        "alarms": {"type": "integer", "description": "alarm messages this order answers"},
        "note": _STR,
        "acceptedSeconds": _NUM,
        "arrivedSeconds": _NUM,
    },
}  # fmt: skip
_PLAN = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "format": "date"},
        "visits": {"type": "integer"},
        "routes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "caregiver": _STR,
                    "orders": {"type": "array", "items": {"type": "integer"}},
                    "starts": {"type": "array", "items": {"type": "string"}},
                    "rideMinutes": _NUM,
                },
            },
        },
        "unassigned": {"type": "array", "items": {"type": "integer"}},
        "seconds": _NUM,
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _q(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _op(summary: str, status: str, schema: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    ok = json_response(schema) if schema is not None else {"description": "Done"}
    return {"summary": summary, "tags": _TAGS, "responses": {status: ok,
            "default": PROBLEM_RESPONSE}, **extra}  # fmt: skip


def homecare_paths() -> dict[str, Any]:
    listed = {"type": "array", "items": _CLIENT}
    paths: dict[str, dict[str, Any]] = {
        "/care/v1/clients": {
            "post": _op("Register a client of the caller's department (Barthel items give the "
                        "care level)", "201", _CLIENT, requestBody=_body(_CLIENT_IN)),
            "get": _op("The caller's department's clients (every read audited)", "200", listed,
                       parameters=[_q("district", _STR),
                                   _q("active", {"type": "string", "enum": ["true", "false",
                                                                            "all"]}),
                                   _q("limit", {"type": "integer", "minimum": 1,
                                                "maximum": 1000}),
                                   _q("offset", {"type": "integer", "minimum": 0})]),
        },
        "/care/v1/clients/{client_id}": {
            "parameters": [_path("client_id")],
            "get": _op("A client's entry, for the serving department (audited)", "200", _CLIENT),
            "put": _op("Replace a client's entry", "200", _CLIENT, requestBody=_body(_CLIENT_IN)),
            "delete": _op("End a client's care (kept for the orders' history)", "204", None),
        },
        "/care/v1/caregivers": {
            "get": _op("The caller's department's caregivers", "200",
                       {"type": "array", "items": _CAREGIVER}),
        },
        "/care/v1/caregivers/{caregiver_id}": {
            "parameters": [_path("caregiver_id")],
            "put": _op("Create or replace a caregiver (shift, position, skills, on duty)", "200",
                       _CAREGIVER, requestBody=_body(_CAREGIVER_IN)),
        },
        "/care/v1/orders": {
            "post": _op("A service order for a client within a time window", "201", _ORDER,
                        requestBody=_body(_ORDER_IN)),
            "get": _op("A day's orders with their clients (masked for other departments); as "
                       "CSV, one caregiver's run sheet in planned order", "200",
                       {"type": "array", "items": _ORDER},
                       parameters=[_q("day", _STR), _q("department", _STR),
                                   _q("status", _STR), _q("caregiver", _STR),
                                   _q("format", {"type": "string", "enum": ["json", "csv"]})]),
        },
        "/care/v1/orders/{order_id}/status": {
            "parameters": [_path("order_id")],
            "post": _op("One step of an order's workflow (open → assigned → accepted → arrived "
                        "→ done; cancelled)", "200", _ORDER, requestBody=_body({
                            "type": "object", "required": ["status"],
                            "properties": {"status": {"type": "string", "enum": list(NEXT)},
                                           "caregiver": _STR}})),
        },
        "/care/v1/plans": {
            "post": _op("Plan a day's open visits over the caregivers on duty (VRPTW with time "
                        "windows, skills and shifts)", "200", _PLAN, requestBody=_body({
                            "type": "object",
                            "properties": {"day": {"type": "string", "format": "date"},
                                           "timeLimit": {"type": "number", "minimum": 1,
                                                         "maximum": 60}}})),
        },
    }  # fmt: skip
    for item in paths.values():  # each operation carries its path's parameters
        shared = item.pop("parameters", [])
        for op in item.values():
            op["parameters"] = [*shared, *op.get("parameters", [])]
    listing = paths["/care/v1/orders"]["get"]["responses"]["200"]["content"]
    listing["text/csv"] = {"schema": {"type": "string"}}
    return paths
