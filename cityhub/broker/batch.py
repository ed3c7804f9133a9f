"""Batch entity operations. Entities that fail are reported and left untouched; the rest are
written together in one transaction.

Each operation has two halves: reading the members (`parse_members`, `parse_patches`: pure, any
thread) and writing them (`write_create`, `write_upsert`, `write_patches`: one transaction). The
API runs the first in the reader pool and only the second on the writer, so on SQLite the one
writer thread never spends its time parsing JSON while another request waits for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cityhub.auth.principal import Principal
from cityhub.broker import attrs as rules
from cityhub.broker.normalize import check_uri, parse_attributes, parse_entity, parse_types
from cityhub.broker.service import EntityService
from cityhub.errors import AlreadyExists, BadRequestData, CityHubError, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.limits import check_depth
from cityhub.store.records import Entity
from cityhub.timeutil import now_iso

ContextOf = Callable[[Any], TermMap]


@dataclass
class BatchResult:
    success: list[str] = field(default_factory=list)
    errors: list[tuple[str, CityHubError]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    # errors of members sent on to context sources (BatchEntityError with registrationId)
    forwarded_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.forwarded_errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "errors": [
                {"entityId": entity_id, "error": err.to_problem()} for entity_id, err in self.errors
            ]
            + self.forwarded_errors,
        }


def _check_list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise BadRequestData("a batch operation takes a JSON array")
    if not body:
        raise BadRequestData("a batch operation needs at least one entity")
    return body


@dataclass
class Parsed:
    """A batch's members as read: the good ones, and the errors of the bad ones so far."""

    now: str
    result: BatchResult
    entities: list[Entity] = field(default_factory=list)
    patches: list[tuple[str, dict[str, list[Any]], list[str]]] = field(default_factory=list)


def parse_members(body: Any, context_of: ContextOf, combine_repeats: bool = False) -> Parsed:
    """Every member parsed as an entity (a bad one is its error). An id given twice is an
    error, or with `combine_repeats` (upsert) one entity: the later member's attributes and
    types added."""
    parsed = Parsed(now_iso(), BatchResult())
    now, result = parsed.now, parsed.result
    seen: dict[str, Entity] = {}
    for item in _check_list(body):
        raw_id = item.get("id", "") if isinstance(item, dict) else ""
        try:
            check_depth(item)
            tm = context_of(item)
            entity = parse_entity(item, tm, now)
            earlier = seen.get(entity.id)
            if earlier is not None and combine_repeats:
                earlier.attrs.update(entity.attrs)
                earlier.types += [t for t in entity.types if t not in earlier.types]
                continue
            if earlier is not None:
                raise BadRequestData(f"entity {entity.id} appears twice in the batch")
            seen[entity.id] = entity
            parsed.entities.append(entity)
        except CityHubError as err:
            result.errors.append((str(raw_id), err))
    return parsed


def _allowed(
    service: EntityService,
    actor: Principal | None,
    entity: Entity,
    result: BatchResult,
    old: Entity | None = None,
) -> bool:
    """Whether `actor` may write this entity (and its old self); a refusal is its error."""
    try:
        if old is not None:
            service.check_writer(actor, old)
            service.check_writer(actor, Entity(entity.id, entity.types, owner=old.owner))
            entity.owner = old.owner
        else:
            service.claim(actor, entity)
    except CityHubError as err:
        result.errors.append((entity.id, err))
        return False
    return True


def batch_create(
    service: EntityService,
    tenant: str,
    body: Any,
    context_of: ContextOf,
    actor: Principal | None = None,
) -> BatchResult:
    return write_create(service, tenant, parse_members(body, context_of), actor)


def write_create(
    service: EntityService, tenant: str, parsed: Parsed, actor: Principal | None = None
) -> BatchResult:
    now, result = parsed.now, parsed.result
    with service.write(tenant) as tx:
        existing = tx.get_many([e.id for e in parsed.entities])
        new = []
        for entity in parsed.entities:
            if entity.id in existing:
                result.errors.append((entity.id, AlreadyExists(f"entity {entity.id} exists")))
                continue
            if not _allowed(service, actor, entity, result):
                continue
            new.append(rules.stamp_entity(entity, now))
        tx.insert(new)
    result.success = result.created = [e.id for e in new]
    return result


def batch_upsert(
    service: EntityService,
    tenant: str,
    body: Any,
    context_of: ContextOf,
    update_only: bool,
    actor: Principal | None = None,
) -> BatchResult:
    """Create missing entities; replace existing ones (or, with update_only, append to them)."""
    parsed = parse_members(body, context_of, combine_repeats=True)
    return write_upsert(service, tenant, parsed, update_only, actor)


