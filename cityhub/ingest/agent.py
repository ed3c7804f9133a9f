"""Turn device messages into entity changes: one transaction per batch, every observation kept
in history, redelivered messages (same device and timestamp) skipped, bad ones dead-lettered."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cityhub.auth.principal import Principal
from cityhub.broker.changes import Change, history_row, to_us
from cityhub.broker.normalize import parse_attributes
from cityhub.broker.service import EntityService
from cityhub.errors import BadRequestData, CityHubError
from cityhub.ingest.commands import command_attributes, results, status_measures
from cityhub.ingest.convert import ConversionError, add_metadata, convert
from cityhub.ingest.devices import DeviceConfig, DeviceRegistry
from cityhub.ingest.payloads import (
    TIME_INSTANT,
    PayloadError,
    looks_like_json,
    parse_json,
    parse_single,
    parse_ul,
)
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.store.records import Entity, HistoryRow
from cityhub.timeutil import is_datetime, normalise_datetime, now_iso

log = logging.getLogger("cityhub.ingest")


@dataclass
class Message:
    apikey: str
    device_id: str
    payload: bytes
    fmt: str = "json"  # json | ul | auto (a legacy topic: as the payload is)
    object_id: str | None = None
    source: str = ""
    # attrs: measures; cmdexe: a device's command results; status: a command's status as the
    # command sender records it (cityhub.ingest.commands)
    kind: str = "attrs"


@dataclass
class Observation:
    config: DeviceConfig
    measures: dict[str, Any]
    observed_at: str
    explicit_time: bool
    as_named: bool = False  # command status and results: attribute names as given, unmapped


Item = tuple[Message, Observation, dict[str, Any]]


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    dead: list[tuple[Message, CityHubError]] = field(default_factory=list)


class IngestAgent:
    def __init__(
        self, entities: EntityService, registry: DeviceRegistry, vocabulary: Vocabulary
    ) -> None:
        self.entities = entities
        self.store = entities.store  # dead letters, and acknowledgements after commit
        self.registry = registry
        self.vocabulary = vocabulary  # a device's entity is written in its type's terms

    def observations(
        self, message: Message, received_at: str, config: DeviceConfig | None = None
    ) -> list[Observation]:
        config = config or self.registry.resolve(message.apikey, message.device_id)
        fmt = message.fmt
        if message.kind != "attrs":
            named = (
                status_measures(results(message.payload, message.device_id))
                if message.kind == "cmdexe"
                else parse_json(message.payload)[0]
            )
            return [Observation(config, named, received_at, False, as_named=True)]
        if message.object_id is not None:
            groups = parse_single(message.payload, message.object_id, fmt)
        elif fmt == "ul" or (fmt == "auto" and not looks_like_json(message.payload)):
            groups = parse_ul(message.payload)
        else:
            groups = parse_json(message.payload)
        found = []
        for measures in groups:
            stamp = measures.pop(TIME_INSTANT, None)
            if stamp is not None and not is_datetime(stamp):
                raise PayloadError(f"{TIME_INSTANT} {stamp!r} is not an ISO 8601 date-time")
            observed = normalise_datetime(stamp) if stamp else received_at
            found.append(Observation(config, measures, observed, stamp is not None))
        return found

    def fragment(self, obs: Observation) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for object_id, value in obs.measures.items():
            mapped = None if obs.as_named else obs.config.attributes.get(object_id)
            if mapped is None and obs.config.explicit_attrs and not obs.as_named:
                continue
            name, kind = (mapped.name, mapped.type) if mapped else (object_id, "Property")
            try:
                attr = convert(value, kind)
            except ConversionError as exc:
                raise PayloadError(f"measure {object_id}={value!r} is not a {kind}: {exc}") from exc
            if mapped is not None:
                add_metadata(attr, mapped.metadata)
            attr["observedAt"] = obs.observed_at
            out[name] = attr
        return out

    def ingest(self, messages: list[Message]) -> BatchOutcome:
        """Store a batch; returns what was stored, skipped as redelivered, and dead-lettered.

        One bad message never stops the others: a message that cannot be read or converted is
        dead-lettered with its reason; if the batch's transaction fails, each message is tried
        in a transaction of its own and the ones that still fail are dead-lettered. Only when
        the dead letters cannot be written either (the store is down) does this raise, and the
        caller keeps the batch to try again."""
        outcome = BatchOutcome()
        now = now_iso()
        by_tenant: dict[str, list[Item]] = defaultdict(list)
        tenants: dict[int, str | None] = {}
        for message in messages:
            try:
                config = self.registry.resolve(message.apikey, message.device_id)
                tenants[id(message)] = config.tenant
                for obs in self.observations(message, now, config):
                    terms = self.vocabulary.terms(config.entity_type)
                    fragment = parse_attributes(self.fragment(obs), terms, now)
                    by_tenant[obs.config.tenant].append((message, obs, fragment))
            except Exception as exc:  # anything a device sends may be wrong
                outcome.dead.append((message, _error(exc)))
        for tenant, items in by_tenant.items():
            dead = {id(m) for m, _ in outcome.dead}
            items = [i for i in items if id(i[0]) not in dead]
            try:
                stored, dupes = self._apply(tenant, items, now)
            except Exception:
                log.warning("an ingest batch of %d failed; storing one by one", len(items))
                stored, dupes = self._one_by_one(tenant, items, now, outcome)
            outcome.stored += stored
            outcome.duplicates += dupes
        if outcome.dead:
            self.store.devices.add_dead_letters(
                [
                    (
                        now,
                        m.source or f"{m.apikey}/{m.device_id}",
                        m.payload,
                        e.detail,
                        tenants.get(id(m)),
                    )
                    for m, e in outcome.dead
                ]
            )
        return outcome

    def _one_by_one(
        self, tenant: str, items: list[Item], now: str, outcome: BatchOutcome
    ) -> tuple[int, int]:
        stored = dupes = 0
        groups: dict[int, list[Item]] = defaultdict(list)
        for item in items:
            groups[id(item[0])].append(item)
        for group in groups.values():
            try:
                s, d = self._apply(tenant, group, now)
            except Exception as exc:
                error = _error(exc)
                error.detail = "could not be stored: " + error.detail
                outcome.dead.append((group[0][0], error))
                continue
            stored += s
            dupes += d
        return stored, dupes

    def _apply(self, tenant: str, items: list[Item], now: str) -> tuple[int, int]:
        with self.entities.write(tenant) as tx:
            keys = [
                (o.config.device_id, to_us(o.observed_at)) for _, o, _ in items if o.explicit_time
            ]
            fresh = tx.mark_seen(keys) if keys else set()
            ids = list(dict.fromkeys(o.config.entity_id for _, o, _ in items))
            existing = tx.get_many(ids)
            for held in existing.values():
                config = next(o.config for _, o, _ in items if o.config.entity_id == held.id)
                self.entities.check_writer(device_actor(config), held)
            created: dict[str, Entity] = {}
            rows: list[HistoryRow] = []
            stored = dupes = 0
            for _, obs, fragment in items:
                if obs.explicit_time:
                    key = (obs.config.device_id, to_us(obs.observed_at))
                    if key not in fresh:  # stored before, or twice in this batch
                        dupes += 1
                        continue
                    fresh.discard(key)
                entity = existing.get(obs.config.entity_id) or created.get(obs.config.entity_id)
                is_new = entity is None
                if entity is None:
                    entity = self._new_entity(obs.config, now)
                    created[entity.id] = entity
                EntityService.apply_append(entity, fragment, now, no_overwrite=False)
                for name, instances in fragment.items():
                    rows.extend(history_row(entity.id, name, inst) for inst in instances)
                snapshot = Entity(
                    entity.id,
                    list(entity.types),
                    {k: list(v) for k, v in entity.attrs.items()},
                    entity.created_at,
                    entity.modified_at,
                )
                tx.changes.append(Change(snapshot, list(fragment), created=is_new))
                stored += 1
            # History is what the devices sent (rows above), not the entities' whole state.
            tx.insert(list(created.values()), record=False)
            tx.update([e for e in existing.values() if e.modified_at == now], record=False)
            tx.append_history(rows)
        return stored, dupes

    def provisioned(self, tenant: str, device_ids: list[str]) -> int:
        """Create the entities of newly provisioned devices that take commands (a command can
        only be written to an entity that exists); returns how many were made."""
        wanted = set(device_ids)
        configs = [c for c in self.registry.command_configs(tenant) if c.device_id in wanted]
        if not configs:
            return 0
        now = now_iso()
        with self.entities.write(tenant) as tx:
            existing = tx.get_many([c.entity_id for c in configs])
            made = [self._new_entity(c, now) for c in configs if c.entity_id not in existing]
            tx.insert(made)
        return len(made)

    def _new_entity(self, config: DeviceConfig, now: str) -> Entity:
        static = {
            a["name"]: add_metadata(
                convert(a.get("value"), a.get("type", "Property")), a.get("metadata") or {}
            )
            for a in config.static
        }
        static.update(command_attributes(config.commands))
        terms = self.vocabulary.terms(config.entity_type)
        attrs = parse_attributes(static, terms, now)
        for instances in attrs.values():
            for inst in instances:
                inst["createdAt"] = inst["modifiedAt"] = now
        entity = Entity(config.entity_id, [terms.expand(config.entity_type)], attrs, now, now)
        self.entities.claim(device_actor(config), entity)
        return entity


def device_actor(config: DeviceConfig) -> Principal:
    """A device writes as the department that provisioned it (staff rights, its tenant)."""
    if config.owner:
        return Principal(f"device:{config.device_id}", config.owner, "staff", (config.tenant,))
    return Principal(f"device:{config.device_id}", "", "staff", (config.tenant,))


def _error(exc: Exception) -> CityHubError:
    """The problem a dead letter is kept for (and the answer an HTTP device gets)."""
    if isinstance(exc, CityHubError):
        return exc
    return BadRequestData(str(exc) or type(exc).__name__)
