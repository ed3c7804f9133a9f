"""The store interface: one Protocol, a SQLite and a PostgreSQL implementation.

Writes happen inside `store.write(tenant)`, a transaction that locks what it reads, so a
read-modify-write of an entity is atomic and a failed batch leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from cityhub.store.catalog_sql import (
    CatalogRepository,
)
from cityhub.store.citizen_sql import RequestEvent, RequestRepository, RequestRow
from cityhub.store.contexts_sql import ContextRepository
from cityhub.store.homecare_sql import HomeCareRepository
from cityhub.store.indicator_sql import IndicatorRepository
from cityhub.store.ingest_sql import DeviceRepository
from cityhub.store.keys_sql import KeyRepository
from cityhub.store.leases_sql import LeaseRepository
from cityhub.store.participation_sql import BudgetRepository, ParticipationRepository
from cityhub.store.records import (
    Bucket,
    Entity,
    EntityFilter,
    HistoryQuery,
    HistoryRow,
    TypeSummary,
)
from cityhub.store.registrations_sql import RegistrationRepository
from cityhub.store.retention_sql import RetentionRepository
from cityhub.store.subscription_sql import SubscriptionRepository
from cityhub.store.survey_sql import SurveyRepository


class RequestWriter(Protocol):
    """Citizen requests, written with their NGSI-LD entity in one transaction."""

    def insert_request(self, row: RequestRow) -> int: ...

    def insert_requests(self, rows: list[RequestRow]) -> None: ...

    def lock_requests(self, ids: list[int]) -> list[RequestRow]: ...

    def merged_into(self, request_id: int) -> list[RequestRow]: ...

    def update_request(self, row: RequestRow) -> None: ...

    def add_events(self, events: list[RequestEvent]) -> None: ...

    def add_notices(self, notices: list[tuple[int, int, str, str, str]]) -> None: ...


class EntityWriter(RequestWriter, Protocol):
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

    def drop_observations(self, rows: list[HistoryRow]) -> int: ...

    def replace_history_instance(self, instance_id: str, row: HistoryRow) -> bool: ...

    def enqueue(self, items: list[tuple[str, str, bytes, int]]) -> None: ...

    def mark_seen(self, keys: list[tuple[str, int]]) -> set[tuple[str, int]]: ...


class Store(Protocol):
    dialect: str
    keys: KeyRepository  # API keys and dashboard sessions
    contexts: ContextRepository  # hosted, cached and preloaded @contexts
    catalog: CatalogRepository  # datasets, versions, rows, access requests, audit
    requests: RequestRepository  # citizen requests read back, text models
    indicators: IndicatorRepository  # values, targets, loaded series
    devices: DeviceRepository  # IoT groups and devices, dead letters
    subscriptions: SubscriptionRepository  # subscriptions and the notification queue
    leases: LeaseRepository  # which process runs each background job
    registrations: RegistrationRepository  # context sources (federation)
    retention: RetentionRepository  # pruning raw history older than a type's kept days
    surveys: SurveyRepository  # survey forms (versions) and their responses
    participation: ParticipationRepository  # proposals, supports, comments
    budgets: BudgetRepository  # participatory budgeting rounds and ballots
    homecare: HomeCareRepository  # the home-care register, caregivers and service orders
    exact_geo: bool  # True when the store evaluates every geo relation exactly

    # lifecycle
    def migrate(self) -> None: ...

    def after_commit(self, callback: Callable[[], None]) -> None: ...

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
        self,
        tenant: str,
        query: HistoryQuery,
        start_us: int,
        period_us: int,
        methods: tuple[str, ...] = (),
    ) -> list[Bucket]: ...

    # subscriptions and the notification queue

    # device provisioning and ingestion

    # citizen service requests

    # city indicators

    # the dataset catalog
