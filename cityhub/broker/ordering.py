"""`orderBy` (NGSI-LD 4.23): sort query results by id, type, system times, attribute values or
sub-attribute values, each ascending or descending (`name;desc,id`)."""

from __future__ import annotations

from typing import Any

from cityhub.broker.normalize import ATTRIBUTE_TYPES, check_name
from cityhub.errors import BadRequestData
from cityhub.jsonld import TermMap
from cityhub.store.records import Entity

# Sorting needs every match in hand: a query with orderBy may select at most this many.
ORDER_MOST = 10_000
_SYSTEM = ("createdAt", "modifiedAt", "observedAt", "datasetId", "unitCode")
Term = tuple[tuple[str, ...], bool]  # (expanded path, descending)


def parse_order(text: str, tm: TermMap) -> list[Term]:
    terms: list[Term] = []
    for part in text.split(","):
        path_text, _, direction = part.strip().partition(";")
        if direction not in ("", "asc", "desc"):
            raise BadRequestData(f"orderBy direction must be asc or desc, got {direction!r}")
        names = path_text.split(".")
        if not path_text or len(names) > 2:
            raise BadRequestData(f"invalid orderBy member {part!r}")
        first = names[0]
        head = first if first in ("id", "type", *_SYSTEM) else tm.expand(check_name(first))
        path = (head, *tuple(n if n in _SYSTEM else tm.expand(check_name(n)) for n in names[1:]))
        terms.append((path, direction == "desc"))
    return terms


def _content(inst: Any) -> Any:
    if not isinstance(inst, dict):
        return None
    return inst.get(ATTRIBUTE_TYPES.get(str(inst.get("type")), "value"))


def _value(entity: Entity, path: tuple[str, ...]) -> Any:
    head = path[0]
    if head == "id":
        return entity.id
    if head == "type":
        return entity.types[0] if entity.types else None
    if head in ("createdAt", "modifiedAt"):
        return entity.created_at if head == "createdAt" else entity.modified_at
    instances = entity.attrs.get(head)
    if not instances:
        return None
    inst = instances[0]
    if len(path) == 1:
        return _content(inst)
    member = inst.get(path[1])
    return member if path[1] in _SYSTEM else _content(member)


def _key(value: Any) -> tuple[int, Any]:
    """Numbers before text before anything else; a missing value sorts last either way."""
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (2, value)
    return (3, str(value))


def order_entities(entities: list[Entity], terms: list[Term]) -> list[Entity]:
    ordered = list(entities)
    for path, descending in reversed(terms):  # stable sorts, the last term first
        present = [e for e in ordered if _value(e, path) is not None]
        missing = [e for e in ordered if _value(e, path) is None]
        present.sort(key=lambda e: _key(_value(e, path)), reverse=descending)
        ordered = present + missing
    return ordered
