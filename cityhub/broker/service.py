"""Entity operations: what the NGSI-LD API does, independent of HTTP.

Every change reads the entity and writes it back inside one store transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.broker import attrs as rules
from cityhub.broker.changes import Change, Transaction
from cityhub.broker.hooks import WriteHooks
from cityhub.broker.normalize import (
    ATTRIBUTE_TYPES,
    check_path_attribute,
    check_uri,
    parse_attribute,
    parse_attributes,
    parse_scope,
    parse_types,
)
from cityhub.broker.query import EntityQuery
from cityhub.errors import (
    AlreadyExists,
    BadRequestData,
    NonexistentTenant,
    ResourceNotFound,
)
from cityhub.jsonld import TermMap
from cityhub.store import Store
from cityhub.store.records import Entity, TypeSummary
from cityhub.timeutil import now_iso


@dataclass
class UpdateResult:
    updated: list[str] = field(default_factory=list)  # expanded names
    not_updated: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


# Types the platform writes through its own services (citizen requests, indicators, the city's
# districts); through the broker only admins may change them, so the two never disagree.
PLATFORM_TYPES = ("Open311ServiceRequest", "KeyPerformanceIndicator", "District")


class EntityService:
    def __init__(
        self,
        store: Store,
        platform_types: frozenset[str] = frozenset(),
        hooks: WriteHooks | None = None,
    ) -> None:
        self.store = store
        self.platform_types = platform_types  # expanded IRIs
        self.hooks = hooks or WriteHooks()  # see cityhub.broker.hooks: around every write

    @contextmanager
    def write(self, tenant: str) -> Iterator[Transaction]:
        """A store transaction that records history and tells the hooks what changed."""
        for prepare in self.hooks.before_write:
            prepare(tenant)
        with self.store.write(tenant) as tx:
            recorder = Transaction(tx)
            yield recorder
            if recorder.changes:
                for listener in self.hooks.in_transaction:
                    listener(tenant, recorder.changes, recorder)
        if recorder.changes:
            changes = recorder.changes
            self.store.after_commit(lambda: self._committed(tenant, changes))
        if recorder.queued:
            for wake in self.hooks.after_queued:
                self.store.after_commit(wake)

    def _committed(self, tenant: str, changes: list[Change]) -> None:
        for hook in self.hooks.after_commit:
            hook(tenant, changes)

    # -- reads --------------------------------------------------------------------------------
    def check_tenant(self, tenant: str) -> None:
        if not self.store.tenant_exists(tenant):
            raise NonexistentTenant(f"tenant '{tenant}' does not exist")

    def retrieve(self, tenant: str, entity_id: str) -> Entity:
        check_uri(entity_id, "entity id")
        self.check_tenant(tenant)
        entity = self.store.get_entity(tenant, entity_id)
        if entity is None:
            raise ResourceNotFound(f"entity {entity_id} was not found")
        return entity

    def query(
        self, tenant: str, query: EntityQuery, limit: int, offset: int, count: bool
    ) -> tuple[list[Entity], int | None]:
        """Matching entities for one page, and the total when asked."""
        self.check_tenant(tenant)
        if query.order:
            return self._ordered(tenant, query, limit, offset, count)
        if not query.predicates:
            items = (
                list(self.store.iter_entities(tenant, query.flt, limit, offset)) if limit else []
            )
            total = self.store.count_entities(tenant, query.flt) if count else None
            return items, total
        items, seen = [], 0
        for entity in self.store.iter_entities(tenant, query.flt):
            if not query.matches(entity):
                continue
            if offset <= seen < offset + limit:
                items.append(entity)
            seen += 1
            if not count and seen >= offset + limit:
                break
        return items, (seen if count else None)

    def _ordered(
        self, tenant: str, query: EntityQuery, limit: int, offset: int, count: bool
    ) -> tuple[list[Entity], int | None]:
        from cityhub.broker.ordering import ORDER_MOST, order_entities

        matches = []
        for entity in self.store.iter_entities(tenant, query.flt):
            if query.matches(entity):
                matches.append(entity)
                if len(matches) > ORDER_MOST:
                    raise BadRequestData(
                        f"orderBy sorts at most {ORDER_MOST:,} matches: narrow the query"
                    )
        ordered = order_entities(matches, query.order)
        return ordered[offset : offset + limit], (len(matches) if count else None)

    def type_summaries(self, tenant: str) -> list[TypeSummary]:
        self.check_tenant(tenant)
        return self.store.type_summaries(tenant)

    # -- who may write ------------------------------------------------------------------------
    def check_writer(self, actor: Principal | None, entity: Entity) -> None:
        """Raise unless `actor` may change `entity` (None: the platform's own services)."""
        policy.check_entity_write(actor, entity.owner, entity.types, self.platform_types)

    def claim(self, actor: Principal | None, entity: Entity) -> None:
        """A new entity: check its types may be created by `actor`, and record its owner."""
        self.check_writer(actor, Entity(entity.id, entity.types))
        entity.owner = policy.owner_for(actor)

    # -- single-entity writes -----------------------------------------------------------------
    def create(self, tenant: str, entity: Entity, actor: Principal | None = None) -> None:
        now = now_iso()
        entity.created_at = entity.modified_at = now
        rules.stamp_entity(entity, now)
        self.claim(actor, entity)
        with self.write(tenant) as tx:
            if tx.get_many([entity.id]):
                raise AlreadyExists(f"entity {entity.id} already exists")
            tx.insert([entity])

    def delete(self, tenant: str, entity_id: str, actor: Principal | None = None) -> None:
        check_uri(entity_id, "entity id")
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            self._load(tx, entity_id, actor)
            if tx.delete([entity_id]) == 0:
                raise ResourceNotFound(f"entity {entity_id} was not found")

    def _load(self, tx: Any, entity_id: str, actor: Principal | None = None) -> Entity:
        check_uri(entity_id, "entity id")
        found: dict[str, Entity] = tx.get_many([entity_id])
        if entity_id not in found:
            raise ResourceNotFound(f"entity {entity_id} was not found")
        self.check_writer(actor, found[entity_id])
        return found[entity_id]

    def replace(
        self, tenant: str, entity_id: str, new: Entity, actor: Principal | None = None
    ) -> None:
        if new.id and new.id != entity_id:
            raise BadRequestData("the id in the body differs from the id in the path")
        self.check_tenant(tenant)
        now = now_iso()
        with self.write(tenant) as tx:
            old = self._load(tx, entity_id, actor)
            self.check_writer(actor, Entity(entity_id, new.types, owner=old.owner))
            new.owner = old.owner
            new.id, new.created_at, new.modified_at = entity_id, old.created_at, now
            rules.stamp_entity(new, now)
            tx.update([new])

    def merge(
        self,
        tenant: str,
        entity_id: str,
        body: dict[str, Any],
        tm: TermMap,
        actor: Principal | None = None,
    ) -> None:
        if "id" in body and body["id"] != entity_id:
            raise BadRequestData("the id in the body differs from the id in the path")
        now = now_iso()
        patch = parse_attributes(body, tm, now, allow_null=True)
        types = parse_types(body["type"], tm) if "type" in body else []
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            self.check_writer(actor, Entity(entity_id, types, owner=entity.owner))
            self.apply_merge(entity, patch, types, now)
            tx.update([entity])

    @staticmethod
    def apply_merge(
        entity: Entity, patch: dict[str, list[dict[str, Any]]], types: list[str], now: str
    ) -> None:
        for name, instances in patch.items():
            rules.merge_attribute(entity, name, instances, now)
        for t in types:
            if t not in entity.types:
                entity.types.append(t)
        entity.modified_at = now

    def append(
        self,
        tenant: str,
        entity_id: str,
        body: dict[str, Any],
        tm: TermMap,
        no_overwrite: bool,
        actor: Principal | None = None,
    ) -> UpdateResult:
        now = now_iso()
        fragment = parse_attributes(body, tm, now)
        types = parse_types(body["type"], tm) if "type" in body else []
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            self.check_writer(actor, Entity(entity_id, types, owner=entity.owner))
            result = self.apply_append(entity, fragment, now, no_overwrite)
            for t in types:
                if t not in entity.types:
                    entity.types.append(t)
            if "scope" in body:  # added to (noOverwrite) or replacing the entity's scope
                scope = parse_scope(body["scope"]) or []
                old = entity.scope or []
                entity.scope = old + [x for x in scope if x not in old] if no_overwrite else scope
                result.updated.append("scope")
            tx.update([entity])
        return result

    @staticmethod
    def apply_append(
        entity: Entity, fragment: dict[str, list[dict[str, Any]]], now: str, no_overwrite: bool
    ) -> UpdateResult:
        result = UpdateResult()
        for name, instances in fragment.items():
            if no_overwrite and rules.has_all_instances(entity, name, instances):
                result.not_updated.append((name, "attribute exists and noOverwrite was given"))
                continue
            rules.put_instances(entity, name, instances, now)
            result.updated.append(name)
        entity.modified_at = now
        return result

    def update_attrs(
        self,
        tenant: str,
        entity_id: str,
        body: dict[str, Any],
        tm: TermMap,
        actor: Principal | None = None,
    ) -> UpdateResult:
        now = now_iso()
        fragment = parse_attributes(body, tm, now, allow_null=True)
        types = parse_types(body["type"], tm) if "type" in body else []
        self.check_tenant(tenant)
        result = UpdateResult()
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            self.check_writer(actor, Entity(entity_id, types, owner=entity.owner))
            entity.types += [t for t in types if t not in entity.types]
            if "scope" in body:  # replaces a scope; an entity without one keeps none
                if entity.scope:
                    entity.scope = parse_scope(body["scope"])
                    result.updated.append("scope")
                else:
                    result.not_updated.append(("scope", "the entity has no scope to update"))
            for name, instances in fragment.items():
                if name not in entity.attrs:  # an instance of a new datasetId is added
                    result.not_updated.append((name, "attribute does not exist"))
                    continue
                # an instance whose value is NGSI-LD Null is deleted, the others replaced
                kept = [i for i in instances if not rules.is_null(i)]
                for gone in instances:
                    if rules.is_null(gone):
                        rules.delete_attribute(entity, name, gone.get("datasetId"), False)
                if kept:
                    rules.put_instances(entity, name, kept, now)
                result.updated.append(name)
            if result.updated or types:
                entity.modified_at = now
                tx.update([entity])
        return result

    def patch_attr(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        body: Any,
        tm: TermMap,
        actor: Principal | None = None,
    ) -> None:
        """Partial attribute update: merge the given members into the existing instance."""
        if not isinstance(body, dict) or not body:
            raise BadRequestData("the attribute fragment must be a non-empty JSON object")
        now = now_iso()
        name = tm.expand(check_path_attribute(attr))
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            current = entity.attrs.get(name, [])
            idx = rules.find_instance(current, body.get("datasetId"))
            if idx < 0:
                raise ResourceNotFound(f"attribute {attr} of {entity_id} was not found")
            old = current[idx]
            if "type" in body and body["type"] != old.get("type", "Property"):
                raise BadRequestData(
                    f"attribute {attr} is a {old.get('type', 'Property')}, not a {body['type']}"
                )
            kind = str(body.get("type", old.get("type", "Property")))
            key = ATTRIBUTE_TYPES.get(kind, "value")
            fragment = {"type": kind, key: old.get(key), **body}
            patch = parse_attribute(attr, fragment, tm, now, allow_null=True)[0]
            merged = rules.merge_instance(old, patch, now)
            if merged is None:
                current.pop(idx)
                if not current:
                    entity.attrs.pop(name)
            else:
                current[idx] = merged
            entity.modified_at = now
            tx.update([entity])

    def replace_attr(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        body: Any,
        tm: TermMap,
        actor: Principal | None = None,
    ) -> None:
        now = now_iso()
        name = tm.expand(check_path_attribute(attr))
        instances = parse_attribute(attr, body, tm, now)
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            if not rules.has_all_instances(entity, name, instances):
                raise ResourceNotFound(f"attribute {attr} of {entity_id} was not found")
            rules.put_instances(entity, name, instances, now)
            entity.modified_at = now
            tx.update([entity])

    def delete_attr(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        tm: TermMap,
        dataset_id: str | None,
        delete_all: bool,
        actor: Principal | None = None,
    ) -> None:
        if dataset_id is not None:
            check_uri(dataset_id, "datasetId")
        self.check_tenant(tenant)
        with self.write(tenant) as tx:
            entity = self._load(tx, entity_id, actor)
            if attr == "scope":  # the entity's scope, not an attribute
                if not entity.scope:
                    raise ResourceNotFound(f"entity {entity_id} has no scope")
                entity.scope = None
            elif not rules.delete_attribute(entity, tm.expand(attr), dataset_id, delete_all):
                raise ResourceNotFound(f"attribute {attr} of {entity_id} was not found")
            entity.modified_at = now_iso()
            tx.update([entity])
