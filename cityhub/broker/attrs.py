"""Pure rules for changing an entity's attributes: append, update, merge, delete, stamp."""

from __future__ import annotations

from typing import Any

from cityhub.broker.normalize import ATTRIBUTE_TYPES, NULL
from cityhub.store.records import Entity, Instance


def stamp(inst: Instance, now: str, created: str | None = None) -> Instance:
    """Set createdAt/modifiedAt on an instance and its sub-attributes."""
    inst["createdAt"] = created or inst.get("createdAt") or now
    inst["modifiedAt"] = now
    for key, sub in inst.items():
        if ":" in key and isinstance(sub, dict):
            stamp(sub, now)
    return inst


def stamp_entity(entity: Entity, now: str) -> Entity:
    for instances in entity.attrs.values():
        for inst in instances:
            stamp(inst, now, now)
    return entity


def find_instance(instances: list[Instance], dataset_id: str | None) -> int:
    for i, inst in enumerate(instances):
        if inst.get("datasetId") == dataset_id:
            return i
    return -1


def put_instances(entity: Entity, name: str, new: list[Instance], now: str) -> None:
    """Add instances, replacing any with the same datasetId (keeping its createdAt)."""
    current = entity.attrs.setdefault(name, [])
    for inst in new:
        idx = find_instance(current, inst.get("datasetId"))
        if idx >= 0:
            current[idx] = stamp(inst, now, current[idx].get("createdAt"))
        else:
            current.append(stamp(inst, now, now))


def has_all_instances(entity: Entity, name: str, new: list[Instance]) -> bool:
    current = entity.attrs.get(name)
    if not current:
        return False
    return all(find_instance(current, inst.get("datasetId")) >= 0 for inst in new)


def is_null(inst: Instance) -> bool:
    """An instance that stands for a deletion: its value (object, languageMap…) is NGSI-LD Null."""
    return inst.get(ATTRIBUTE_TYPES.get(str(inst.get("type")), "value")) == NULL


def merge_instance(old: Instance, patch: Instance, now: str) -> Instance | None:
    """Merge-patch one instance: members in the patch replace old ones; NULL deletes."""
    kind = patch.get("type", old.get("type"))
    key = ATTRIBUTE_TYPES.get(str(kind), "value")
    if patch.get(key) == NULL:
        return None
    merged: Instance = dict(old)
    if kind != old.get("type"):
        merged.pop(ATTRIBUTE_TYPES.get(str(old.get("type")), "value"), None)
    for member, value in patch.items():
        if ":" in member and isinstance(value, dict):
            sub_key = ATTRIBUTE_TYPES.get(str(value.get("type")), "value")
            if value.get(sub_key) == NULL:
                merged.pop(member, None)
                continue
            previous = old.get(member)
            merged[member] = (
                merge_instance(previous, value, now) if isinstance(previous, dict) else value
            )
        elif member not in ("createdAt", "modifiedAt"):
            merged[member] = value
    merged["type"] = kind
    return stamp(merged, now, old.get("createdAt"))


def merge_attribute(entity: Entity, name: str, patch: list[Instance], now: str) -> None:
    current = entity.attrs.get(name, [])
    for inst in patch:
        idx = find_instance(current, inst.get("datasetId"))
        key = ATTRIBUTE_TYPES.get(str(inst.get("type")), "value")
        if idx < 0:
            if inst.get(key) != NULL:
                current.append(stamp(inst, now, now))
            continue
        merged = merge_instance(current[idx], inst, now)
        if merged is None:
            current.pop(idx)
        else:
            current[idx] = merged
    if current:
        entity.attrs[name] = current
    else:
        entity.attrs.pop(name, None)


def delete_attribute(entity: Entity, name: str, dataset_id: str | None, delete_all: bool) -> bool:
    """Remove one instance (by datasetId, default instance when None) or all; False if absent."""
    current = entity.attrs.get(name)
    if not current:
        return False
    if delete_all:
        del entity.attrs[name]
        return True
    idx = find_instance(current, dataset_id)
    if idx < 0:
        return False
    current.pop(idx)
    if not current:
        del entity.attrs[name]
    return True


def contains_null(attrs: dict[str, list[Instance]]) -> bool:
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return any(v == NULL or walk(v) for v in node.values())
        return False

    return any(walk(inst) for insts in attrs.values() for inst in insts)
