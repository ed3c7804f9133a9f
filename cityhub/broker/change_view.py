"""How a change looks in a notification (NGSI-LD 5.8: deletion triggers and showChanges)."""

from __future__ import annotations

from typing import Any

from cityhub.broker.changes import Change
from cityhub.broker.normalize import ATTRIBUTE_TYPES, NULL
from cityhub.store.records import Entity, Instance

# The member that carries the previous content, by the member that carries the content.
PREVIOUS = {
    "value": "previousValue",
    "object": "previousObject",
    "languageMap": "previousLanguageMap",
    "json": "previousJson",
    "vocab": "previousVocab",
}


def _key(inst: Instance) -> str:
    return ATTRIBUTE_TYPES.get(str(inst.get("type")), "value")


def _deleted(old: Instance, show: bool, when: str, whole_entity: bool = False) -> Instance:
    """The deleted instance as notified: its Null form, when it went (`deletedAt`, shown with
    the other system members under sysAttrs) and, with showChanges, what it held."""
    key = _key(old)
    # a deleted LanguageProperty is {"@none": NULL} (its Null form), except when the whole
    # entity went: then every attribute is plain NULL
    null: Any = {"@none": NULL} if key == "languageMap" and not whole_entity else NULL
    gone: Instance = {"type": old.get("type", "Property"), key: null}
    if "datasetId" in old:
        gone["datasetId"] = old["datasetId"]
    if show:
        gone[PREVIOUS.get(key, "previousValue")] = old.get(key)
    for member in ("createdAt", "modifiedAt"):
        if member in old:
            gone[member] = old[member]
    gone["deletedAt"] = when
    return gone


def _with_previous(new: Instance, before: list[Instance]) -> Instance:
    old = next((i for i in before if i.get("datasetId") == new.get("datasetId")), None)
    if old is None:
        return new
    key = _key(old)
    shown: dict[str, Any] = dict(new)
    shown[PREVIOUS.get(key, "previousValue")] = old.get(key)
    return shown


def view_of(
    change: Change, show: bool, only: frozenset[str] | None = None, when: str = ""
) -> Entity:
    """`only`: for a deletion heard through attributeDeleted, the attributes to show as NGSI-LD
    Null (the watched ones; None: the entity alone, as entityDeleted shows it). `when`: the
    moment of an entity's deletion (an attribute's is the entity's modification)."""
    entity = change.entity
    before = change.before or {}
    if change.deleted:
        shown = before if show else {n: i for n, i in before.items() if only and n in only}
        attrs = {n: [_deleted(i, show, when, True) for i in insts] for n, insts in shown.items()}
        return Entity(entity.id, entity.types, attrs, entity.created_at, entity.modified_at)
    if not change.removed and not (show and before):
        return entity
    attrs = dict(entity.attrs)
    for name in change.removed:  # the attribute, or the instances of it that went
        still = {i.get("datasetId") for i in attrs.get(name, [])}
        lost = [i for i in before[name] if i.get("datasetId") not in still]
        if name not in attrs and len(lost) > 1 and not show:
            # every instance went (deleteAll): the attribute is notified as one NGSI-LD Null
            lost = [{k: v for k, v in lost[0].items() if k != "datasetId"}]
        gone = [_deleted(i, show, entity.modified_at) for i in lost]
        attrs[name] = [*attrs.get(name, []), *gone]
    if show:
        for name in change.attrs:
            if name in before:
                attrs[name] = [_with_previous(i, before[name]) for i in attrs[name]]
    view = Entity(entity.id, entity.types, attrs, entity.created_at, entity.modified_at)
    view.scope = entity.scope
    return view