def write_upsert(
    service: EntityService,
    tenant: str,
    parsed: Parsed,
    update_only: bool,
    actor: Principal | None = None,
) -> BatchResult:
    now, result = parsed.now, parsed.result
    with service.write(tenant) as tx:
        existing = tx.get_many([e.id for e in parsed.entities])
        new, changed = [], []
        for entity in parsed.entities:
            old = existing.get(entity.id)
            if not _allowed(service, actor, entity, result, old):
                continue
            if old is None:
                new.append(rules.stamp_entity(entity, now))
            elif update_only:
                EntityService.apply_append(old, entity.attrs, now, no_overwrite=False)
                old.types += [t for t in entity.types if t not in old.types]
                changed.append(old)
            else:
                entity.created_at = old.created_at
                changed.append(rules.stamp_entity(entity, now))
            result.success.append(entity.id)
        tx.insert(new)
        tx.update(changed)
    result.created = [e.id for e in new]
    return result


def batch_update(
    service: EntityService,
    tenant: str,
    body: Any,
    context_of: ContextOf,
    no_overwrite: bool,
    actor: Principal | None = None,
) -> BatchResult:
    parsed = parse_patches(body, context_of, "update")
    return write_patches(service, tenant, parsed, "update", no_overwrite, actor)


def batch_merge(
    service: EntityService,
    tenant: str,
    body: Any,
    context_of: ContextOf,
    actor: Principal | None = None,
) -> BatchResult:
    parsed = parse_patches(body, context_of, "merge")
    return write_patches(service, tenant, parsed, "merge", False, actor)


def parse_patches(body: Any, context_of: ContextOf, mode: str) -> Parsed:
    """Every member parsed as attributes to update ("update") or merge ("merge")."""
    parsed = Parsed(now_iso(), BatchResult())
    now, result = parsed.now, parsed.result
    for item in _check_list(body):
        raw_id = item.get("id", "") if isinstance(item, dict) else ""
        try:
            if not isinstance(item, dict):
                raise BadRequestData("each batch member must be a JSON object")
            check_depth(item)
            check_uri(item.get("id"), "entity id")
            tm = context_of(item)
            patch = parse_attributes(item, tm, now, allow_null=(mode == "merge"))
            types = parse_types(item["type"], tm) if "type" in item else []
            parsed.patches.append((item["id"], patch, types))
        except CityHubError as err:
            result.errors.append((str(raw_id), err))
    return parsed


def write_patches(
    service: EntityService,
    tenant: str,
    parsed: Parsed,
    mode: str,
    no_overwrite: bool,
    actor: Principal | None = None,
) -> BatchResult:
    now, result = parsed.now, parsed.result
    with service.write(tenant) as tx:
        existing = tx.get_many([i for i, _, _ in parsed.patches])
        changed = []
        for entity_id, patch, types in parsed.patches:
            entity = existing.get(entity_id)
            if entity is None:
                result.errors.append((entity_id, ResourceNotFound(f"entity {entity_id} not found")))
                continue
            if not _allowed(service, actor, Entity(entity_id, types), result, entity):
                continue
            if mode == "merge":
                EntityService.apply_merge(entity, patch, types, now)
            else:
                kept = EntityService.apply_append(entity, patch, now, no_overwrite).not_updated
                entity.types += [t for t in types if t not in entity.types]
                if kept:  # noOverwrite left some attributes as they were: say which
                    names = ", ".join(name.rsplit("/", 1)[-1] for name, _ in kept)
                    error = BadRequestData(f"not overwritten (noOverwrite): {names}")
                    result.errors.append((entity_id, error))
                    changed.append(entity)
                    continue
            changed.append(entity)
            result.success.append(entity_id)
        tx.update(changed)
    return result


def batch_delete(
    service: EntityService, tenant: str, body: Any, actor: Principal | None = None
) -> BatchResult:
    result = BatchResult()
    ids = []
    for item in _check_list(body):
        try:
            entity_id = check_uri(item, "entity id")
        except CityHubError as err:
            result.errors.append((str(item), err))
            continue
        if entity_id in ids:  # deleted by its first mention: nothing left for the second
            result.errors.append((entity_id, ResourceNotFound(f"entity {entity_id} not found")))
        else:
            ids.append(entity_id)
    if not service.store.tenant_exists(tenant):
        for entity_id in ids:
            result.errors.append((entity_id, ResourceNotFound(f"entity {entity_id} not found")))
        return result
    with service.write(tenant) as tx:
        existing = tx.get_many(ids)
        for entity_id in ids:
            if entity_id in existing:
                if _allowed(service, actor, Entity(entity_id, []), result, existing[entity_id]):
                    result.success.append(entity_id)
            else:
                result.errors.append((entity_id, ResourceNotFound(f"entity {entity_id} not found")))
        tx.delete(result.success)
    return result
