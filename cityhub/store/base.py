"""The store interface: one Protocol, a SQLite and a PostgreSQL implementation.

Writes happen inside `store.write(tenant)`, a transaction that locks what it reads, so a
read-modify-write of an entity is atomic and a failed batch leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from cityhub.store.records import (
    ApiKey,
    Bucket,
    Entity,
    EntityFilter,
    HistoryQuery,
    HistoryRow,
    QueuedNotification,
    StoredContext,
    SubscriptionRecord,
    TypeSummary,
)


class EntityWriter(Protocol):
    """The operations allowed inside one write transaction for one tenant."""

    def get_many(self, ids: list[str]) -> dict[str, Entity]: ...

    def insert(self, entities: list[Entity]) -> None: ...

    def update(self, entities: list[Entity]) -> None: ...

    def delete(self, ids: list[str]) -> int: ...

    def append_history(self, rows: list[HistoryRow]) -> None: ...

    def delete_history(
        self,
        entity_id: str,
        attr: str | None = None,
        dataset_id: str | None = None,
        all_datasets: bool = True,
        instance_id: str | None = None,
    ) -> int: ...

    def replace_history_instance(self, instance_id: str, row: HistoryRow) -> bool: ...

    def enqueue(self, items: list[tuple[str, str, bytes, int]]) -> None: ...


class Store(Protocol):
    dialect: str
    exact_geo: bool  # True when the store evaluates every geo relation exactly

    # lifecycle
    def migrate(self) -> None: ...

    def close(self) -> None: ...

    # tenants
    def tenant_exists(self, tenant: str) -> bool: ...

    def tenant_is_private(self, tenant: str) -> bool: ...

    def set_tenant_private(self, tenant: str, private: bool) -> None: ...

    # entities
    def write(self, tenant: str) -> AbstractContextManager[EntityWriter]: ...

    def get_entity(self, tenant: str, entity_id: str) -> Entity | None: ...

    def iter_entities(
        self, tenant: str, flt: EntityFilter, limit: int | None = None, offset: int = 0
    ) -> Iterator[Entity]: ...

    def count_entities(self, tenant: str, flt: EntityFilter) -> int: ...

    def type_summaries(self, tenant: str) -> list[TypeSummary]: ...

    # temporal history
    def iter_history(self, tenant: str, query: HistoryQuery) -> Iterator[HistoryRow]: ...

    def aggregate_history(
        self, tenant: str, query: HistoryQuery, start_us: int, period_us: int
    ) -> list[Bucket]: ...

    # subscriptions and the notification queue
    def put_subscription(
        self, tenant: str, sub_id: str, doc: dict[str, Any], modified_us: int, create: bool
    ) -> None: ...

    def get_subscription(self, tenant: str, sub_id: str) -> SubscriptionRecord | None: ...

    def list_subscriptions(self, tenant: str | None = None) -> list[SubscriptionRecord]: ...

    def delete_subscription(self, tenant: str, sub_id: str) -> bool: ...

    def subscriptions_version(self) -> tuple[int, int]: ...

    def record_delivery(self, tenant: str, sub_id: str, ok: bool, at: str) -> None: ...

    def due_endpoints(self, now_us: int) -> list[str]: ...

    def claim_head(
        self, endpoint: str, worker: str, now_us: int, lease_us: int
    ) -> QueuedNotification | None: ...

    def finish_notification(self, notification_id: int) -> None: ...

    def retry_notification(self, notification_id: int, attempts: int, next_at_us: int) -> None: ...

    def queued_count(self) -> int: ...

    # JSON-LD contexts (hosted, cached, preloaded)
    def get_context(self, url: str) -> dict[str, Any] | None: ...

    def get_hosted_context(self, local_id: str) -> dict[str, Any] | None: ...

    def put_context(self, url: str, body: dict[str, Any], kind: str) -> str: ...

    def list_contexts(self, kind: str | None = None) -> list[StoredContext]: ...

    def get_context_record(self, local_id: str) -> StoredContext | None: ...

    def delete_context(self, local_id: str) -> bool: ...

    # API keys
    def add_api_key(self, key_id: str, secret_hash: str, department: str, role: str) -> None: ...

    def find_api_key(self, secret_hash: str) -> ApiKey | None: ...

    def has_api_keys(self) -> bool: ...
