"""Every write goes through a RecordingWriter: it keeps each changed attribute instance as
history and collects the changes, which listeners (subscriptions) see inside the same transaction.
"""

from __future__ import annotations

import functools
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from cityhub.broker.normalize import ATTRIBUTE_TYPES, NULL
from cityhub.store.base import EntityWriter, RequestWriter
from cityhub.store.records import Entity, HistoryRow, Instance
from cityhub.timeutil import parse_datetime

Snapshot = dict[str, list[Instance]]  # an entity's attributes as loaded, before any change


@dataclass
class Change:
    entity: Entity  # the entity after the change (as it was, for a deletion)
    attrs: list[str] = field(default_factory=list)  # expanded names whose instances changed
    created: bool = False
    deleted: bool = False
    before: Snapshot | None = None  # attributes before the change, when the entity was loaded
    removed: list[str] = field(default_factory=list)  # attributes the change deleted

    def triggers(self) -> set[str]:
        """The NGSI-LD notification triggers this change fires."""
        if self.created:  # its attributes are created with it
            return {"entityCreated", "attributeCreated"}
        if self.deleted:  # its attributes go with it
            return {"entityDeleted", "attributeDeleted"}
        fired = {"entityUpdated"}
        before = self.before or {}
        for name in self.attrs:
            fired.add("attributeUpdated" if name in before else "attributeCreated")
        if self.removed:
            fired.add("attributeDeleted")
        return fired


_INSTANCE_PREFIX = f"urn:ngsi-ld:Instance:{uuid.uuid4().hex[:12]}-"
_instance_numbers = itertools.count(1)


def next_instance_id() -> str:
    """A unique instance id: a random per-process prefix and a counter (cheaper than uuid4)."""
    return f"{_INSTANCE_PREFIX}{time.time_ns():x}-{next(_instance_numbers):x}"


@functools.lru_cache(maxsize=8192)
def to_us(text: str) -> int:
    moment = parse_datetime(text)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def instance_value(inst: Instance) -> Any:
    return inst.get(ATTRIBUTE_TYPES.get(str(inst.get("type")), "value"))


def history_row(entity_id: str, attr: str, inst: Instance) -> HistoryRow:
    modified = to_us(inst["modifiedAt"])
    observed = to_us(inst["observedAt"]) if "observedAt" in inst else modified
    value = instance_value(inst)
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    return HistoryRow(
        entity_id=entity_id,
        attr=attr,
        instance_id=next_instance_id(),
        dataset_id=inst.get("datasetId"),
        observed_us=observed,
        modified_us=modified,
        value_num=number,
        value_key=orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode(),
        instance=inst,
    )


def _lost(before: list[Instance], after: list[Instance] | None) -> list[Instance]:
    """The instances of `before` (one per datasetId) that `after` no longer has."""
    if after and len(before) == 1 and before[0].get("datasetId") == after[0].get("datasetId"):
        return []  # the common case, one instance kept: decided without building a set
    kept = {i.get("datasetId") for i in after or []}
    return [i for i in before if i.get("datasetId") not in kept]


def deletion_row(entity_id: str, attr: str, gone: Instance, when: str) -> HistoryRow:
    """The history instance that records an attribute instance's deletion: its type, the
    NGSI-LD Null as its value and `deletedAt` (read with timeproperty=deletedAt)."""
    kind = str(gone.get("type", "Property"))
    null: Any = {"@none": NULL} if kind == "LanguageProperty" else NULL
    inst: Instance = {"type": kind, ATTRIBUTE_TYPES.get(kind, "value"): null}
    if "datasetId" in gone:
        inst["datasetId"] = gone["datasetId"]
    inst["deletedAt"] = inst["modifiedAt"] = when
    moment = to_us(when)
    return HistoryRow(
        entity_id,
        attr,
        next_instance_id(),
        gone.get("datasetId"),
        moment,
        moment,
        None,
        None,
        inst,
        moment,
    )


class Transaction:
    """One write transaction as services see it: entities inserted or updated here have their
    changed attribute instances recorded as history and their changes collected for the hooks
    (`record=False` when the caller records history itself, as ingestion and the temporal API
    do); `requests` are the citizen requests written in the same transaction."""

    def __init__(self, inner: EntityWriter) -> None:
        self.inner = inner
        self.changes: list[Change] = []
        self.queued = 0  # notifications queued in this transaction
        # what each loaded entity held, for deletions and showChanges (lists are copied:
        # services replace instances, they do not change them in place)
        self._loaded: dict[str, tuple[Entity, Snapshot]] = {}

    @property
    def requests(self) -> RequestWriter:
        return self.inner

    def get_many(self, ids: list[str]) -> dict[str, Entity]:
        found = self.inner.get_many(ids)
        for entity_id, entity in found.items():
            self._loaded[entity_id] = (entity, {n: list(i) for n, i in entity.attrs.items()})
        return found

    def insert(self, entities: list[Entity], record: bool = True) -> None:
        self.inner.insert(entities)
        if record:
            self._record(entities, created=True)

    def update(self, entities: list[Entity], record: bool = True) -> None:
        self.inner.update(entities)
        if record:
            self._record(entities, created=False)

    def delete(self, ids: list[str]) -> int:
        removed = self.inner.delete(ids)
        for entity_id in ids:
            loaded = self._loaded.pop(entity_id, None)
            if loaded is not None:
                entity, before = loaded
                gone = Entity(
                    entity.id, entity.types, before, entity.created_at, entity.modified_at
                )
                gone.owner = entity.owner
                self.changes.append(Change(gone, list(before), deleted=True, before=before))
        return removed

    def append_history(self, rows: list[HistoryRow]) -> None:
        self.inner.append_history(rows)

    def delete_history(
        self,
        entity_id: str,
        attr: str | None = None,
        dataset_id: str | None = None,
        all_datasets: bool = True,
        instance_id: str | None = None,
    ) -> int:
        return self.inner.delete_history(entity_id, attr, dataset_id, all_datasets, instance_id)

    def drop_observations(self, rows: list[HistoryRow]) -> int:
        return self.inner.drop_observations(rows)

    def replace_history_instance(self, instance_id: str, row: HistoryRow) -> bool:
        return self.inner.replace_history_instance(instance_id, row)

    def enqueue(self, items: list[tuple[str, str, bytes, int]]) -> None:
        self.inner.enqueue(items)
        self.queued += len(items)

    def mark_seen(self, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
        return self.inner.mark_seen(keys)

    def _record(self, entities: list[Entity], created: bool) -> None:
        rows: list[HistoryRow] = []
        for entity in entities:
            loaded = None if created else self._loaded.get(entity.id)
            before = loaded[1] if loaded is not None else None
            change = Change(entity, created=created, before=before)
            if before is not None:  # an attribute, or one of its instances, went away
                for name, old in before.items():
                    lost = _lost(old, entity.attrs.get(name))
                    if lost:
                        change.removed.append(name)
                        when = entity.modified_at
                        rows.extend(deletion_row(entity.id, name, i, when) for i in lost)
            for name, instances in entity.attrs.items():
                touched = False
                for inst in instances:
                    if inst.get("modifiedAt") == entity.modified_at:
                        rows.append(history_row(entity.id, name, inst))
                        touched = True
                if touched:
                    change.attrs.append(name)
            self.changes.append(change)
        self.inner.append_history(rows)
