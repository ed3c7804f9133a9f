"""The Hub: settings + store + services, built once and passed explicitly."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cityhub.auth.keys import Authenticator
from cityhub.broker.csource_notify import notify_matching, notify_registration_change
from cityhub.broker.federation import Federation
from cityhub.broker.hooks import WriteHooks
from cityhub.broker.notifier import Notifier
from cityhub.broker.registration_service import RegistrationService
from cityhub.broker.service import PLATFORM_TYPES, EntityService
from cityhub.broker.subscription_service import SubscriptionService
from cityhub.broker.subscriptions import SubscriptionMatcher
from cityhub.broker.temporal_service import TemporalService
from cityhub.care.alarms import ATTRIBUTE as ALARM_ATTRIBUTE
from cityhub.care.alarms import AlarmInbox, AlarmRelay
from cityhub.catalog.access import AccessDesk
from cityhub.catalog.service import CatalogService
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.entity import ENTITY_TYPE as REQUEST_TYPE
from cityhub.citizen.places import Locator
from cityhub.citizen.router import ClassifierRegistry
from cityhub.citizen.service import RequestService
from cityhub.config import Settings
from cityhub.ingest.agent import IngestAgent
from cityhub.ingest.commands import CommandOutbox, CommandRelay, CommandTarget, make_target
from cityhub.ingest.devices import DeviceRegistry
from cityhub.jsonld.resolver import ContextResolver
from cityhub.participation.budgets import BudgetService
from cityhub.store import Store, open_store
from cityhub.store.writer import Groupable, GroupCommitWriter
from cityhub.survey.service import SurveyService
from cityhub.workers import ComputePool

if TYPE_CHECKING:  # loaded on first use: pandas, statsmodels and jieba are slow to import
    from cityhub.care.homecare import HomeCareService
    from cityhub.care.service import CareService
    from cityhub.indicators.results import StoredAnalyses
    from cityhub.indicators.service import IndicatorService
    from cityhub.participation.proposals import ProposalService
    from cityhub.voice.service import VoiceService

T = TypeVar("T")


class Hub:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.contexts = ContextResolver(settings, store.contexts)
        self.matcher = SubscriptionMatcher(store, self.contexts.resolve)
        self.notifier = Notifier(store, destinations=settings.notify_destinations)
        # Around every entity write: subscriptions matched inside the transaction, the notifier
        # woken after a commit that queued some (cityhub.broker.hooks says the whole sequence).
        self.hooks = WriteHooks(
            before_write=[self.matcher.prepare],
            in_transaction=[self.matcher.on_change],
            after_queued=[self.notifier.wake],
        )
        vocabulary = self.contexts.vocabulary  # the platform's own entities' terms
        # A platform type is reserved in its domain's terms and in the core's: a KPI written with
        # the core context alone must not pass for one the platform computed.
        platform_types = frozenset(
            iri
            for name in PLATFORM_TYPES
            for iri in (vocabulary.expand_type(name), vocabulary.core.expand(name))
        )
        self.entities = EntityService(store, platform_types, self.hooks)
        self.temporal = TemporalService(
            self.entities, settings.temporal_instances, settings.timezone
        )
        self.subscriptions = SubscriptionService(
            store,
            self.matcher,
            self.contexts.resolve,
            settings.notify_destinations,
            settings.min_time_interval,
        )
        self.csource_subscriptions = SubscriptionService(
            store,
            self.matcher,
            self.contexts.resolve,
            settings.notify_destinations,
            settings.min_time_interval,
            csource=True,
            on_saved=self._csource_subscribed,
        )
        self.registrations = RegistrationService(
            store, self.contexts.resolve, self._registration_changed
        )
        self.federation = Federation(
            self.registrations,
            settings.federation_destinations,
            settings.federation_timeout,
            settings.broker_name,
        )
        self.notifier.rate = settings.notify_rate
        self.notifier.periodic = self.matcher.periodic
        self.devices = DeviceRegistry(store)
        self.agent = IngestAgent(self.entities, self.devices, self.contexts.vocabulary)
        # Southbound commands: a committed write of a command attribute is queued here and
        # sent by the server's command sender (cityhub.ingest.commands).
        self.commands = CommandOutbox()
        relay = CommandRelay(self._command_targets, self.commands.put)
        self.hooks.before_write.append(relay.prepare)
        self.hooks.after_commit.append(relay.on_commit)
        self.devices.on_change.append(relay.forget)
        # Home alarms: a committed `alarm` value is queued for the server's alarm desk.
        self.alarms = AlarmInbox()
        alarm_relay = AlarmRelay(self.contexts.core.expand(ALARM_ATTRIBUTE), self.alarms)
        self.hooks.after_commit.append(alarm_relay.on_commit)
        self.auth = Authenticator(store)
        self.classifiers = ClassifierRegistry(store)
        self.sentiment = ClassifierRegistry(store, "sentiment")
        self.catalog = CatalogService(store, settings.timezone)
        self.access = AccessDesk(self.catalog)
        self.surveys = SurveyService(store)
        self.budgets = BudgetService(store, settings.timezone)
        self._requests: RequestService | None = None
        self._proposals: ProposalService | None = None
        self._care: CareService | None = None
        self._homecare: HomeCareService | None = None
        self._indicators: IndicatorService | None = None
        self._analyses: StoredAnalyses | None = None
        # Leaving the event loop: reads in a bounded pool of threads; SQLite writes on the one
        # group-commit writer thread, PostgreSQL writes in the pool (each on its connection).
        self._readers = concurrent.futures.ThreadPoolExecutor(8, "cityhub-read")
        self._writer = (
            GroupCommitWriter(cast(Groupable, store)) if store.dialect == "sqlite" else None
        )
        self.bridge: Any = None  # the MQTT bridge, when CITYHUB_MQTT_URL is set
        # Heavy analysis (evaluations, forecasts, hot issues): a bounded pool with deadlines.
        self.compute = ComputePool()

    def _command_targets(self, tenant: str) -> dict[str, CommandTarget]:
        terms = self.contexts.vocabulary.terms
        return {
            c.entity_id: make_target(
                c.apikey, c.device_id, c.commands, c.protocol, terms(c.entity_type).expand
            )
            for c in self.devices.command_configs(tenant)
        }

    @property
    def requests(self) -> RequestService:
        """Citizen requests; the catalog, gazetteer and boundaries are read on first use."""
        if self._requests is None:
            s = self.settings
            self._requests = RequestService(
                self.store,
                self.entities,
                self.contexts.vocabulary.terms(REQUEST_TYPE),
                ServiceCatalog.load(s.path_or_none(s.citizen_services)),
                Locator.load(
                    s.path_or_none(s.gazetteer),
                    s.path_or_none(s.district_boundaries),
                    s.path_or_none(s.street_boundaries),
                ),
                self.classifiers,
                s.timezone,
            )
        return self._requests

    @property
    def proposals(self) -> ProposalService:
        """Citizens' proposals, routed and located with the hotline's catalog and gazetteer."""
        if self._proposals is None:
            from cityhub.participation.proposals import ProposalService, Rules

            s = self.settings
            self._proposals = ProposalService(
                self.store,
                self.requests.catalog,
                self.requests.locator,
                self.classifiers,
                s.timezone,
                Rules(s.proposal_threshold, s.proposal_answer_days),
            )
        return self._proposals

    @property
    def care(self) -> CareService:
        """Community service points and the nearest-point index (kept current by a hook)."""
        if self._care is None:
            from cityhub.care.service import CareService, CityFiles

            s = self.settings
            files = CityFiles(
                s.path_or_none(s.care_population),
                s.path_or_none(s.bus_network),
                s.path_or_none(s.street_network),
            )
            self._care = CareService(
                self.store, self.entities, self.contexts.vocabulary, s.timezone,
                self.requests.locator, files,
            )  # fmt: skip
            self.hooks.after_commit.append(self._care.on_commit)
        return self._care

    @property
    def homecare(self) -> HomeCareService:
        """Home care: the register, caregivers, orders, the alarm desk and the day's plan."""
        if self._homecare is None:
            from cityhub.care.homecare import HomeCareService

            self._homecare = HomeCareService(self.store, self.catalog.audit, self.settings.timezone)
        return self._homecare

    @property
    def indicators(self) -> IndicatorService:
        """City indicators; the definition library is read on first use."""
        if self._indicators is None:
            from cityhub.indicators.definitions import Library
            from cityhub.indicators.service import IndicatorService

            s = self.settings
            self._indicators = IndicatorService(
                self.store,
                self.entities,
                self.contexts.vocabulary,
                Library.load(s.path_or_none(s.indicators_dir)),
                self.requests.locator,
                s.timezone,
                s.city,
            )
        return self._indicators

    @property
    def analyses(self) -> StoredAnalyses:
        """Forecasts and the goals' assessment from stored results (remade when stale)."""
        if self._analyses is None:
            from cityhub.indicators.results import StoredAnalyses

            self._analyses = StoredAnalyses(self)
        return self._analyses

    @property
    def voice(self) -> VoiceService:
        """Public opinion over the requests (sentiment, hot issues, replies, the brief)."""
        from cityhub.voice.service import VoiceService

        return VoiceService(self.requests, self.sentiment, self.settings.timezone)

    @classmethod
    def open(cls, settings: Settings | None = None) -> Hub:
        settings = settings or Settings.from_env()
        return cls(settings, open_store(settings.database_url))

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Blocking service code that reads (or writes in transactions of its own, like a file
        import): in the bounded pool, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, functools.partial(fn, *args, **kwargs))

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A short write (one request's worth): on SQLite through the group-commit writer."""
        if self._writer is None:
            return await self.run(fn, *args, **kwargs)
        return await asyncio.wrap_future(self._writer.submit(fn, *args, **kwargs))

    def _registration_changed(
        self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        """Tell /csourceSubscriptions about a registration change, and wake the delivery."""
        if notify_registration_change(self.store, self.contexts.resolve, tenant, before, after):
            self.notifier.wake()

    def _csource_subscribed(self, tenant: str, sub_id: str) -> None:
        """A /csourceSubscriptions entry just made or changed hears of the registrations it
        now selects."""
        if notify_matching(self.store, self.contexts.resolve, tenant, sub_id):
            self.notifier.wake()

    def close(self) -> None:
        self.federation.close()
        if self._writer is not None:
            self._writer.close()
        self._readers.shutdown(wait=True)
        self.compute.close()
        self.store.close()
