"""Validate NGSI-LD input (normalized or concise) and turn it into stored form.

Stored form: names expanded to IRIs; each attribute a list of instances; instance members by their
NGSI-LD short names; sub-attributes by expanded IRI, one instance each.
"""

from __future__ import annotations

import re
from typing import Any

from cityhub.errors import BadRequestData
from cityhub.geo import GEOMETRY_TYPES, GeometryError, validate
from cityhub.jsonld import TermMap
from cityhub.store.records import Entity, Instance
from cityhub.timeutil import is_datetime, normalise_datetime

NULL = "urn:ngsi-ld:null"
ATTRIBUTE_TYPES = {
    "Property": "value",
    "Relationship": "object",
    "GeoProperty": "value",
    "LanguageProperty": "languageMap",
    "VocabProperty": "vocab",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "JsonProperty": "json",
}
_INFER_ORDER = ("languageMap", "vocab", "valueList", "objectList", "json", "object", "value")
_KEY_TO_TYPE = {key: kind for kind, key in ATTRIBUTE_TYPES.items()}
META_MEMBERS = {
    "type",
    "observedAt",
    "unitCode",
    "datasetId",
    "createdAt",
    "modifiedAt",
    "deletedAt",
    "objectType",
    "lang",
    "instanceId",
    *ATTRIBUTE_TYPES.values(),
}
_PLAIN_PROPERTY = {
    "type",
    "value",
    "unitCode",
    "observedAt",
    "datasetId",
    "createdAt",
    "modifiedAt",
}
SYSTEM_MEMBERS = {"createdAt", "modifiedAt", "deletedAt", "instanceId"}
ENTITY_MEMBERS = {
    "id",
    "type",
    "@id",
    "@type",
    "@context",
    "scope",
    "createdAt",
    "modifiedAt",
    "deletedAt",
}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_FORBIDDEN_NAME_CHARS = set("<>\"'=;()&?/ \t\n\r")  # '/' allowed only inside absolute IRIs


def is_uri(value: Any) -> bool:
    return isinstance(value, str) and bool(_URI.match(value))


def check_uri(value: Any, what: str) -> str:
    if not is_uri(value):
        raise BadRequestData(f"{what} must be a URI, got {value!r}")
    return str(value)


def attribute_body(name: str, body: Any) -> Any:
    """The attribute a PUT or PATCH of …/attrs/{name} carries: the body itself, or the member
    `name` of a body that is an entity fragment naming only that attribute (clients send both).
    Its `@context` has been applied by then and is no part of the attribute."""
    if not isinstance(body, dict):
        return body
    body = {k: v for k, v in body.items() if k != "@context"}
    if isinstance(body.get(name), dict) and len(body) == 1:
        return body[name]
    return body  # the attribute itself (maybe with a sub-attribute of its own name)


def check_path_attribute(name: str) -> str:
    """An attribute name given in a request path: a name as in a body, and neither a JSON-LD
    keyword nor a member of the entity itself (its scope is changed with the entity's PATCH)."""
    check_name(name)
    if name.startswith("@") or name in ENTITY_MEMBERS:
        raise BadRequestData(f"{name!r} is not an attribute name")
    return name


def check_name(name: Any, what: str = "attribute name") -> str:
    if not isinstance(name, str) or not name:
        raise BadRequestData(f"{what} must be a non-empty string")
    if "://" in name:
        if any(c in name for c in "<>\"' \t\n\r"):
            raise BadRequestData(f"invalid {what} '{name}'")
        return name
    bad = _FORBIDDEN_NAME_CHARS.intersection(name)
    if bad:
        raise BadRequestData(f"invalid {what} '{name}': it contains {''.join(sorted(bad))!r}")
    return name


def parse_types(raw: Any, tm: TermMap) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise BadRequestData("entity type must not be empty")
    types: list[str] = []
    for item in items:
        iri = tm.expand(check_name(item, "entity type"))
        if iri.startswith("@") or item in ("type", "id"):  # a JSON-LD keyword, not a type
            raise BadRequestData(f"{item!r} is a keyword, not an entity type")
        if iri not in types:
            types.append(iri)
    return types


