"""Settings, read once from the environment (and optionally overridden by the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cityhub.outbound import Destinations


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///cityhub.db"
    mqtt_url: str = ""
    mqtt_client_id: str = ""  # stable per process, so the broker keeps its session over restarts
    # Shared-subscription group: the processes of one deployment split the device messages.
    # Empty: named after the deployment's identity in the store, so another deployment on the
    # same MQTT broker never takes this one's messages.
    mqtt_group: str = ""
    # "deny" (default), "allow", or a comma-separated allow-list of host names.
    context_fetch: str = "deny"
    context_fetch_timeout: float = 5.0
    max_body_bytes: int = 8 * 1024 * 1024
    max_upload_bytes: int = 2 * 1024 * 1024 * 1024  # dataset files sent to the catalog
    default_limit: int = 20
    # Temporal answers hold at most this many instances per entity and attribute; more are
    # paged by time (206 + Content-Range).
    temporal_instances: int = 1000
    max_limit: int = 1000
    timezone: str = "Asia/Shanghai"
    city: str = "Shenzhen"
    public_url: str = ""
    # Where subscriptions may notify: empty means any public host (internal addresses are
    # refused); a comma-separated list of hosts/addresses/networks allows only those.
    notify_hosts: str = ""
    notify_rate: float = 100.0  # notifications per second at most, per endpoint
    # Context sources (federation): where registered sources may be asked (empty: any public
    # host; a list: only those), how long each may take, and this broker's name in Via headers
    # (empty: derived from the store, so every process on one store has the same name).
    federation_hosts: str = ""
    federation_timeout: float = 3.0
    broker_id: str = ""
    min_time_interval: float = 1.0  # seconds; the shortest timeInterval a subscription may ask
    # Start the analysis worker processes at start (a server does; tests and tools need not).
    warm_analyses: bool = False
    # Seconds between two runs of the job that remakes stale forecasts and the goals'
    # assessment (cityhub.indicators.results); 0 leaves them to be made on first read.
    analyses_refresh: float = 0.0
    # Citizen requests: the city's own service catalog, gazetteer and boundaries (files);
    # empty means the shipped Shenzhen ones.
    citizen_services: str = ""
    gazetteer: str = ""
    district_boundaries: str = ""
    street_boundaries: str = ""
    # History retention (cityhub.broker.retention): days of raw temporal instances kept per
    # entity type, e.g. "ParkingSpot=2,*=30"; empty keeps everything. Pruned hourly.
    history_keep: str = ""
    # One line per HTTP request on standard error (cityhub.api.access_log); servers started
    # from the command line have it on unless CITYHUB_ACCESS_LOG=0.
    access_log: bool = False
    # City indicators: a folder of the city's own definition files (added to the shipped ones).
    indicators_dir: str = ""
    # Proposals: supports that oblige the city to answer, and the working days it has then.
    proposal_threshold: int = 100
    proposal_answer_days: int = 15
    # Home care: the MQTT topic prefix under which caregivers' apps hear of their orders.
    care_topic: str = "cityhub/care"
    # Residents per street or district (CSV: area, population) for the life circle's gaps;
    # empty: the shipped 2020 census of Shenzhen's districts.
    care_population: str = ""
    # Bus lines with their stops in order (CSV) for the nearest search by bus; empty: walking only.
    bus_network: str = ""
    # An OpenStreetMap extract (.osm XML) for walking along streets; empty: great-circle × 1.3.
    street_network: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        base = cls()
        return replace(
            base,
            database_url=env.get("CITYHUB_DATABASE_URL", base.database_url),
            mqtt_url=env.get("CITYHUB_MQTT_URL", base.mqtt_url),
            mqtt_client_id=env.get("CITYHUB_MQTT_CLIENT_ID", base.mqtt_client_id),
            mqtt_group=env.get("CITYHUB_MQTT_GROUP", base.mqtt_group),
            context_fetch=env.get("CITYHUB_CONTEXT_FETCH", base.context_fetch),
            context_fetch_timeout=float(
                env.get("CITYHUB_CONTEXT_FETCH_TIMEOUT", base.context_fetch_timeout)
            ),
            max_body_bytes=int(env.get("CITYHUB_MAX_BODY_BYTES", base.max_body_bytes)),
            max_upload_bytes=int(env.get("CITYHUB_MAX_UPLOAD_BYTES", base.max_upload_bytes)),
            default_limit=int(env.get("CITYHUB_DEFAULT_LIMIT", base.default_limit)),
            max_limit=int(env.get("CITYHUB_MAX_LIMIT", base.max_limit)),
            temporal_instances=int(env.get("CITYHUB_TEMPORAL_INSTANCES", base.temporal_instances)),
            timezone=env.get("CITYHUB_TIMEZONE", base.timezone),
            city=env.get("CITYHUB_CITY", base.city),
            public_url=env.get("CITYHUB_PUBLIC_URL", base.public_url),
            notify_hosts=env.get("CITYHUB_NOTIFY_HOSTS", base.notify_hosts),
            notify_rate=float(env.get("CITYHUB_NOTIFY_RATE", base.notify_rate)),
            federation_hosts=env.get("CITYHUB_FEDERATION_HOSTS", base.federation_hosts),
            federation_timeout=float(
                env.get("CITYHUB_FEDERATION_TIMEOUT", base.federation_timeout)
            ),
            broker_id=env.get("CITYHUB_BROKER_ID", base.broker_id),
            warm_analyses=env.get("CITYHUB_WARM_ANALYSES", "1") not in ("0", "false", "no"),
            analyses_refresh=float(env.get("CITYHUB_ANALYSES_REFRESH", "60")),
            min_time_interval=float(env.get("CITYHUB_MIN_TIME_INTERVAL", base.min_time_interval)),
            citizen_services=env.get("CITYHUB_CITIZEN_SERVICES", base.citizen_services),
            gazetteer=env.get("CITYHUB_GAZETTEER", base.gazetteer),
            district_boundaries=env.get("CITYHUB_DISTRICT_BOUNDARIES", base.district_boundaries),
            street_boundaries=env.get("CITYHUB_STREET_BOUNDARIES", base.street_boundaries),
            indicators_dir=env.get("CITYHUB_INDICATORS_DIR", base.indicators_dir),
            history_keep=env.get("CITYHUB_HISTORY_KEEP", base.history_keep),
            proposal_threshold=int(env.get("CITYHUB_PROPOSAL_THRESHOLD", base.proposal_threshold)),
            proposal_answer_days=int(
                env.get("CITYHUB_PROPOSAL_ANSWER_DAYS", base.proposal_answer_days)
            ),
            care_topic=env.get("CITYHUB_CARE_TOPIC", base.care_topic),
            care_population=env.get("CITYHUB_CARE_POPULATION", base.care_population),
            bus_network=env.get("CITYHUB_BUS_NETWORK", base.bus_network),
            street_network=env.get("CITYHUB_STREET_NETWORK", base.street_network),
            access_log=env.get("CITYHUB_ACCESS_LOG", "1") not in ("0", "false", "no", "off"),
        )

    def path_or_none(self, value: str) -> Path | None:
        return Path(value) if value else None

    @property
    def notify_destinations(self) -> Destinations:
        """Where notifications may go: public hosts by default, or the listed hosts."""
        return Destinations(self.notify_hosts, "CITYHUB_NOTIFY_HOSTS", default="public")

    @property
    def federation_destinations(self) -> Destinations:
        """Where registered context sources may be asked: public hosts, or the listed ones."""
        return Destinations(self.federation_hosts, "CITYHUB_FEDERATION_HOSTS", default="public")

    @property
    def broker_name(self) -> str:
        """This broker's name in Via headers: the setting, or one derived from the store (so
        every process on one store answers to the same name)."""
        import hashlib

        if self.broker_id:
            return self.broker_id
        return "cityhub-" + hashlib.sha256(self.database_url.encode()).hexdigest()[:12]

    @property
    def context_destinations(self) -> Destinations:
        """Where remote @contexts may be fetched from: nowhere by default."""
        return Destinations(self.context_fetch, "CITYHUB_CONTEXT_FETCH", default="deny")
