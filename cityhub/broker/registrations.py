"""Context source registrations (NGSI-LD 5.2.9, 5.9): what they may hold, and what they cover.

A registration says that a context source at `endpoint` holds entities of some types (some
ids, id patterns) and some attributes. The broker keeps it as written, with the @context it was
written in; to compare it with a query, its names are expanded with that @context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cityhub.broker.normalize import check_name, check_uri
from cityhub.errors import BadRequestData
from cityhub.geo import GeometryError
from cityhub.geo import validate as validate_geometry
from cityhub.jsonld import TermMap
from cityhub.patterns import compile_pattern
from cityhub.timeutil import is_datetime, normalise_datetime

TYPE = "ContextSourceRegistration"
MODES = ("inclusive", "exclusive", "redirect", "auxiliary")
_GEO_MEMBERS = ("location", "observationSpace", "operationSpace")
_INTERVALS = ("observationInterval", "managementInterval")
_READ_ONLY = (
    "createdAt",
    "modifiedAt",
    "status",
    "timesSent",
    "timesFailed",
    "lastSuccess",
    "lastFailure",
)


def validate(body: Any, partial: bool = False) -> dict[str, Any]:
    """A registration document as stored (the @context apart), or BadRequestData."""
    if not isinstance(body, dict):
        raise BadRequestData("a context source registration must be a JSON object")
    doc = {k: v for k, v in body.items() if k not in _READ_ONLY}
    if "id" in doc:
        check_uri(doc["id"], "registration id")
    if doc.get("type", TYPE) != TYPE:
        raise BadRequestData(f"type must be {TYPE}")
    if not partial or "type" in doc:
        doc["type"] = TYPE
    if not partial or "information" in doc:
        _check_information(doc.get("information"))
    if not partial or "endpoint" in doc:
        _check_endpoint(doc.get("endpoint"))
    if doc.get("mode", "inclusive") not in MODES:
        raise BadRequestData(f"mode must be one of {', '.join(MODES)}")
    operations = doc.get("operations", [])
    if not isinstance(operations, list) or not all(isinstance(o, str) and o for o in operations):
        raise BadRequestData("operations must be an array of operation names")
    for member in _GEO_MEMBERS:
        if member in doc:
            try:
                validate_geometry(doc[member])
            except GeometryError as exc:
                raise BadRequestData(f"{member}: {exc}") from exc
    for member in _INTERVALS:
        if member in doc:
            doc[member] = _interval(member, doc[member])
    if "expiresAt" in doc:
        if not is_datetime(doc["expiresAt"]):
            raise BadRequestData("expiresAt must be an ISO 8601 date-time")
        doc["expiresAt"] = normalise_datetime(doc["expiresAt"])
    for member in ("registrationName", "description", "tenant"):
        if member in doc and not isinstance(doc[member], str):
            raise BadRequestData(f"{member} must be a string")
    return doc


def _check_information(information: Any) -> None:
    if not isinstance(information, list) or not information:
        raise BadRequestData("information must be a non-empty array of RegistrationInfo")
    for info in information:
        if not isinstance(info, dict):
            raise BadRequestData("each RegistrationInfo must be a JSON object")
        entities = info.get("entities")
        names = [*info.get("propertyNames", []), *info.get("relationshipNames", [])]
        if entities is None and not names:
            raise BadRequestData(
                "a RegistrationInfo needs entities, propertyNames or relationshipNames"
            )
        if entities is not None:
            if not isinstance(entities, list) or not entities:
                raise BadRequestData("entities must be a non-empty array of EntityInfo")
            for item in entities:
                _check_entity_info(item)
        for name in names:
            check_name(name)


def _check_entity_info(item: Any) -> None:
    if not isinstance(item, dict) or "type" not in item:
        raise BadRequestData("each EntityInfo needs a type")
    types = item["type"] if isinstance(item["type"], list) else [item["type"]]
    for name in types:
        check_name(name, "entity type")
    if "id" in item:
        check_uri(item["id"], "entity id")
    if "idPattern" in item:
        compile_pattern(str(item["idPattern"]))


def _check_endpoint(endpoint: Any) -> None:
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequestData("endpoint must be an http or https URL")


def _interval(member: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or "startAt" not in value:
        raise BadRequestData(f"{member} needs a startAt")
    out = {}
    for key in ("startAt", "endAt"):
        if key in value:
            if not is_datetime(value[key]):
                raise BadRequestData(f"{member}.{key} must be an ISO 8601 date-time")
            out[key] = normalise_datetime(value[key])
    return out


@dataclass(frozen=True)
class Covered:
    """One RegistrationInfo with its names expanded: what the source holds."""

    types: frozenset[str]  # empty: any type
    ids: frozenset[str]  # empty with no patterns: any id
    patterns: tuple[str, ...]
    attrs: frozenset[str]  # empty: any attribute

    def covers(self, types: set[str] | None, ids: set[str] | None, attrs: set[str] | None) -> bool:
        if types and self.types and not types & self.types:
            return False
        if attrs and self.attrs and not attrs & self.attrs:
            return False
        if ids and (self.ids or self.patterns):
            named = bool(ids & self.ids)
            patterned = any(compile_pattern(p).search(i) for p in self.patterns for i in ids)
            return named or patterned
        return True


def coverage(doc: dict[str, Any], tm: TermMap) -> list[Covered]:
    """Every (EntityInfo, names) pair of a registration, expanded with its own @context."""
    out = []
    for info in doc.get("information", []):
        names = [*info.get("propertyNames", []), *info.get("relationshipNames", [])]
        attrs = frozenset(tm.expand(n) for n in names)
        for item in info.get("entities") or [{}]:
            raw = item.get("type", [])
            types = frozenset(tm.expand(t) for t in (raw if isinstance(raw, list) else [raw]))
            ids = frozenset([item["id"]]) if "id" in item else frozenset()
            # 5.2.8: an idPattern is ignored where an id is given
            patterns = (str(item["idPattern"]),) if "idPattern" in item and not ids else ()
            out.append(Covered(types, ids, patterns, attrs))
    return out


STANDARD_MEMBERS = frozenset(
    {
        "id",
        "type",
        "information",
        "endpoint",
        "mode",
        "operations",
        "expiresAt",
        "location",
        "observationSpace",
        "operationSpace",
        "observationInterval",
        "managementInterval",
        "registrationName",
        "description",
        "tenant",
        "contextSourceInfo",
        "scope",
        "refreshRate",
        "timeout",
        "cooldown",
        "createdAt",
        "modifiedAt",
        "@context",
        "_owner",
    }
)


def renamed(doc: dict[str, Any], rename: Callable[[str], str]) -> dict[str, Any]:
    """The registration with every name it holds (entity types, attribute names, its own
    extra properties) passed through `rename`: expanding on the way in, compacting out."""
    out = {k if k in STANDARD_MEMBERS else rename(k): v for k, v in doc.items()}
    if isinstance(doc.get("information"), list):
        out["information"] = [_renamed_info(info, rename) for info in doc["information"]]
    return out


def _renamed_info(info: Any, rename: Callable[[str], str]) -> Any:
    if not isinstance(info, dict):
        return info
    out = dict(info)
    for key in ("propertyNames", "relationshipNames"):
        if isinstance(info.get(key), list):
            out[key] = [rename(n) if isinstance(n, str) else n for n in info[key]]
    if isinstance(info.get("entities"), list):
        out["entities"] = [_renamed_entity_info(e, rename) for e in info["entities"]]
    return out


def _renamed_entity_info(item: Any, rename: Callable[[str], str]) -> Any:
    if not isinstance(item, dict) or "type" not in item:
        return item
    kind = item["type"]
    names = [rename(t) for t in kind] if isinstance(kind, list) else rename(kind)
    return {**item, "type": names}