def parse_scope(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if not isinstance(item, str) or not re.match(r"^/[^\s/]+(/[^\s/]+)*$", item):
            raise BadRequestData(f"invalid scope {item!r}: scopes look like /Madrid/Gardens")
    return list(items)


def parse_entity(body: Any, tm: TermMap, now: str, require_id: bool = True) -> Entity:
    """A whole entity from a request body."""
    if not isinstance(body, dict):
        raise BadRequestData("an entity must be a JSON object")
    entity_id = body.get("id", body.get("@id"))
    if require_id or entity_id is not None:
        check_uri(entity_id, "entity id")
    raw_type = body.get("type", body.get("@type"))
    if raw_type is None:
        raise BadRequestData("an entity must have a type")
    entity = Entity(
        id=str(entity_id or ""),
        types=parse_types(raw_type, tm),
        attrs=parse_attributes(body, tm, now),
        created_at=now,
        modified_at=now,
        scope=parse_scope(body.get("scope")),
    )
    return entity


def parse_attributes(
    fragment: Any, tm: TermMap, now: str, allow_null: bool = False
) -> dict[str, list[Instance]]:
    """The attributes of a body (members other than id, type, scope, @context)."""
    if not isinstance(fragment, dict):
        raise BadRequestData("attributes must be given as a JSON object")
    attrs: dict[str, list[Instance]] = {}
    for name, raw in fragment.items():
        if name in ENTITY_MEMBERS:
            continue
        iri = tm.expand(check_name(name))
        attrs[iri] = parse_attribute(name, raw, tm, now, allow_null)
    return attrs


def _looks_like_instance(raw: Any) -> bool:
    return isinstance(raw, dict) and (
        raw.get("type") in ATTRIBUTE_TYPES or any(k in raw for k in _INFER_ORDER)
    )


def parse_attribute(
    name: str, raw: Any, tm: TermMap, now: str, allow_null: bool = False
) -> list[Instance]:
    """All instances of one attribute (an array of instances is a multi-attribute)."""
    if isinstance(raw, list) and raw and all(_looks_like_instance(item) for item in raw):
        instances = [parse_instance(name, item, tm, now, allow_null) for item in raw]
        dataset_ids = [inst.get("datasetId") for inst in instances]
        if len(set(dataset_ids)) != len(dataset_ids):
            raise BadRequestData(f"attribute '{name}' repeats a datasetId (or the default one)")
        return instances
    return [parse_instance(name, raw, tm, now, allow_null)]


def _is_geometry(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("type") in GEOMETRY_TYPES and "coordinates" in raw


def _infer_type(raw: dict[str, Any]) -> str:
    for key in _INFER_ORDER:
        if key in raw:
            kind = _KEY_TO_TYPE[key]
            if kind == "Property" and _is_geometry(raw[key]):
                return "GeoProperty"
            return kind
    return ""


_VALUE_MEMBERS = frozenset(ATTRIBUTE_TYPES.values())
# A GeoJSON geometry that is not a valid one stays an error, never a plain JSON value.
_GEOMETRIES = frozenset(GEOMETRY_TYPES) | {"Feature", "FeatureCollection"}


def parse_instance(
    name: str, raw: Any, tm: TermMap, now: str, allow_null: bool = False
) -> Instance:
    """One attribute instance (normalized or concise)."""
    if raw is None:
        raise BadRequestData(f"attribute '{name}' must not be null")
    if type(raw) is dict and raw.get("type") == "Property" and raw.keys() <= _PLAIN_PROPERTY:
        value = raw.get("value")
        if value is not None and not isinstance(value, dict) and value != NULL:
            plain: Instance = {"type": "Property", "value": value}
            if len(raw) > 2:
                _copy_metadata(name, raw, plain, tm)
            return plain
    if _is_geometry(raw):
        raw = {"type": "GeoProperty", "value": raw}
    elif not isinstance(raw, dict):
        raw = {"type": "Property", "value": raw}
    kind = raw.get("type")
    if kind is None:
        kind = _infer_type(raw)
        if not kind:  # a JSON object value in concise form
            raw = {"type": "Property", "value": raw}
            kind = "Property"
    elif (
        kind not in ATTRIBUTE_TYPES
        and kind not in _GEOMETRIES
        and not (raw.keys() & _VALUE_MEMBERS)
    ):
        # A JSON object value in concise form that has a type of its own (a Smart Data Models
        # address: {"type": "PostalAddress", ...}), as other brokers take it.
        raw = {"type": "Property", "value": raw}
        kind = "Property"
    if kind not in ATTRIBUTE_TYPES:
        raise BadRequestData(f"attribute '{name}' has an invalid type {kind!r}")
    key = ATTRIBUTE_TYPES[kind]
    if key not in raw:
        raise BadRequestData(f"attribute '{name}' of type {kind} needs a '{key}' member")
    content = raw[key]
    inst: Instance = {"type": kind}
    if allow_null and (content == NULL or content == {"@none": NULL}):
        inst[key] = NULL  # LanguageProperty's null form, {"@none": NULL}, is the same deletion
    else:
        inst[key] = _parse_content(name, kind, content, tm)
    _copy_metadata(name, raw, inst, tm)
    for member, sub_raw in raw.items():
        if member in META_MEMBERS:
            continue
        sub_iri = tm.expand(check_name(member, "sub-attribute name"))
        if isinstance(sub_raw, list) and sub_raw and all(_looks_like_instance(s) for s in sub_raw):
            sub_raw = sub_raw[0]
        inst[sub_iri] = parse_instance(member, sub_raw, tm, now, allow_null)
    return inst


def _parse_content(name: str, kind: str, content: Any, tm: TermMap) -> Any:
    if content is None:
        raise BadRequestData(f"attribute '{name}' must not have a null {ATTRIBUTE_TYPES[kind]}")
    if kind == "GeoProperty":
        try:
            validate(content)
        except GeometryError as exc:
            raise BadRequestData(f"attribute '{name}': {exc}") from exc
        return content
    if kind == "Relationship":
        objects = content if isinstance(content, list) else [content]
        for obj in objects:
            check_uri(obj, f"object of relationship '{name}'")
        return content
    if kind == "LanguageProperty":
        if not isinstance(content, dict) or not content:
            raise BadRequestData(f"languageMap of '{name}' must be a non-empty object")
        for lang, text in content.items():
            ok = isinstance(text, str) or (
                isinstance(text, list) and all(isinstance(t, str) for t in text)
            )
            if not isinstance(lang, str) or not ok:
                raise BadRequestData(f"languageMap of '{name}' must map languages to strings")
        return content
    if kind == "VocabProperty":
        vocab = content if isinstance(content, list) else [content]
        if not all(isinstance(v, str) and v for v in vocab):
            raise BadRequestData(f"vocab of '{name}' must be a string or an array of strings")
        expanded = [tm.expand(v) for v in vocab]
        return expanded if isinstance(content, list) else expanded[0]
    if kind == "ListProperty" and not isinstance(content, list):
        raise BadRequestData(f"valueList of '{name}' must be an array")
    if kind == "ListRelationship":
        if not isinstance(content, list):
            raise BadRequestData(f"objectList of '{name}' must be an array")
        for item in content:
            obj = item.get("object") if isinstance(item, dict) else item
            check_uri(obj, f"objectList member of '{name}'")
    return content


def _copy_metadata(name: str, raw: dict[str, Any], inst: Instance, tm: TermMap) -> None:
    if "observedAt" in raw:
        if not is_datetime(raw["observedAt"]):
            raise BadRequestData(f"observedAt of '{name}' must be an ISO 8601 date-time")
        inst["observedAt"] = normalise_datetime(raw["observedAt"])
    if "unitCode" in raw:
        if not isinstance(raw["unitCode"], str) or not raw["unitCode"]:
            raise BadRequestData(f"unitCode of '{name}' must be a non-empty string")
        inst["unitCode"] = raw["unitCode"]
    if "datasetId" in raw:
        inst["datasetId"] = check_uri(raw["datasetId"], f"datasetId of '{name}'")
    if "objectType" in raw and inst["type"] in ("Relationship", "ListRelationship"):
        obj_type = raw["objectType"]
        types = obj_type if isinstance(obj_type, list) else [obj_type]
        inst["objectType"] = [tm.expand(check_name(t, "objectType")) for t in types]
    if "lang" in raw and isinstance(raw["lang"], str):
        inst["lang"] = raw["lang"]
