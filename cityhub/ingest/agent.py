"""Turn device messages into entity changes: one transaction per batch, every observation kept
in history, redelivered messages (same device and timestamp) skipped, bad ones dead-lettered."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cityhub.broker.changes import Change, history_row, to_us
from cityhub.broker.normalize import parse_attributes
from cityhub.broker.service import EntityService
from cityhub.errors import CityHubError
from cityhub.geo import GeometryError, validate
from cityhub.ingest.devices import DeviceConfig, DeviceRegistry
from cityhub.ingest.payloads import TIME_INSTANT, PayloadError, parse_json, parse_ul
from cityhub.jsonld import TermMap
from cityhub.store.records import Entity, HistoryRow
from cityhub.timeutil import is_datetime, normalise_datetime, now_iso


@dataclass
class Message:
    apikey: str
    device_id: str
    payload: bytes
    fmt: str = "json"  # json | ul
    object_id: str | None = None
    source: str = ""


@dataclass
class Observation:
    config: DeviceConfig
    measures: dict[str, Any]
    observed_at: str
    explicit_time: bool


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    dead: list[tuple[Message, str]] = field(default_factory=list)


def _convert(value: Any, kind: str) -> dict[str, Any]:
    """An NGSI-LD attribute from a measure and its provisioned type."""
    lowered = kind.lower()
    if lowered in ("number", "float", "double"):
        return {"type": "Property", "value": float(value)}
    if lowered in ("integer", "int"):
        return {"type": "Property", "value": int(float(value))}
    if lowered == "boolean":
        text = str(value).lower()
        return {"type": "Property", "value": value is True or text in ("true", "1", "on")}
    if lowered in ("geo:point", "geoproperty"):
        if isinstance(value, str):
            lat, lon = (float(x) for x in value.split(","))
            value = {"type": "Point", "coordinates": [lon, lat]}
        validate(value)
        return {"type": "GeoProperty", "value": value}
    if lowered == "relationship":
        return {"type": "Relationship", "object": str(value)}
    return {"type": "Property", "value": value}


class IngestAgent:
    def __init__(self, entities: EntityService, registry: DeviceRegistry, core: TermMap) -> None:
        self.entities = entities
        self.registry = registry
        self.core = core

    def observations(self, message: Message, received_at: str) -> list[Observation]:
        config = self.registry.resolve(message.apikey, message.device_id)
        if message.fmt == "ul":
            groups = parse_ul(message.payload)
        else:
            groups = parse_json(message.payload, message.object_id)
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
            mapped = obs.config.attributes.get(object_id)
            if mapped is None and obs.config.explicit_attrs:
                continue
            name, kind = (mapped.name, mapped.type) if mapped else (object_id, "Property")
            try:
                attr = _convert(value, kind)
            except (TypeError, ValueError, GeometryError) as exc:
                raise PayloadError(f"measure {object_id}={value!r} is not a {kind}") from exc
            attr["observedAt"] = obs.observed_at
            out[name] = attr
        return out

    def ingest(self, messages: list[Message]) -> BatchOutcome:
        """Store a batch; returns what was stored, skipped as redelivered, and dead-lettered."""
        outcome = BatchOutcome()
        now = now_iso()
        by_tenant: dict[str, list[tuple[Observation, dict[str, Any]]]] = defaultdict(list)
        for message in messages:
            try:
                for obs in self.observations(message, now):
                    fragment = parse_attributes(self.fragment(obs), self.core, now)
                    by_tenant[obs.config.tenant].append((obs, fragment))
            except (PayloadError, CityHubError) as exc:
                reason = exc.detail if isinstance(exc, CityHubError) else str(exc)
                outcome.dead.append((message, reason))
        for tenant, items in by_tenant.items():
            stored, dupes = self._apply(tenant, items, now)
            outcome.stored += stored
            outcome.duplicates += dupes
        if outcome.dead:
            self.entities.store.add_dead_letters(
                [
                    (now, m.source or f"{m.apikey}/{m.device_id}", m.payload, why)
                    for m, why in outcome.dead
                ]
            )
        return outcome

    def _apply(
        self, tenant: str, items: list[tuple[Observation, dict[str, Any]]], now: str
    ) -> tuple[int, int]:
        with self.entities.write(tenant) as tx:
            keys = [(o.config.device_id, to_us(o.observed_at)) for o, _ in items if o.explicit_time]
            fresh = tx.mark_seen(keys) if keys else set()
            ids = list(dict.fromkeys(o.config.entity_id for o, _ in items))
            existing = tx.get_many(ids)
            created: dict[str, Entity] = {}
            rows: list[HistoryRow] = []
            stored = dupes = 0
            for obs, fragment in items:
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
            tx.inner.insert(list(created.values()))
            tx.inner.update([e for e in existing.values() if e.modified_at == now])
            tx.append_history(rows)
        return stored, dupes

    def _new_entity(self, config: DeviceConfig, now: str) -> Entity:
        static = {
            a["name"]: _convert(a.get("value"), a.get("type", "Property")) for a in config.static
        }
        attrs = parse_attributes(static, self.core, now)
        for instances in attrs.values():
            for inst in instances:
                inst["createdAt"] = inst["modifiedAt"] = now
        return Entity(config.entity_id, [self.core.expand(config.entity_type)], attrs, now, now)
