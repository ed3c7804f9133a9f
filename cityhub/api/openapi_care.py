"""OpenAPI for /care/v1: the nearest open service points."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_parts import PROBLEM_RESPONSE, json_response
from cityhub.care.barthel import ITEMS
from cityhub.care.points import KINDS

_NAMES = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
_POINT = {
    "type": "object",
    "required": ["id", "name", "kind", "lat", "lon", "metres", "walk_minutes", "open"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "kind_name": _NAMES,
        "services": {"type": "array", "items": {"type": "string"}},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "metres": {"type": "integer", "description": "great-circle distance"},
        "walk_minutes": {"type": "number"},
        "minutes": {"type": "number", "description": "the faster of walking and one bus"},
        "walk_metres": {
            "type": "integer",
            "nullable": True,
            "description": "metres along the streets, when the city gave its network",
        },
        "mode": {"type": "string", "enum": ["walk", "bus"]},
        "bus": {
            "type": "object",
            "nullable": True,
            "properties": {
                "line": {"type": "string"},
                "board": {"type": "string"},
                "alight": {"type": "string"},
                "stops": {"type": "integer"},
                "walk_minutes": {"type": "number"},
            },
        },
        "open": {"type": "boolean"},
        "hours": {"type": "string", "description": "OpenStreetMap opening_hours syntax"},
        "capacity": {"type": "integer", "nullable": True},
        "free": {"type": "integer", "nullable": True},
    },
}
_PROBLEM = PROBLEM_RESPONSE


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": json_response(schema), "default": _PROBLEM}


def _q(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def care_paths() -> dict[str, Any]:
    tags = ["Community care"]
    return {
        "/care": {
            "get": {
                "summary": "The residents' page of nearby services (HTML, zh/en, mobile first)",
                "tags": ["Pages"],
                "responses": {
                    "200": {
                        "description": "An HTML page",
                        "content": {"text/html": {"schema": {}}},
                    },
                    "default": _PROBLEM,
                },
            }
        },
        "/care/v1/nearest": {
            "get": {
                "summary": "The nearest service points offering a service, open at a moment "
                "(the city's calendar) and with free capacity, by walking time",
                "tags": tags,
                "parameters": [
                    _q("lat", {"type": "number", "minimum": -90, "maximum": 90}),
                    _q("lon", {"type": "number", "minimum": -180, "maximum": 180}),
                    _q("address", {"type": "string", "maxLength": 200}),
                    _q("service", {"type": "string", "maxLength": 100}),
                    _q("at", {"type": "string", "format": "date-time"}),
                    _q("n", {"type": "integer", "minimum": 1, "maximum": 50}),
                    _q("open", {"type": "boolean"}),
                    _q("capacity", {"type": "boolean"}),
                ],
                "responses": _ok(
                    {
                        "type": "object",
                        "properties": {
                            "from": {
                                "type": "object",
                                "properties": {
                                    "lat": {"type": "number"},
                                    "lon": {"type": "number"},
                                    "place": {"type": "string", "nullable": True},
                                },
                            },
                            "method": {"type": "string"},
                            "points": {"type": "array", "items": _POINT},
                        },
                    }
                ),
            }
        },
        "/care/v1/kinds": {
            "get": {
                "summary": "The kinds of service point (社康中心, 长者饭堂…) with their names",
                "tags": tags,
                "responses": _ok(
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"kind": {"type": "string"}, "name": _NAMES},
                        },
                    }
                ),
            }
        },
        "/care/v1/gaps": {
            "get": {
                "summary": "The 15-minute life circle's gaps: each street's (or district's) share "
                "within a kind's walking circle and the residents left out, most first",
                "tags": tags,
                "parameters": [
                    _q("kind", {"type": "string", "enum": list(KINDS)}),
                    _q("minutes", {"type": "integer", "enum": [5, 10, 15]}),
                ],
                "responses": _ok(
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "minutes": {"type": "integer"},
                            "metres": {"type": "number"},
                            "level": {"type": "string", "enum": ["street", "district"]},
                            "points": {"type": "integer"},
                            "method": {"type": "string"},
                            "areas": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "share": {"type": "number", "minimum": 0, "maximum": 1},
                                        "people": {"type": "integer", "nullable": True},
                                        "leftOut": {"type": "integer", "nullable": True},
                                    },
                                },
                            },
                        },
                    }
                ),
            }
        },
        "/care/v1/assessments/barthel": {
            "post": {
                "summary": "A care-needs assessment: the Barthel index (0–100) and the "
                "dependency level from the ten items' scores (nothing is stored)",
                "tags": tags,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": list(ITEMS),
                                "properties": {
                                    name: {"type": "integer", "enum": list(allowed)}
                                    for name, (allowed, _, _) in ITEMS.items()
                                },
                            }
                        }
                    },
                },
                "responses": _ok(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "object"},
                            "score": {"type": "integer", "minimum": 0, "maximum": 100},
                            "level": {
                                "type": "string",
                                "enum": ["independent", "mild", "moderate", "severe"],
                            },
                            "level_name": _NAMES,
                        },
                    }
                ),
            }
        },
    }
