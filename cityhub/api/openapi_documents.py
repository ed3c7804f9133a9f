"""OpenAPI for the NGSI-LD resources that are documents: subscriptions and context source
registrations (create and list at a collection; retrieve, update, delete by id)."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_parts import _CREATED, _NO_CONTENT, NGSI, _ok, _op, _path, _query


def _document_paths(
    collection: str,
    noun: str,
    tag: str,
    id_name: str,
    list_params: list[dict[str, Any]],
    schema: str,
) -> dict[str, Any]:
    """Create/list at a collection, retrieve/update/delete by id: subscriptions and context
    source registrations have the same shape."""
    ident = _path(id_name, f"{noun.capitalize()} id (a URI)")
    paging = [
        _query("limit", "Page size", {"type": "integer", "minimum": 0, "maximum": 1000}),
        _query("offset", "Page start", {"type": "integer", "minimum": 0}),
        _query("count", "Count", {"type": "boolean"}),
    ]
    obj = {"$ref": f"#/components/schemas/{schema}"}
    return {
        f"{NGSI}/{collection}": {
            "get": _op(
                f"List {noun}s",
                [*list_params, *paging],
                _ok({"type": "array", "items": obj}),
                tag=tag,
            ),
            "post": _op(f"Create a {noun}", [], _CREATED, obj, tag=tag),
        },
        f"{NGSI}/{collection}/{{{id_name}}}": {
            "get": _op(f"Retrieve a {noun}", [ident], _ok(obj), tag=tag),
            "patch": _op(f"Update a {noun}", [ident], _NO_CONTENT, {"type": "object"}, tag=tag),
            "delete": _op(f"Delete a {noun}", [ident], _NO_CONTENT, tag=tag),
        },
    }


def subscription_paths() -> dict[str, Any]:
    return _document_paths(
        "subscriptions", "subscription", "Subscriptions", "subscriptionId", [], "Subscription"
    )


def registration_paths() -> dict[str, Any]:
    """Context source registrations; listing them is discovery (type or attrs needed)."""
    discovery = [
        _query("type", "Entity types the sources hold (type or attrs is needed)"),
        _query("attrs", "Attributes the sources hold"),
        _query("id", "Entity ids"),
        _query("q", "Query over the registrations' own properties"),
    ]
    return _document_paths(
        "csourceRegistrations",
        "context source registration",
        "Context sources",
        "registrationId",
        discovery,
        "CsourceRegistration",
    )


def csource_subscription_paths() -> dict[str, Any]:
    """Subscriptions to context source registrations: notified as registrations change."""
    return _document_paths(
        "csourceSubscriptions",
        "context source subscription",
        "Context sources",
        "subscriptionId",
        [],
        "Subscription",
    )


_URI = {"type": "string", "format": "uri"}
_TEXTS = {"type": "array", "items": {"type": "string"}}
_ENTITY_SELECTOR = {
    "type": "object",
    "properties": {"id": _URI, "idPattern": {"type": "string"}, "type": {"type": "string"}},
}


def document_schemas() -> dict[str, Any]:
    """Subscriptions and context source registrations, as NGSI-LD defines their members (any
    other member is kept: additional properties)."""
    return {
        "Subscription": {
            "type": "object",
            "required": ["type", "notification"],
            "properties": {
                "id": _URI,
                "type": {"type": "string", "enum": ["Subscription"]},
                "subscriptionName": {"type": "string"},
                "description": {"type": "string"},
                "entities": {"type": "array", "items": _ENTITY_SELECTOR},
                "watchedAttributes": _TEXTS,
                "notificationTrigger": _TEXTS,
                "timeInterval": {"type": "number"},
                "q": {"type": "string"},
                "geoQ": {"type": "object"},
                "isActive": {"type": "boolean"},
                "expiresAt": {"type": "string", "format": "date-time"},
                "throttling": {"type": "number"},
                "status": {"type": "string"},
                "notification": {
                    "type": "object",
                    "properties": {
                        "attributes": _TEXTS,
                        "format": {"type": "string"},
                        "endpoint": {
                            "type": "object",
                            "properties": {"uri": _URI, "accept": {"type": "string"}},
                        },
                    },
                },
            },
            "additionalProperties": True,
        },
        "CsourceRegistration": {
            "type": "object",
            "required": ["type", "information", "endpoint"],
            "properties": {
                "id": _URI,
                "type": {"type": "string", "enum": ["ContextSourceRegistration"]},
                "information": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "entities": {"type": "array", "items": _ENTITY_SELECTOR},
                            "propertyNames": _TEXTS,
                            "relationshipNames": _TEXTS,
                        },
                    },
                },
                "endpoint": _URI,
                "mode": {
                    "type": "string",
                    "enum": ["inclusive", "exclusive", "redirect", "auxiliary"],
                },
                "operations": _TEXTS,
                "expiresAt": {"type": "string", "format": "date-time"},
                "contextSourceInfo": {"type": "array", "items": {"type": "object"}},
            },
            "additionalProperties": True,
        },
    }
