"""Distributed writes (NGSI-LD 4.3.6): which context sources an entity write goes to, and
which of its attributes stay here.

A registration takes part in a write when it is live, supports the operation (named, or
through an operation group), and covers the entity (its type and id) — and, for a
registration naming attributes, only for those attributes. By mode:

- inclusive: the source receives its part and this broker keeps everything as well;
- exclusive and redirect: the source receives its part and this broker does not keep it
  (a registration naming no attributes takes the whole entity away from this broker);
- auxiliary: never written to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cityhub.broker.registrations import Covered

_RETRIEVE = ("retrieveEntity", "queryEntity")
_TYPE_READS = (
    "retrieveEntityTypes",
    "retrieveEntityTypeDetails",
    "retrieveEntityTypeInfo",
    "retrieveAttrTypes",
    "retrieveAttrTypeDetails",
    "retrieveAttrTypeInfo",
)
_SUBSCRIPTION_OPS = (
    "createSubscription",
    "updateSubscription",
    "retrieveSubscription",
    "querySubscription",
    "deleteSubscription",
)
OPERATION_GROUPS: dict[str, frozenset[str]] = {
    "federationOps": frozenset((*_RETRIEVE, "queryBatch", *_TYPE_READS, *_SUBSCRIPTION_OPS)),
    "updateOps": frozenset(("updateEntity", "updateAttrs", "replaceEntity", "replaceAttrs")),
    "retrieveOps": frozenset(_RETRIEVE),
    "redirectionOps": frozenset(
        (
            "createEntity",
            "updateEntity",
            "appendAttrs",
            "updateAttrs",
            "deleteAttrs",
            "deleteEntity",
            "mergeEntity",
            "replaceEntity",
            "replaceAttrs",
            "purgeEntity",
            *_RETRIEVE,
            *_TYPE_READS,
        )
    ),
}
_TAKING = ("exclusive", "redirect")  # modes whose source holds what it receives instead of us


def supports(doc: dict[str, Any], operation: str) -> bool:
    """Whether a registration's `operations` (default: the federation operations) include one."""
    operations = doc.get("operations") or ["federationOps"]
    return any(o == operation or operation in OPERATION_GROUPS.get(o, ()) for o in operations)


def takes_writes(doc: dict[str, Any], operation: str) -> bool:
    """Whether a registration takes part in writes of this operation (never an auxiliary one)."""
    return doc.get("mode", "inclusive") != "auxiliary" and supports(doc, operation)


def forwards_queries(doc: dict[str, Any]) -> bool:
    """Whether entity queries and retrievals go to this source: every mode reads from its
    source (inclusive and auxiliary add to what is held here; exclusive and redirect hold what
    is not), when its operations include the reads."""
    return any(supports(doc, op) for op in ("queryEntity", "retrieveEntity", "queryBatch"))


@dataclass(frozen=True)
class Target:
    """One source a write goes to: `names` are the (expanded) attributes it receives, None
    for the whole write."""

    registration: dict[str, Any]
    names: frozenset[str] | None

    @property
    def id(self) -> str:
        return str(self.registration.get("id", ""))

    def receives(self, name: str) -> bool:
        return self.names is None or name in self.names


@dataclass(frozen=True)
class WritePlan:
    targets: tuple[Target, ...]
    taken: frozenset[str]  # attributes an exclusive or redirect source holds instead of us
    all_taken: bool  # a redirect/exclusive source takes the whole entity

    def kept_here(self, name: str) -> bool:
        return not self.all_taken and name not in self.taken


NO_PLAN = WritePlan((), frozenset(), False)


def plan_write(
    live: Iterable[tuple[dict[str, Any], list[Covered]]],
    operation: str,
    entity_id: str | None,
    types: set[str] | None,
    names: set[str] | None,
) -> WritePlan:
    """Where a write of `names` (expanded; None: the entity as a whole, as in a deletion) on an
    entity goes. `types` None when the entity's type is not known here (it matches any)."""
    targets: list[Target] = []
    taken: set[str] = set()
    all_taken = False
    ids = {entity_id} if entity_id else None
    for doc, covered in live:
        if not takes_writes(doc, operation):
            continue
        mode = doc.get("mode", "inclusive")
        takes_part, sent = _covered_names([c for c in covered if c.covers(types, ids, None)], names)
        if not takes_part:
            continue
        targets.append(Target(doc, sent))
        if mode in _TAKING:
            if sent is None:
                all_taken = True
            else:
                taken |= sent
    return WritePlan(tuple(targets), frozenset(taken), all_taken)


def _covered_names(
    matching: list[Covered], names: set[str] | None
) -> tuple[bool, frozenset[str] | None]:
    """Whether the matching registration infos receive part of the write, and which names
    (None: everything)."""
    if not matching:
        return False, None
    if any(not c.attrs for c in matching):
        return True, None
    held = frozenset().union(*(c.attrs for c in matching))
    if names is None:  # a write on the whole entity reaches a source holding part of it
        return True, held
    sent = held & names
    return bool(sent), sent
