"""Plain records the store reads and writes. No driver rows ever leave the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# An attribute instance in stored form: reserved members by their NGSI-LD short names
# ("type", "value", "object", "observedAt", "datasetId", ...) and sub-attributes by expanded IRI.
Instance = dict[str, Any]
GEO_ATTRIBUTE_TYPE = "GeoProperty"


@dataclass
class Entity:
    """An NGSI-LD entity with expanded type and attribute names."""

    id: str
    types: list[str]
    attrs: dict[str, list[Instance]] = field(default_factory=dict)
    created_at: str = ""
    modified_at: str = ""
    scope: list[str] | None = None
    owner: str | None = None  # the department that created it (None: the platform or nobody)

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"attrs": self.attrs}
        if self.scope:
            doc["scope"] = self.scope
        if self.owner:
            doc["owner"] = self.owner
        return doc

    def attr_index(self) -> str:
        """'kind iri' lines, one per distinct (attribute, kind): used by discovery."""
        pairs = {
            (inst.get("type", "Property"), name)
            for name, insts in self.attrs.items()
            for inst in insts
        }
        return "\n".join(f"{kind} {name}" for kind, name in sorted(pairs))

    def geometries(self) -> list[tuple[str, dict[str, Any]]]:
        """(attribute IRI, GeoJSON geometry) of every GeoProperty instance, for the geo index."""
        found: list[tuple[str, dict[str, Any]]] = []
        for name, insts in self.attrs.items():
            for inst in insts:
                if inst.get("type") == GEO_ATTRIBUTE_TYPE and isinstance(inst.get("value"), dict):
                    found.append((name, inst["value"]))
        return found


@dataclass(frozen=True)
class GeoFilter:
    """A geo-query against one GeoProperty, in the store's terms (distances in metres)."""

    relation: str  # near, within, contains, intersects, disjoint, overlaps, equals
    geometry: dict[str, Any]
    attr: str
    max_distance: float | None = None
    min_distance: float | None = None


@dataclass(frozen=True)
class EntityFilter:
    """What the store can filter on itself; everything else the broker refines in Python."""

    ids: tuple[str, ...] | None = None
    any_types: tuple[str, ...] | None = None
    geo: GeoFilter | None = None


@dataclass(frozen=True)
class TypeSummary:
    type: str
    entity_count: int
    attributes: dict[str, set[str]]  # attribute IRI -> attribute kinds
    attribute_counts: dict[str, int]  # attribute IRI -> entities of this type that have it


@dataclass(frozen=True)
class StoredContext:
    local_id: str
    url: str
    kind: str
    body: dict[str, Any]
    created_at: str
    last_used: str | None
    hits: int
    owner: str | None = None  # the department that hosted it


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    department: str
    role: str
    created_at: str
    tenants: tuple[str, ...] = ("",)  # the tenants it may use; "*" is every tenant
    expires_at: str | None = None
    revoked_at: str | None = None


class HistoryRow(NamedTuple):
    """One attribute instance as it was at one change (temporal representation). A named tuple:
    every write makes one per changed attribute, and a tuple is the cheapest record to build."""

    entity_id: str
    attr: str
    instance_id: str
    dataset_id: str | None
    observed_us: int  # observedAt, or the modification time when the instance has none
    modified_us: int
    value_num: float | None
    value_key: str | None  # the value as canonical JSON, for distinctCount
    instance: dict[str, Any]
    deleted_us: int | None = None  # set on the instance that records the attribute's deletion


@dataclass(frozen=True)
class HistoryQuery:
    entity_ids: tuple[str, ...]
    attrs: tuple[str, ...] | None = None
    time_column: str = "observed_us"  # or "modified_us"; "deleted_us" reads only deletions
    start_us: int | None = None  # inclusive
    end_us: int | None = None  # exclusive
    last_n: int | None = None  # the newest N per entity and attribute
    first_n: int | None = None  # the oldest N per entity and attribute


@dataclass(frozen=True)
class Bucket:
    """Aggregates of one attribute of one entity over one period."""

    entity_id: str
    attr: str
    index: int  # period number from the start time
    count: int
    distinct: int
    total: float | None
    mean: float | None
    low: float | None
    high: float | None
    sumsq: float | None


@dataclass
class SubscriptionRecord:
    tenant: str
    id: str
    doc: dict[str, Any]  # the subscription as created/updated (compact terms + its @context)
    times_sent: int = 0
    times_failed: int = 0
    last_notification: str | None = None
    last_success: str | None = None
    last_failure: str | None = None
    modified_us: int = 0


@dataclass(frozen=True)
class QueuedNotification:
    id: int
    tenant: str
    subscription_id: str
    endpoint: str
    payload: bytes
    attempts: int
