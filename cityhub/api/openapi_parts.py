"""The OpenAPI document's building blocks shared by the NGSI-LD areas (parameters, operations,
answers)."""

from __future__ import annotations

from typing import Any

NGSI = "/ngsi-ld/v1"
_JSON_TYPES = ("application/json", "application/ld+json")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


OBJECT = {"$ref": "#/components/schemas/Object"}


def _shared(schema: dict[str, Any]) -> dict[str, Any]:
    """A bare object (or array of them) as one named schema: several media types sharing an
    inline schema make generated clients define one model per type, under one name."""
    if schema == {"type": "object"}:
        return OBJECT
    if schema.get("type") == "array" and schema.get("items") == {"type": "object"}:
        return {**schema, "items": OBJECT}
    return schema


def _content(schema: dict[str, Any], types: tuple[str, ...] = _JSON_TYPES) -> dict[str, Any]:
    shared = _shared(schema) if len(types) > 1 else schema
    return {t: {"schema": shared} for t in types}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


_TENANT = {
    "name": "NGSILD-Tenant",
    "in": "header",
    "required": False,
    "description": "Tenant; created on first write.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,32}$"},
}
_ERRORS = {
    "default": {
        "description": "An RFC 7807 problem",
        "content": {"application/problem+json": {"schema": _ref("ProblemDetails")}},
    },
}


def _op(
    summary: str,
    params: list[dict[str, Any]],
    responses: dict[str, Any],
    body: dict[str, Any] | None = None,
    body_types: tuple[str, ...] = _JSON_TYPES,
    tag: str = "Entities",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "parameters": [_TENANT, *params],
        "responses": {**responses, **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _content(body, body_types)}
    return op


def _ok(schema: dict[str, Any], code: str = "200", geo: bool = False) -> dict[str, Any]:
    types = (*_JSON_TYPES, "application/geo+json") if geo else _JSON_TYPES
    return {code: {"description": "OK", "content": _content(schema, types)}}


def json_response(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    """A plain JSON response (the city's own APIs: surveys, participation, care)."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM_RESPONSE = {
    "description": "An RFC 7807 problem",
    "content": {"application/problem+json": {"schema": {"type": "object"}}},
}

_NO_CONTENT = {"204": {"description": "Done"}}
_CREATED = {"201": {"description": "Created; Location names the new resource"}}
