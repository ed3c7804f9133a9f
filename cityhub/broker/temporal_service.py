"""Temporal operations: read history of matching entities, add or change past instances."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from cityhub.auth.principal import Principal
from cityhub.broker import temporal
from cityhub.broker.normalize import check_uri, parse_types
from cityhub.broker.query import EntityQuery
from cityhub.broker.service import EntityService
from cityhub.broker.temporal_page import TemporalPage, bounded, cut
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.store.records import Bucket, Entity, HistoryQuery, HistoryRow
from cityhub.timeutil import now_iso

_WHOLE = 1 << 62  # one period covering any interval


@dataclass
class TemporalResult:
    entity: Entity
    rows: list[HistoryRow]
    buckets: list[Bucket]
    start_us: int
    period_us: int
    page: TemporalPage | None = None  # set when the answer covers less than the asked window
    emptied: list[str] = field(default_factory=list)  # attributes the page's range left empty


_DAY_US = 86_400_000_000


def city_midnight(us: int, zone: ZoneInfo) -> int:
    """The start of the city's day holding the moment `us` (UTC microseconds)."""
    local = datetime.fromtimestamp(us / 1_000_000, UTC).astimezone(zone)
    midnight = datetime.combine(local.date(), time(), zone)
    return int(midnight.timestamp()) * 1_000_000


