"""The OpenAPI 3.0 description of the API, built from small helpers (served at /openapi.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cityhub import __version__
from cityhub.api.openapi_access import SCHEMES, add_access, ngsi_ld_operations, operation_ids
from cityhub.api.openapi_care import care_paths
from cityhub.api.openapi_catalog import catalog_paths
from cityhub.api.openapi_citizen import citizen_paths
from cityhub.api.openapi_dashboard import dashboard_paths
from cityhub.api.openapi_documents import (
    csource_subscription_paths,
    document_schemas,
    registration_paths,
    subscription_paths,
)
from cityhub.api.openapi_homecare import homecare_paths
from cityhub.api.openapi_participation import participation_paths
from cityhub.api.openapi_parts import (
    _CREATED,
    _JSON_TYPES,
    _NO_CONTENT,
    NGSI,
    _content,
    _ok,
    _op,
    _path,
    _query,
    _ref,
)
from cityhub.api.openapi_survey import survey_paths
from cityhub.api.routing import GuardedRoute

_ENTITY_ID = _path("entityId", "Entity id (a URI)")
_ATTR_ID = _path("attrId", "Attribute name")
_OPTIONS = _query(
    "options",
    "keyValues, concise, sysAttrs (comma separated)",
    {"type": "string", "enum": ["keyValues", "concise", "sysAttrs", "keyValues,sysAttrs"]},
)
_QUERY_PARAMS = [
    _query("id", "Comma-separated entity ids"),
    _query("idPattern", "Regular expression over entity ids"),
    _query("type", "Type expression: A,B or A|B (either), A;B (both), parentheses"),
    _query("attrs", "Attributes to return; entities must have at least one"),
    _query("pick", "Members to keep"),
    _query("omit", "Members to drop"),
    _query("q", 'NGSI-LD query language, e.g. temperature>20;status=="ok"'),
    _query(
        "georel", "near;maxDistance==N, within, contains, intersects, disjoint, overlaps, equals"
    ),
    _query("geometry", "Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon"),
    _query("coordinates", "GeoJSON coordinates as a JSON array"),
    _query("geoproperty", "GeoProperty the geo-query applies to (default location)"),
    _query("lang", "Preferred language(s) for LanguageProperty"),
    _query(
        "orderBy",
        "Sort keys: id, type, createdAt, modifiedAt, an attribute or attr.sub, each ;asc or "
        ";desc, comma separated (at most 10,000 matches are sorted)",
    ),
    _query("limit", "Page size", {"type": "integer", "minimum": 0, "maximum": 1000}),
    _query("offset", "Page start", {"type": "integer", "minimum": 0}),
    _query("count", "Return NGSILD-Results-Count", {"type": "boolean"}),
    _OPTIONS,
]
_BATCH_PARTIAL = {
    "207": {"description": "Partly done", "content": _content(_ref("BatchOperationResult"))}
}
# a write some registered context sources take part in (NGSI-LD 4.3.6), when a part failed
_DISTRIBUTED = {
    "207": {
        "description": "Partly done: a part here or at a registered context source failed",
        "content": _content(_ref("BatchOperationResult")),
    }
}
_PARTIAL = {
    "207": {
        "description": "Partly done (attributes not updated, or a failed part at a context source)",
        "content": _content({"oneOf": [_ref("UpdateResult"), _ref("BatchOperationResult")]}),
    }
}
_IDS = {"type": "array", "items": {"type": "string"}}


def _schemas() -> dict[str, Any]:
    attribute = {
        "oneOf": [
            {"type": "object"},
            {"type": "array", "items": {"type": "object"}},  # several instances (datasetIds)
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
        ]
    }
    return {
        "Object": {"type": "object", "additionalProperties": True},
        "ContextDocument": {
            "type": "object",
            "required": ["@context"],
            "properties": {"@context": {}},
        },
        "ProblemDetails": {
            "type": "object",
            "required": ["type", "title"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
            },
        },
        "Entity": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "type": {"oneOf": [{"type": "string"}, _IDS]}},
            "additionalProperties": attribute,
        },
        "EntityInput": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"type": "string", "format": "uri"},
                "type": {"oneOf": [{"type": "string"}, _IDS]},
                # Only with application/ld+json; with application/json it goes in Link.
                "@context": {},
            },
            # An attribute: normalized (an object), concise (a bare value) or several instances.
            "additionalProperties": {},
        },
        "Fragment": {"type": "object", "additionalProperties": {"type": "object"}},
        "UpdateResult": {
            "type": "object",
            "properties": {
                "updated": _IDS,
                "notUpdated": {"type": "array", "items": {"type": "object"}},
            },
        },
        "BatchOperationResult": {
            "type": "object",
            "properties": {
                "success": _IDS,
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
        "EntityList": {"oneOf": [{"type": "array", "items": _ref("Entity")}, {"type": "object"}]},
        "Any": {},
    }


def build_openapi(routes: Sequence[GuardedRoute]) -> dict[str, Any]:
    """The document for the application serving `routes`: each area's operations, with who may
    call each read from the rule of the route that serves it."""
    entity_list = _ref("EntityList")
    paths: dict[str, Any] = {
        f"{NGSI}/entities": {
            "get": _op("Query entities", _QUERY_PARAMS, _ok(entity_list, geo=True)),
            "post": _op("Create an entity", [], {**_CREATED, **_DISTRIBUTED}, _ref("EntityInput")),
            "delete": _op(
                "Purge the entities a query selects (at most 10,000), or drop or keep some of "
                "their attributes",
                [
                    *[p for p in _QUERY_PARAMS if p["name"] in ("id", "idPattern", "type", "q")],
                    _query("attrs", "Entities having one of these attributes"),
                    _query("local", "true: every entity of this broker"),
                    _query("drop", "Attributes to remove (not the entities)"),
                    _query("keep", "Attributes to keep; every other one is removed"),
                ],
                {**_NO_CONTENT, **_DISTRIBUTED},
            ),
        },
        f"{NGSI}/entities/{{entityId}}": {
            "get": _op(
                "Retrieve an entity",
                [_ENTITY_ID, _OPTIONS, _query("attrs", "Attributes"), _query("lang", "Language")],
                _ok(_ref("Any"), geo=True),
            ),
            "delete": _op("Delete an entity", [_ENTITY_ID], {**_NO_CONTENT, **_DISTRIBUTED}),
            "put": _op(
                "Replace an entity",
                [_ENTITY_ID],
                {**_NO_CONTENT, **_DISTRIBUTED},
                _ref("Fragment"),
            ),
            "patch": _op(
                "Merge into an entity",
                [_ENTITY_ID],
                {**_NO_CONTENT, **_DISTRIBUTED},
                _ref("Fragment"),
                (*_JSON_TYPES, "application/merge-patch+json"),
            ),
        },
        f"{NGSI}/entities/{{entityId}}/attrs": {
            "post": _op(
                "Append attributes",
                [_ENTITY_ID, _query("options", "noOverwrite")],
                {**_NO_CONTENT, **_PARTIAL},
                _ref("Fragment"),
            ),
            "patch": _op(
                "Update attributes", [_ENTITY_ID], {**_NO_CONTENT, **_PARTIAL}, _ref("Fragment")
            ),
        },
        f"{NGSI}/entities/{{entityId}}/attrs/{{attrId}}": {
            "patch": _op(
                "Partial attribute update",
                [_ENTITY_ID, _ATTR_ID],
                {**_NO_CONTENT, **_DISTRIBUTED},
                {"type": "object"},
            ),
            "put": _op(
                "Replace an attribute",
                [_ENTITY_ID, _ATTR_ID],
                {**_NO_CONTENT, **_DISTRIBUTED},
                {"type": "object"},
            ),
            "delete": _op(
                "Delete an attribute",
                [
                    _ENTITY_ID,
                    _ATTR_ID,
                    _query("datasetId", "Instance to delete"),
                    _query("deleteAll", "All instances", {"type": "boolean"}),
                ],
                {**_NO_CONTENT, **_DISTRIBUTED},
            ),
        },
        f"{NGSI}/types": {
            "get": _op(
                "List entity types",
                [_query("details", "Details", {"type": "boolean"})],
                _ok(_ref("Any")),
                tag="Discovery",
            )
        },
        f"{NGSI}/types/{{type}}": {
            "get": _op(
                "Describe an entity type",
                [_path("type", "Type")],
                _ok(_ref("Any")),
                tag="Discovery",
            )
        },
        f"{NGSI}/attributes": {
            "get": _op(
                "List attributes",
                [_query("details", "Details", {"type": "boolean"})],
                _ok(_ref("Any")),
                tag="Discovery",
            )
        },
        f"{NGSI}/attributes/{{attrId}}": {
            "get": _op("Describe an attribute", [_ATTR_ID], _ok(_ref("Any")), tag="Discovery")
        },
        f"{NGSI}/jsonldContexts": {
            "get": _op(
                "List held @contexts",
                [
                    _query("details", "Details", {"type": "boolean"}),
                    _query(
                        "kind",
                        "Hosted, Cached or ImplicitlyCreated",
                        {"type": "string", "enum": ["Hosted", "Cached", "ImplicitlyCreated"]},
                    ),
                ],
                {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "object"}}
                            }
                        },
                    }
                },
                tag="Contexts",
            ),
            "post": _op(
                "Host an @context",
                [],
                _CREATED,
                _ref("ContextDocument"),
                tag="Contexts",
            ),
        },
        f"{NGSI}/jsonldContexts/{{contextId}}": {
            "get": _op(
                "Serve an @context",
                [_path("contextId", "Local id or URL")],
                {"200": {"description": "OK", "content": _content({"type": "object"})}},
                tag="Contexts",
            ),
            "delete": _op(
                "Delete an @context", [_path("contextId", "Local id")], _NO_CONTENT, tag="Contexts"
            ),
        },
    }
    batch_body = {"type": "array", "items": {"type": "object"}}
    for name, summary, ok in (
        (
            "create",
            "Create entities",
            {"201": {"description": "Created", "content": _content(_IDS)}},
        ),
        (
            "upsert",
            "Create or replace entities",
            {"201": {"description": "Created", "content": _content(_IDS)}, **_NO_CONTENT},
        ),
        ("update", "Update entities", _NO_CONTENT),
        ("merge", "Merge into entities", _NO_CONTENT),
        ("delete", "Delete entities", _NO_CONTENT),
    ):
        body = {"type": "array", "items": {"type": "string"}} if name == "delete" else batch_body
        paths[f"{NGSI}/entityOperations/{name}"] = {
            "post": _op(
                summary,
                [_query("options", "replace, update or noOverwrite")],
                {**ok, **_BATCH_PARTIAL},
                body,
                tag="Batch",
            )
        }
    paths[f"{NGSI}/entityOperations/query"] = {
        "post": _op(
            "Query entities with a Query body",
            [
                _query("limit", "Page size", {"type": "integer", "minimum": 0, "maximum": 1000}),
                _OPTIONS,
            ],
            _ok(entity_list),
            {"type": "object"},
            tag="Batch",
        )
    }
    paths.update(_temporal_paths(entity_list))
    paths.update(subscription_paths())
    paths.update(registration_paths())
    paths.update(csource_subscription_paths())
    paths.update(_iot_paths())
    paths.update(citizen_paths())
    paths.update(catalog_paths())
    paths.update(survey_paths())
    paths.update(participation_paths())
    paths.update(care_paths())
    paths.update(homecare_paths())
    paths.update(dashboard_paths())
    add_access(paths, routes)
    ngsi_ld_operations(paths)
    operation_ids(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "cityhub API",
            "version": __version__,
            "description": "NGSI-LD context broker (ETSI GS CIM 009) and city services.",
        },
        "tags": _tags(paths),
        "paths": paths,
        "components": {
            "schemas": {**_schemas(), **document_schemas()},
            "securitySchemes": SCHEMES,
        },
    }


def _tags(paths: dict[str, Any]) -> list[dict[str, str]]:
    """Every tag the operations use, declared once (generated clients group by them)."""
    names = {tag for item in paths.values() for op in item.values() for tag in op.get("tags", [])}
    return [{"name": name} for name in sorted(names)]


_TEMPORAL_PARAMS = [
    _query(
        "timerel",
        "before, after or between",
        {"type": "string", "enum": ["before", "after", "between"]},
    ),
    _query(
        "timeAt",
        "Start (or end, with before) as ISO 8601",
        {"type": "string", "format": "date-time"},
    ),
    _query("endTimeAt", "End, with between", {"type": "string", "format": "date-time"}),
    _query(
        "timeproperty",
        "observedAt, createdAt or modifiedAt",
        {"type": "string", "enum": ["observedAt", "createdAt", "modifiedAt"]},
    ),
    _query("lastN", "Newest N instances per attribute", {"type": "integer", "minimum": 1}),
    _query("aggrMethods", "totalCount, distinctCount, sum, avg, min, max, stddev, sumsq"),
    _query("aggrPeriodDuration", "ISO 8601 duration, e.g. PT1H or P1D"),
]
_TEMPORAL_OPTIONS = _query(
    "options",
    "temporalValues or aggregatedValues",
    {"type": "string", "enum": ["temporalValues", "aggregatedValues", "sysAttrs"]},
)


def _time_page(schema: dict[str, Any]) -> dict[str, Any]:
    """200, or 206 when the window held more instances than one answer carries."""
    return {
        **_ok(schema),
        "206": {
            "description": "Part of the window: Content-Range says which time range",
            "headers": {
                "Content-Range": {
                    "description": "date-time START-END/SIZE (SIZE: lastN or *)",
                    "schema": {"type": "string"},
                }
            },
            "content": _content(schema),
        },
    }


def _temporal_paths(entity_list: dict[str, Any]) -> dict[str, Any]:
    base = f"{NGSI}/temporal"
    instance = _path("instanceId", "Instance id")
    return {
        f"{base}/entities": {
            "get": _op(
                "Query entity history",
                [*_QUERY_PARAMS[:-1], _TEMPORAL_OPTIONS, *_TEMPORAL_PARAMS],
                _time_page(entity_list),
                tag="Temporal",
            ),
            "post": _op(
                "Add instances to an entity's history",
                [],
                {**_CREATED, **_NO_CONTENT},
                _ref("EntityInput"),
                tag="Temporal",
            ),
        },
        f"{base}/entities/{{entityId}}": {
            "get": _op(
                "Retrieve an entity's history",
                [_ENTITY_ID, _TEMPORAL_OPTIONS, _query("attrs", "Attributes"), *_TEMPORAL_PARAMS],
                _time_page(_ref("Any")),
                tag="Temporal",
            ),
            "delete": _op(
                "Delete an entity and its history", [_ENTITY_ID], _NO_CONTENT, tag="Temporal"
            ),
        },
        f"{base}/entities/{{entityId}}/attrs": {
            "post": _op(
                "Add attribute instances",
                [_ENTITY_ID],
                _NO_CONTENT,
                _ref("Fragment"),
                tag="Temporal",
            ),
        },
        f"{base}/entities/{{entityId}}/attrs/{{attrId}}": {
            "delete": _op(
                "Delete an attribute's history",
                [
                    _ENTITY_ID,
                    _ATTR_ID,
                    _query("datasetId", "Instances of this dataset"),
                    _query("deleteAll", "All datasets", {"type": "boolean"}),
                ],
                _NO_CONTENT,
                tag="Temporal",
            ),
        },
        f"{base}/entities/{{entityId}}/attrs/{{attrId}}/{{instanceId}}": {
            "patch": _op(
                "Modify one instance",
                [_ENTITY_ID, _ATTR_ID, instance],
                _NO_CONTENT,
                {"type": "object"},
                tag="Temporal",
            ),
            "delete": _op(
                "Delete one instance", [_ENTITY_ID, _ATTR_ID, instance], _NO_CONTENT, tag="Temporal"
            ),
        },
        f"{base}/entityOperations/query": {
            "post": _op(
                "Query history with a Query body",
                [
                    _TEMPORAL_OPTIONS,
                    _query(
                        "limit", "Page size", {"type": "integer", "minimum": 0, "maximum": 1000}
                    ),
                ],
                _ok(entity_list),
                {"type": "object"},
                tag="Temporal",
            ),
        },
    }


def _iot_paths() -> dict[str, Any]:
    json_only = ("application/json",)
    listing = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
    device_id = _path("deviceId", "Device id")
    keys = [_query("k", "Group apikey"), _query("i", "Device id")]
    stored = {
        "200": {
            "description": "Stored",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "stored": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                        },
                    }
                }
            },
        }
    }
    groups = {
        "post": _op("Provision groups", [], _CREATED, {"type": "object"}, json_only, tag="IoT"),
        "get": _op("List groups", [], listing, tag="IoT"),
    }
    by_apikey = [_query("apikey", "Group apikey")]
    groups["put"] = _op(
        "Change fields of a group (its apikey stays)",
        by_apikey,
        _NO_CONTENT,
        {"type": "object"},
        json_only,
        tag="IoT",
    )
    groups["delete"] = _op("Delete a group", by_apikey, _NO_CONTENT, tag="IoT")
    return {
        "/iot/groups": groups,
        "/iot/services": groups,  # the IoT agents' older name for the same groups
        "/iot/devices": {
            "post": _op(
                "Provision devices", [], _CREATED, {"type": "object"}, json_only, tag="IoT"
            ),
            "get": _op("List devices", [], listing, tag="IoT"),
        },
        "/iot/devices/{deviceId}": {
            "get": _op("Retrieve a device", [device_id], listing, tag="IoT"),
            "put": _op(
                "Change fields of a device (its id stays)",
                [device_id],
                _NO_CONTENT,
                {"type": "object"},
                json_only,
                tag="IoT",
            ),
            "delete": _op("Delete a device", [device_id], _NO_CONTENT, tag="IoT"),
        },
        "/iot/json": {
            "post": _op(
                "Send JSON measures", keys, stored, {"type": "object"}, json_only, tag="IoT"
            )
        },
        "/iot/d": {
            "get": _op(
                "Send UltraLight 2.0 measures in the query (d=t|21|h|60)",
                [*keys, _query("d", "UltraLight 2.0 measures")],
                stored,
                tag="IoT",
            ),
            "post": _op(
                "Send UltraLight 2.0 measures",
                keys,
                stored,
                {"type": "string"},
                ("text/plain",),
                tag="IoT",
            ),
        },
        "/iot/deadletters": {"get": _op("Latest dead-lettered messages", [], listing, tag="IoT")},
    }
