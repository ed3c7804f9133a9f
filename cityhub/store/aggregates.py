"""The repositories every store carries, one per aggregate, built the same way over either
dialect's primitives (`_run`, `_mark`, `_json_in`, `_transaction`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from cityhub.store.catalog_sql import CatalogRepository
from cityhub.store.citizen_sql import RequestRepository
from cityhub.store.contexts_sql import ContextRepository
from cityhub.store.homecare_sql import HomeCareRepository
from cityhub.store.indicator_sql import IndicatorRepository
from cityhub.store.ingest_sql import DeviceRepository
from cityhub.store.keys_sql import KeyRepository
from cityhub.store.leases_sql import LeaseRepository
from cityhub.store.participation_sql import BudgetRepository, ParticipationRepository
from cityhub.store.registrations_sql import RegistrationRepository
from cityhub.store.retention_sql import RetentionRepository
from cityhub.store.subscription_sql import SubscriptionRepository
from cityhub.store.survey_sql import SurveyRepository


class AggregatesMixin:
    """Gives a store its `catalog`, `requests`, `indicators`, `devices`, `subscriptions`, `keys`,
    `contexts`, `leases`, `registrations`, `retention`, `surveys`, `participation`, `budgets`
    and `homecare`."""

    dialect: str
    _mark: str
    keys: KeyRepository
    catalog: CatalogRepository
    requests: RequestRepository
    indicators: IndicatorRepository
    devices: DeviceRepository
    subscriptions: SubscriptionRepository
    contexts: ContextRepository
    leases: LeaseRepository
    registrations: RegistrationRepository
    retention: RetentionRepository
    surveys: SurveyRepository
    participation: ParticipationRepository
    budgets: BudgetRepository
    homecare: HomeCareRepository

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _run_many(self, statements: list[tuple[str, list[Any]]]) -> None:
        raise NotImplementedError

    def _transaction(self, lock: int | None = None) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _json_in(self, doc: Any) -> Any:
        raise NotImplementedError

    def _attach_repositories(self) -> None:
        self.keys = KeyRepository(self._run, self._mark)
        self.catalog = CatalogRepository(self)
        self.requests = RequestRepository(self)
        self.indicators = IndicatorRepository(self)
        self.devices = DeviceRepository(self)
        self.subscriptions = SubscriptionRepository(self)
        self.contexts = ContextRepository(self._run, self._mark, self._json_in)
        self.leases = LeaseRepository(self)
        self.registrations = RegistrationRepository(self)
        self.retention = RetentionRepository(self)
        self.surveys = SurveyRepository(self)
        self.participation = ParticipationRepository(self)
        self.budgets = BudgetRepository(self)
        self.homecare = HomeCareRepository(self)