class TemporalService:
    def __init__(
        self, entities: EntityService, instance_limit: int = 1000, timezone: str = "UTC"
    ) -> None:
        self.entities = entities
        self.store = entities.store
        self.instance_limit = instance_limit  # per entity and attribute in one answer
        self.zone = ZoneInfo(timezone)  # whole-day periods without timeAt start at its midnight

    def _read(
        self,
        tenant: str,
        found: list[Entity],
        attrs: frozenset[str] | None,
        tp: temporal.TemporalParams,
    ) -> list[TemporalResult]:
        ids = [e.id for e in found]
        hq = temporal.history_query(ids, attrs, tp)
        if tp.fmt == "aggregatedValues":
            # periods start at timeAt, or at the earliest instance asked for; whole days
            # then start at the city's midnight before it, so a P1D period is the city's day
            start = tp.start_us if tp.start_us is not None else self._earliest(tenant, hq)
            if tp.start_us is None and tp.period_us and tp.period_us % _DAY_US == 0 and start:
                start = city_midnight(start, self.zone)
            period = tp.period_us or ((tp.end_us - start) if tp.end_us else _WHOLE)
            buckets = (
                self.store.aggregate_history(tenant, hq, start, period, tp.methods) if ids else []
            )
            return [TemporalResult(e, [], buckets, start, period) for e in found]
        by_entity: dict[str, list[HistoryRow]] = {i: [] for i in ids}
        limit = self.instance_limit
        rows = list(self.store.iter_history(tenant, bounded(hq, limit))) if ids else []
        rows, page, emptied = cut(rows, hq, limit, hq)
        for row in rows:
            by_entity[row.entity_id].append(row)
        return [
            TemporalResult(e, by_entity[e.id], [], 0, 0, page, emptied.get(e.id, [])) for e in found
        ]

    def _earliest(self, tenant: str, hq: HistoryQuery) -> int:
        if not hq.entity_ids:
            return 0
        first = self.store.iter_history(tenant, replace(hq, first_n=1, last_n=None))
        times = [int(getattr(row, hq.time_column)) for row in first]
        return min(times) if times else 0

    def retrieve(
        self,
        tenant: str,
        entity_id: str,
        attrs: frozenset[str] | None,
        tp: temporal.TemporalParams,
    ) -> TemporalResult:
        entity = self.entities.retrieve(tenant, entity_id)
        return self._read(tenant, [entity], attrs, tp)[0]

    def query(
        self,
        tenant: str,
        query: EntityQuery,
        limit: int,
        offset: int,
        count: bool,
        attrs: frozenset[str] | None,
        tp: temporal.TemporalParams,
    ) -> tuple[list[TemporalResult], int | None]:
        found, total = self.entities.query(tenant, query, limit, offset, count)
        results = self._read(tenant, found, attrs, tp)
        if tp.fmt != "aggregatedValues" and (tp.start_us is not None or tp.end_us is not None):
            # an entity without an instance in the asked window is not part of the answer
            results = [r for r in results if r.rows or r.emptied]
        return results, total

    # -- writes -------------------------------------------------------------------------------
    def _guard(self, tx: Any, entity_id: str, actor: Principal | None) -> Entity | None:
        """The entity if it exists, after checking `actor` may write it."""
        found = tx.get_many([entity_id]).get(entity_id)
        if found is not None:
            self.entities.check_writer(actor, found)
        return found  # type: ignore[no-any-return]

    def add(self, tenant: str, body: Any, tm: TermMap, actor: Principal | None = None) -> bool:
        """Add instances to an entity's history, creating the entity if needed. True if created."""
        if not isinstance(body, dict):
            raise BadRequestData("a temporal entity must be a JSON object")
        entity_id = check_uri(body.get("id"), "entity id")
        if "type" not in body:
            raise BadRequestData("a temporal entity must have a type")
        types = parse_types(body["type"], tm)
        now = now_iso()
        pairs = temporal.parse_temporal_attributes(body, tm, now)
        with self.entities.write(tenant) as tx:
            created = self._guard(tx, entity_id, actor) is None
            if created:
                entity = Entity(entity_id, types, _latest(pairs), now, now)
                self.entities.claim(actor, entity)
                tx.insert([entity], record=False)  # its instances are recorded below, once
            rows = temporal.rows_for(entity_id, pairs)
            if not created:  # a reading sent again replaces the one kept
                tx.drop_observations(rows)
            tx.append_history(rows)
        return created

    def append_attrs(
        self, tenant: str, entity_id: str, body: Any, tm: TermMap, actor: Principal | None = None
    ) -> None:
        if not isinstance(body, dict):
            raise BadRequestData("attributes must be given as a JSON object")
        pairs = temporal.parse_temporal_attributes(body, tm, now_iso())
        self.entities.check_tenant(tenant)
        with self.entities.write(tenant) as tx:
            if self._guard(tx, check_uri(entity_id, "entity id"), actor) is None:
                raise ResourceNotFound(f"entity {entity_id} was not found")
            rows = temporal.rows_for(entity_id, pairs)
            tx.drop_observations(rows)  # a reading sent again replaces the one kept
            tx.append_history(rows)

    def delete_entity(self, tenant: str, entity_id: str, actor: Principal | None = None) -> None:
        check_uri(entity_id, "entity id")
        self.entities.check_tenant(tenant)
        with self.entities.write(tenant) as tx:
            self._guard(tx, entity_id, actor)
            removed = tx.delete([entity_id]) + tx.delete_history(entity_id)
            if not removed:
                raise ResourceNotFound(f"entity {entity_id} was not found")

    def delete_attr(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        dataset_id: str | None,
        delete_all: bool,
        actor: Principal | None = None,
    ) -> None:
        check_uri(entity_id, "entity id")
        if dataset_id is not None:
            check_uri(dataset_id, "datasetId")
        self.entities.check_tenant(tenant)
        with self.entities.write(tenant) as tx:
            self._guard(tx, entity_id, actor)
            if not tx.delete_history(entity_id, attr, dataset_id, delete_all):
                raise ResourceNotFound(f"attribute {attr} of {entity_id} has no history")

    def modify_instance(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        instance_id: str,
        body: Any,
        tm: TermMap,
        actor: Principal | None = None,
    ) -> None:
        if not isinstance(body, dict):
            raise BadRequestData("the instance must be a JSON object")
        name = tm.compact(attr)
        fragment = body.get(name, body.get(attr, body))
        pairs = temporal.parse_temporal_attributes({name: fragment}, tm, now_iso())
        if len(pairs) != 1:
            raise BadRequestData("give exactly one attribute instance")
        row = temporal.rows_for(check_uri(entity_id, "entity id"), pairs)[0]
        self.entities.check_tenant(tenant)
        with self.entities.write(tenant) as tx:
            self._guard(tx, row.entity_id, actor)
            if not tx.replace_history_instance(instance_id, row):
                raise ResourceNotFound(f"instance {instance_id} was not found")

    def delete_instance(
        self,
        tenant: str,
        entity_id: str,
        attr: str,
        instance_id: str,
        actor: Principal | None = None,
    ) -> None:
        check_uri(entity_id, "entity id")
        self.entities.check_tenant(tenant)
        with self.entities.write(tenant) as tx:
            self._guard(tx, entity_id, actor)
            if not tx.delete_history(entity_id, attr, instance_id=instance_id):
                raise ResourceNotFound(f"instance {instance_id} was not found")


def _latest(pairs: list[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The newest instance per attribute and datasetId becomes the entity's current state."""
    latest: dict[tuple[str, str | None], dict[str, Any]] = {}
    for attr, inst in pairs:
        key = (attr, inst.get("datasetId"))
        old = latest.get(key)
        if old is None or str(inst.get("observedAt", "")) >= str(old.get("observedAt", "")):
            latest[key] = inst
    attrs: dict[str, list[dict[str, Any]]] = {}
    for (attr, _), inst in latest.items():
        attrs.setdefault(attr, []).append(inst)
    return attrs
