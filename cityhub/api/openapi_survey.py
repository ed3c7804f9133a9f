"""OpenAPI for /survey/v1: forms (XLSForm workbooks) and their responses."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_parts import json_response as _json

_OBJ: dict[str, Any] = {"type": "object"}
_TEXTS = {"type": "object", "additionalProperties": {"type": "string"}}
_QUESTION = {
    "type": "object",
    "required": ["name", "type", "label", "choices"],
    "properties": {
        "name": {"type": "string"},
        "type": {
            "type": "string",
            "enum": [
                "text",
                "integer",
                "decimal",
                "select_one",
                "select_multiple",
                "date",
                "geopoint",
                "note",
            ],
        },
        "label": _TEXTS,
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "label": _TEXTS},
            },
        },
        "required": {"type": "string"},
        "relevant": {"type": "string", "description": "skip logic (XLSForm expression)"},
        "constraint": {"type": "string"},
        "constraint_message": _TEXTS,
    },
}
_FORM = {
    "type": "object",
    "required": ["form_id", "version", "title", "questions"],
    "properties": {
        "form_id": {"type": "string"},
        "version": {"type": "string"},
        "title": {"type": "string"},
        "language": {"type": "string"},
        "department": {"type": "string", "nullable": True},
        "questions": {"type": "array", "items": _QUESTION},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
_PROBLEM = {
    "description": "An RFC 7807 problem; a refused response lists `errors`: [{question, message}]",
    "content": {"application/problem+json": {"schema": _OBJ}},
}
_FORM_ID = {
    "name": "form_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


_UNIT = {
    "type": "object",
    "properties": {
        "unit": {"type": "string", "description": "the frame row (the catalog's _id)"},
        "stratum": {"type": "string"},
        "reminders": {"type": "integer"},
    },
}
_SAMPLE_REQUEST = {
    "type": "object",
    "required": ["frame", "strata", "size", "seed"],
    "properties": {
        "frame": {"type": "string", "description": "catalog dataset of the units"},
        "strata": {"type": "string", "description": "its column naming each unit's stratum"},
        "size": {"type": "integer", "minimum": 1, "maximum": 100000},
        "seed": {"type": "integer", "minimum": 0},
        "neyman": {"type": "string", "description": "numeric column for Neyman allocation"},
    },
}
_SAMPLE = {
    "type": "object",
    "properties": {
        "form_id": {"type": "string"},
        "frame": {"type": "string"},
        "size": {"type": "integer"},
        "seed": {"type": "integer"},
        "invitations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "unit": {"type": "string"},
                    "stratum": {"type": "string"},
                    "token": {"type": "string"},
                    "link": {"type": "string"},
                },
            },
        },
    },
}
_PROGRESS = {
    "type": "object",
    "required": ["form_id", "mode", "responses", "flagged"],
    "properties": {
        "form_id": {"type": "string"},
        "mode": {"type": "string", "enum": ["open", "sample"]},
        "responses": {"type": "integer"},
        "flagged": {"type": "integer", "description": "duplicate, too fast or bot"},
        "invited": {"type": "integer"},
        "rate": {"type": "number", "nullable": True},
        "frame": {"type": "string"},
        "strata_column": {"type": "string"},
        "strata": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "stratum": {"type": "string"},
                    "invited": {"type": "integer"},
                    "responded": {"type": "integer"},
                    "reminded": {"type": "integer"},
                    "rate": {"type": "number", "nullable": True},
                },
            },
        },
    },
}


_ESTIMATE = {
    "type": "object",
    "properties": {
        "variable": {"type": "string"},
        "statistic": {"type": "string"},
        "by": {"type": "string", "nullable": True},
        "estimate": {"type": "number", "nullable": True},
        "se": {"type": "number", "nullable": True},
        "ci_low": {"type": "number", "nullable": True},
        "ci_high": {"type": "number", "nullable": True},
        "deff": {"type": "number", "nullable": True},
        "n": {"type": "integer"},
        "suppressed": {"type": "boolean"},
    },
}
_RESULTS = {
    "type": "object",
    "properties": {
        "form_id": {"type": "string"},
        "estimates": {"type": "array", "items": _ESTIMATE},
    },
}
_RESULT_REQUEST = {
    "type": "object",
    "required": ["block"],
    "properties": {
        "block": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "scale": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "by": {"type": "string"},
        "min_cell": {"type": "integer", "minimum": 1, "maximum": 1000},
        "period": {"type": "string"},
        "indicator": {"type": "string"},
        "microdata": {
            "type": "boolean",
            "description": "also publish the closed answers with their design as a "
            "conditional dataset (no free text)",
        },
    },
}


def survey_paths() -> dict[str, Any]:
    base = "/survey/v1"
    tags = ["Surveys"]
    return {
        "/survey/{form_id}": {
            "get": {
                "summary": "A form's collection page (HTML, zh/en, mobile first)",
                "tags": ["Pages"],
                "parameters": [_FORM_ID],
                "responses": {
                    "200": {
                        "description": "An HTML page",
                        "content": {"text/html": {"schema": {}}},
                    },
                    "default": _PROBLEM,
                },
            }
        },
        f"{base}/forms": {
            "post": {
                "summary": "Publish a form (a new version) from its XLSForm workbook",
                "tags": tags,
                "parameters": [
                    {
                        "name": "filename",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 200},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": {"201": _json(_FORM, "Published"), "default": _PROBLEM},
            },
            "get": {
                "summary": "Every form with its latest version and how many responses it has",
                "tags": tags,
                "parameters": [],
                "responses": {
                    "200": _json(
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "form_id": {"type": "string"},
                                    "version": {"type": "string"},
                                    "title": {"type": "string"},
                                    "versions": {"type": "integer"},
                                    "responses": {"type": "integer"},
                                },
                            },
                        }
                    ),
                    "default": _PROBLEM,
                },
            },
        },
        f"{base}/forms/{{form_id}}": {
            "get": {
                "summary": "A form's questions, choices and logic (latest version or ?version=)",
                "tags": tags,
                "parameters": [
                    _FORM_ID,
                    {
                        "name": "version",
                        "in": "query",
                        "schema": {"type": "string", "minLength": 1},
                    },
                ],
                "responses": {"200": _json(_FORM), "default": _PROBLEM},
            }
        },
        f"{base}/forms/{{form_id}}/responses": {
            "post": {
                "summary": "Submit a response; it is checked against the form and stored whole "
                "or refused whole",
                "tags": tags,
                "parameters": [
                    _FORM_ID,
                    {
                        "name": "lang",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["zh", "en"]},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["answers"],
                                "properties": {
                                    "answers": {"type": "object"},
                                    "version": {"type": "string"},
                                    "token": {
                                        "type": "string",
                                        "description": "the invitation (a survey with a "
                                        "sample takes responses by invitation only)",
                                    },
                                    "elapsed_s": {
                                        "type": "number",
                                        "description": "seconds spent filling the form",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "version": {"type": "string"},
                            },
                        },
                        "Stored",
                    ),
                    "default": _PROBLEM,
                },
            },
            "get": {
                "summary": "Responses in order (free text masked outside the form's department)",
                "tags": tags,
                "parameters": [
                    _FORM_ID,
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {"200": _json(_OBJ), "default": _PROBLEM},
            },
        },
        f"{base}/forms/{{form_id}}/sample": {
            "post": {
                "summary": "Draw a stratified random sample of a catalog dataset and issue "
                "single-use invitations (the tokens are in this answer only)",
                "tags": tags,
                "parameters": [_FORM_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _SAMPLE_REQUEST}},
                },
                "responses": {"201": _json(_SAMPLE, "Drawn"), "default": _PROBLEM},
            }
        },
        f"{base}/forms/{{form_id}}/progress": {
            "get": {
                "summary": "Responses so far; with a sample, response rates by stratum",
                "tags": tags,
                "parameters": [_FORM_ID],
                "responses": {"200": _json(_PROGRESS), "default": _PROBLEM},
            }
        },
        f"{base}/forms/{{form_id}}/reminders": {
            "post": {
                "summary": "The invitees due a reminder (unanswered, not reminded lately); "
                "each is counted as reminded",
                "tags": tags,
                "parameters": [_FORM_ID],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "form_id": {"type": "string"},
                                "remind": {"type": "array", "items": _UNIT},
                            },
                        }
                    ),
                    "default": _PROBLEM,
                },
            }
        },
        f"{base}/forms/{{form_id}}/results": {
            "get": {
                "summary": "A Likert block's 0–100 index and each question's, overall and by "
                "domain, design-weighted with 95% intervals; small cells withheld",
                "tags": tags,
                "parameters": [
                    _FORM_ID,
                    {
                        "name": "block",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "questions, comma-separated",
                    },
                    {
                        "name": "scale",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "low,high (default 1,5)",
                    },
                    {
                        "name": "by",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "'stratum' or a select_one question",
                    },
                    {
                        "name": "min_cell",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {"200": _json(_RESULTS), "default": _PROBLEM},
            },
            "post": {
                "summary": "Publish the results: a catalog dataset of the estimates (open "
                "data) and, with indicator and period, the index as that indicator's series",
                "tags": tags,
                "parameters": [_FORM_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _RESULT_REQUEST}},
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "dataset": {"type": "string"},
                                "version": {"type": "integer"},
                                "rows": {"type": "integer"},
                                "indicator": {"type": "object"},
                                "microdata": {"type": "object"},
                            },
                        },
                        "Published",
                    ),
                    "default": _PROBLEM,
                },
            },
        },
    }
