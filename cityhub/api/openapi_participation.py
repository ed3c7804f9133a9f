"""OpenAPI for /participation/v1: proposals, supports, comments and answers."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_parts import PROBLEM_RESPONSE
from cityhub.api.openapi_parts import json_response as _json

_NAMES = {"type": "object", "additionalProperties": {"type": "string"}, "nullable": True}
_PROPOSAL = {
    "type": "object",
    "required": ["id", "title", "text", "status", "supports", "threshold", "created"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "category": {"type": "string"},
        "department": {"type": "string", "nullable": True},
        "department_name": _NAMES,
        "district": {"type": "string", "nullable": True},
        "street": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["open", "accepted", "in_study", "rejected"]},
        "supports": {"type": "integer"},
        "threshold": {"type": "integer", "description": "supports that oblige an answer"},
        "created": {"type": "string", "format": "date-time"},
        "threshold_reached": {"type": "string", "format": "date-time", "nullable": True},
        "answer_due": {"type": "string", "format": "date-time", "nullable": True},
        "overdue": {"type": "boolean"},
        "answered": {"type": "string", "format": "date-time", "nullable": True},
        "answer": {"type": "string"},
        "masked": {"type": "boolean", "description": "personal data in the texts is masked"},
    },
}
_COMMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "official": {"type": "boolean"},
        "by": {"type": "string", "description": "'citizen', or the answering department"},
        "text": {"type": "string"},
        "created": {"type": "string", "format": "date-time"},
    },
}
_PROBLEM = PROBLEM_RESPONSE
_ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PROJECT = {
    "type": "object",
    "required": ["id", "title", "district", "cost"],
    "properties": {
        "id": {"type": "string", "maxLength": 50},
        "title": {"type": "string"},
        "district": {"type": "string"},
        "cost": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
    },
}
_BUDGETS = {"type": "object", "additionalProperties": {"type": "number"}}
_ROUND_INPUT = {
    "type": "object",
    "required": ["title", "opens", "closes", "budgets", "projects"],
    "properties": {
        "title": {"type": "string"},
        "opens": {"type": "string", "format": "date-time"},
        "closes": {"type": "string", "format": "date-time"},
        "budgets": _BUDGETS,
        "projects": {"type": "array", "items": _PROJECT},
    },
}
_ROUND = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "department": {"type": "string"},
        "opens": {"type": "string", "format": "date-time"},
        "closes": {"type": "string", "format": "date-time"},
        "phase": {"type": "string", "enum": ["upcoming", "voting", "closed"]},
        "budgets": _BUDGETS,
        "projects": {"type": "array", "items": _PROJECT},
        "ballots": {"type": "integer"},
        "rule": {"type": "string"},
        "result": {
            "type": "object",
            "description": "per district: budget, spent, funded and not funded projects",
            "additionalProperties": {"type": "object"},
        },
    },
}
_ID = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


def participation_paths() -> dict[str, Any]:
    base = "/participation/v1/proposals"
    tags = ["Participation"]
    return {
        base: {
            "get": {
                "summary": "Proposals (most supported first, or newest, or by answer deadline)",
                "tags": tags,
                "parameters": [
                    _query("district", {"type": "string"}),
                    _query("status", {"type": "string", "enum": _PROPOSAL_STATUSES}),
                    _query("department", {"type": "string"}),
                    _query("overdue", {"type": "boolean"}),
                    _query("sort", {"type": "string", "enum": ["supports", "newest", "due"]}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    _query("offset", {"type": "integer", "minimum": 0}),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _PROPOSAL}),
                    "default": _PROBLEM,
                },
            },
            "post": {
                "summary": "Propose (classified to a department and located as hotline "
                "messages are)",
                "tags": tags,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["title", "text"],
                        "properties": {
                            "title": {"type": "string", "maxLength": 120},
                            "text": {"type": "string", "maxLength": 4000},
                            "district": {"type": "string"},
                        },
                    }
                ),
                "responses": {"201": _json(_PROPOSAL, "Proposed"), "default": _PROBLEM},
            },
        },
        f"{base}/{{proposal_id}}": {
            "get": {
                "summary": "A proposal with its comments and answers",
                "tags": tags,
                "parameters": [_ID],
                "responses": {
                    "200": _json(
                        {
                            "allOf": [
                                _PROPOSAL,
                                {
                                    "type": "object",
                                    "properties": {
                                        "comments": {"type": "array", "items": _COMMENT}
                                    },
                                },
                            ]
                        }
                    ),
                    "default": _PROBLEM,
                },
            }
        },
        f"{base}/{{proposal_id}}/supports": {
            "post": {
                "summary": "Support a proposal (one support per key; reaching the threshold "
                "starts the answer deadline)",
                "tags": tags,
                "parameters": [_ID],
                "responses": {"201": _json(_PROPOSAL, "Supported"), "default": _PROBLEM},
            }
        },
        f"{base}/{{proposal_id}}/comments": {
            "post": {
                "summary": "Comment on a proposal",
                "tags": tags,
                "parameters": [_ID],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string", "maxLength": 2000}},
                    }
                ),
                "responses": {
                    "201": _json(
                        {"type": "object", "properties": {"id": {"type": "integer"}}}, "Added"
                    ),
                    "default": _PROBLEM,
                },
            }
        },
        "/participation/v1/budgets": {
            "post": {
                "summary": "Open a participatory budgeting round: a budget per district, "
                "projects with costs, a voting phase",
                "tags": tags,
                "requestBody": _body(_ROUND_INPUT),
                "responses": {"201": _json(_ROUND, "Opened"), "default": _PROBLEM},
            }
        },
        "/participation/v1/budgets/{round_id}": {
            "get": {
                "summary": "A round: its phase, projects and turnout; the count once voting "
                "has closed",
                "tags": tags,
                "parameters": [_ROUND_ID],
                "responses": {"200": _json(_ROUND), "default": _PROBLEM},
            }
        },
        "/participation/v1/budgets/{round_id}/ballots": {
            "post": {
                "summary": "Vote: approve projects of one district within its budget (one "
                "ballot per key, while voting is open)",
                "tags": tags,
                "parameters": [_ROUND_ID],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["projects"],
                        "properties": {"projects": {"type": "array", "items": {"type": "string"}}},
                    }
                ),
                "responses": {
                    "201": _json(
                        {"type": "object", "properties": {"counted": {"type": "boolean"}}},
                        "Counted",
                    ),
                    "default": _PROBLEM,
                },
            }
        },
        f"{base}/{{proposal_id}}/answer": {
            "post": {
                "summary": "The responsible department's public answer with a status "
                "(in_study may be followed by a final answer)",
                "tags": tags,
                "parameters": [_ID],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["status", "text"],
                        "properties": {
                            "status": {
                                "type": "string",
                                "enum": ["accepted", "in_study", "rejected"],
                            },
                            "text": {"type": "string", "maxLength": 4000},
                        },
                    }
                ),
                "responses": {"200": _json(_PROPOSAL, "Answered"), "default": _PROBLEM},
            }
        },
    }


_PROPOSAL_STATUSES = ["open", "accepted", "in_study", "rejected"]
