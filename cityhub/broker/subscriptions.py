"""NGSI-LD subscriptions: validation, compiled matchers, and notifications built at change time.

A matching change enqueues its notification inside the same transaction as the change, so a
committed change always has its notifications queued (at-least-once delivery).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from cityhub.broker.changes import Change, Transaction, to_us
from cityhub.broker.normalize import check_name, check_uri
from cityhub.broker.ql import Predicate, compile_q
from cityhub.broker.query import geo_predicate, parse_geo, parse_type_expression
from cityhub.broker.render import RenderOptions, render_entity
from cityhub.errors import BadRequestData
from cityhub.jsonld import CORE_CONTEXT_URL, TermMap
from cityhub.outbound import check_header
from cityhub.patterns import Pattern, compile_pattern
from cityhub.store import Store
from cityhub.store.records import Entity, EntityFilter, SubscriptionRecord
from cityhub.timeutil import is_datetime, now_iso

FORMATS = ("normalized", "keyValues", "concise")
SCHEMES = ("http", "https", "mqtt", "mqtts")
_STATUS_MEMBERS = (
    "jsonldContext",
    "status",
    "timesSent",
    "timesFailed",
    "lastNotification",
    "lastSuccess",
    "lastFailure",
    "createdAt",
    "modifiedAt",
)


TRIGGERS = frozenset(
    (
        "entityCreated",
        "entityUpdated",
        "entityDeleted",
        "attributeCreated",
        "attributeUpdated",
        "attributeDeleted",
    )
)
# Without notificationTrigger a subscription hears attributes created (entity creations
# included) and updated, not deletions.
DEFAULT_TRIGGERS = frozenset(("attributeCreated", "attributeUpdated"))
# Marks a subscription to context source registrations (/csourceSubscriptions): kept in the same
# table and notified through the same queue, but matched against registrations, not entities.
CSOURCE = "_csource"


def validate(doc: Any, partial: bool = False) -> dict[str, Any]:
    """Check a subscription (or, with partial, a fragment of one); returns it without status."""
    if not isinstance(doc, dict):
        raise BadRequestData("a subscription must be a JSON object")
    clean: dict[str, Any] = {k: v for k, v in doc.items() if k not in _STATUS_MEMBERS}
    doc = clean
    if not partial:
        if doc.get("type") != "Subscription":
            raise BadRequestData("a subscription's type must be 'Subscription'")
        if not doc.get("entities") and not doc.get("watchedAttributes"):
            raise BadRequestData("a subscription needs entities or watchedAttributes")
        if "notification" not in doc:
            raise BadRequestData("a subscription needs a notification member")
    if "id" in doc:
        check_uri(doc["id"], "subscription id")
    for item in doc.get("entities") or []:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise BadRequestData("each entities member needs a type")
        if "id" in item:
            check_uri(item["id"], "entities id")
        if "idPattern" in item:
            compile_pattern(item["idPattern"], "idPattern")
    watched = doc.get("watchedAttributes")
    if watched is not None and (not isinstance(watched, list) or not watched):
        raise BadRequestData("watchedAttributes must be a non-empty array")
    for name in watched or []:
        check_name(name)
    if doc.get("timeInterval") is not None:
        if watched:
            raise BadRequestData("timeInterval and watchedAttributes cannot be combined")
        if not isinstance(doc["timeInterval"], int | float) or doc["timeInterval"] <= 0:
            raise BadRequestData("timeInterval must be a positive number of seconds")
    if doc.get("throttling") is not None:
        if not isinstance(doc["throttling"], int | float) or doc["throttling"] <= 0:
            raise BadRequestData("throttling must be a positive number of seconds")
        if doc.get("timeInterval") is not None:
            raise BadRequestData("throttling and timeInterval cannot be combined")
    if "expiresAt" in doc and not is_datetime(doc["expiresAt"]):
        raise BadRequestData("expiresAt must be an ISO 8601 date-time")
    if "expiresAt" in doc and to_us(doc["expiresAt"]) <= int(time.time() * 1_000_000):
        raise BadRequestData("expiresAt must be in the future")
    if "isActive" in doc and not isinstance(doc["isActive"], bool):
        raise BadRequestData("isActive must be true or false")
    if "notificationTrigger" in doc:
        given = doc["notificationTrigger"]
        if not isinstance(given, list) or not given or not set(given) <= TRIGGERS:
            raise BadRequestData(
                f"notificationTrigger must be a non-empty list of {', '.join(sorted(TRIGGERS))}"
            )
    if "notification" in doc:
        _validate_notification(doc["notification"])
    return clean


def _validate_notification(notification: Any) -> None:
    if not isinstance(notification, dict):
        raise BadRequestData("notification must be an object")
    endpoint = notification.get("endpoint")
    if not isinstance(endpoint, dict) or not isinstance(endpoint.get("uri"), str):
        raise BadRequestData("notification.endpoint.uri is required")
    parts = urlsplit(endpoint["uri"])
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise BadRequestData(f"endpoint uri must be one of {', '.join(SCHEMES)} with a host")
    accept = endpoint.get("accept", "application/json")
    if accept not in ("application/json", "application/ld+json"):
        raise BadRequestData("endpoint accept must be application/json or application/ld+json")
    if notification.get("format", "normalized") not in FORMATS:
        raise BadRequestData(f"notification format must be one of {', '.join(FORMATS)}")
    attrs = notification.get("attributes")
    if attrs is not None and not isinstance(attrs, list):
        raise BadRequestData("notification.attributes must be an array")
    for info in ("receiverInfo", "notifierInfo"):
        items = endpoint.get(info, [])
        if not isinstance(items, list) or not all(
            isinstance(i, dict)
            and isinstance(i.get("key"), str)
            and isinstance(i.get("value"), str)
            for i in items
        ):
            raise BadRequestData(f"{info} must be an array of {{key, value}} strings")
        if len(items) > 32:
            raise BadRequestData(f"{info} takes at most 32 entries")
    for item in endpoint.get("receiverInfo", []):
        check_header(item["key"], item["value"])  # they are sent as HTTP headers


@dataclass(frozen=True)
class Selector:
    """One member of a subscription's `entities`: an id or idPattern, and a type expression."""

    entity_id: str | None
    pattern: Pattern | None
    types_match: Callable[[set[str]], bool]
    mentioned: frozenset[str]  # every type the expression names (for the store's filter)


def compile_selector(item: dict[str, Any], tm: TermMap) -> Selector:
    pattern = compile_pattern(item["idPattern"]) if item.get("idPattern") else None
    text = str(item["type"])
    if any(c in text for c in "(),;|"):
        test, mentioned = parse_type_expression(text, tm)
        return Selector(item.get("id"), pattern, test, frozenset(mentioned))
    etype = tm.expand(text)
    return Selector(item.get("id"), pattern, lambda types: etype in types, frozenset([etype]))


@dataclass
class CompiledSubscription:
    record: SubscriptionRecord
    tm: TermMap
    selectors: list[Selector] = field(default_factory=list)
    watched: frozenset[str] | None = None
    q: Predicate | None = None
    geo: Predicate | None = None
    attributes: frozenset[str] | None = None
    expires_us: int | None = None
    triggers: frozenset[str] = DEFAULT_TRIGGERS

    @property
    def doc(self) -> dict[str, Any]:
        return self.record.doc

    def active(self, now_us: int) -> bool:
        if self.doc.get("isActive", True) is False:
            return False
        return self.expires_us is None or now_us < self.expires_us

    def selects(self, entity: Entity) -> bool:
        if not self.selectors:
            return True
        types = set(entity.types)
        for selector in self.selectors:
            if not selector.types_match(types):
                continue
            if selector.entity_id is not None and entity.id != selector.entity_id:
                continue
            if selector.pattern is not None and not selector.pattern.search(entity.id):
                continue
            return True
        return False

    def matches(self, change: Change) -> bool:
        if self.doc.get("timeInterval") is not None or not self.selects(change.entity):
            return False
        if not self.triggers.intersection(change.triggers()):
            return False
        if self.watched is not None and not self.watched.intersection(
            [*change.attrs, *change.removed]
        ):
            return False
        if self.q is not None and not self.q(change.entity):
            return False
        return self.geo is None or self.geo(change.entity)


def compile_subscription(
    record: SubscriptionRecord, resolve: Callable[[Any], TermMap]
) -> CompiledSubscription:
    doc = record.doc
    tm = resolve(doc.get("@context"))
    sub = CompiledSubscription(record, tm)
    for item in doc.get("entities") or []:
        sub.selectors.append(compile_selector(item, tm))
    if doc.get("watchedAttributes"):
        sub.watched = frozenset(tm.expand(a) for a in doc["watchedAttributes"])
    if doc.get("q"):  # clients may send it percent-encoded, as in a URL
        sub.q = compile_q(unquote(doc["q"]), tm)[0]
    geo_q = doc.get("geoQ")
    if isinstance(geo_q, dict):
        flt = parse_geo(
            geo_q.get("georel"),
            geo_q.get("geometry"),
            geo_q.get("coordinates"),
            geo_q.get("geoproperty"),
            tm,
        )
        sub.geo = geo_predicate(flt) if flt else None
    attrs = doc.get("notification", {}).get("attributes")
    if attrs:
        sub.attributes = frozenset(tm.expand(a) for a in attrs)
    if doc.get("expiresAt"):
        sub.expires_us = to_us(doc["expiresAt"])
    if doc.get("notificationTrigger"):
        sub.triggers = frozenset(doc["notificationTrigger"])
    return sub


RenderCache = dict[tuple[Any, ...], dict[str, Any]]


def notification_payload(
    sub: CompiledSubscription,
    entities: list[Entity],
    cache: RenderCache | None = None,
    deleted_at: str | None = None,
) -> bytes:
    """The queued message: the body to send plus how to send it.

    `cache` shares renderings between subscriptions that ask for the same representation of
    the same change (common: many subscriptions on one entity type).
    """
    notification = sub.doc["notification"]
    endpoint = notification["endpoint"]
    fmt = notification.get("format", "normalized")
    opts = RenderOptions(
        format=fmt, attrs=sub.attributes, sys_attrs=bool(notification.get("sysAttrs"))
    )
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": sub.record.id,
        "notifiedAt": now_iso(),
        "data": [_rendered(e, sub.tm, opts, cache) for e in entities],
    }
    if deleted_at is not None:  # an entity deletion: the data say when
        body["data"] = [{**d, "deletedAt": deleted_at} for d in body["data"]]
    context = sub.doc.get("@context") or CORE_CONTEXT_URL
    accept = endpoint.get("accept", "application/json")
    if accept == "application/ld+json":  # every entity carries the @context it is written in
        body["data"] = [{"@context": context, **d} for d in body["data"]]
        body = {"@context": context, **body}
    headers = {i["key"]: i["value"] for i in endpoint.get("receiverInfo", [])}
    return orjson.dumps(
        {
            "body": body,
            "accept": accept,
            "headers": headers,
            "context": context,
            "tenant": sub.record.tenant,
        }
    )


def _rendered(
    entity: Entity, tm: TermMap, opts: RenderOptions, cache: RenderCache | None
) -> dict[str, Any]:
    if cache is None:
        return render_entity(entity, tm, opts)
    key = (id(entity), id(tm), opts)
    found = cache.get(key)
    if found is None:
        found = cache[key] = render_entity(entity, tm, opts)
    return found


def notified_entity(
    change: Change,
    show: bool,
    views: dict[tuple[Any, ...], Entity],
    only: frozenset[str] | None = None,
    when: str = "",
) -> Entity:
    """What a notification shows of a change: the entity; for a deletion only its id and type
    (with showChanges its attributes as NGSI-LD Null with their previous values); deleted
    attributes as NGSI-LD Null; with showChanges the previous value of each changed attribute."""
    from cityhub.broker.change_view import view_of

    key = (id(change), show, only)
    if key not in views:
        views[key] = view_of(change, show, only, when)
    return views[key]


class SubscriptionMatcher:
    """Keeps compiled subscriptions per tenant (refreshed when any process changes one) and
    enqueues notifications for matching changes inside the writing transaction."""

    def __init__(self, store: Store, resolve: Callable[[Any], TermMap]) -> None:
        self._store = store
        self._resolve = resolve
        self._lock = threading.Lock()
        self._by_tenant: dict[str, list[CompiledSubscription]] = {}
        self._version: tuple[int, int] | None = None
        self._checked = 0.0
        self._last_sent: dict[tuple[str, str], float] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._version = None
            self._checked = 0.0

    def subscriptions(self, tenant: str) -> list[CompiledSubscription]:
        """The tenant's compiled subscriptions, re-read at most once a second if any changed.

        The store is read outside the lock: a thread that holds a pooled connection must never
        wait on this lock while another holds it waiting for a connection.
        """
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._checked <= 1.0:
                return self._by_tenant.get(tenant, [])
            self._checked = now
            known = self._version
        version = self._store.subscriptions.subscriptions_version()
        if version != known:
            compiled: dict[str, list[CompiledSubscription]] = {}
            for record in self._store.subscriptions.list_subscriptions():
                if record.doc.get(CSOURCE):  # on registrations: cityhub.broker.csource_notify
                    continue
                compiled.setdefault(record.tenant, []).append(
                    compile_subscription(record, self._resolve)
                )
            with self._lock:
                self._by_tenant, self._version = compiled, version
        with self._lock:
            return self._by_tenant.get(tenant, [])

    def prepare(self, tenant: str) -> None:
        """Refresh the compiled subscriptions if stale (before a write transaction opens)."""
        self.subscriptions(tenant)

    def on_change(self, tenant: str, changes: list[Change], tx: Transaction) -> None:
        with self._lock:  # the cache only: prepare() has refreshed it outside the transaction
            subs = list(self._by_tenant.get(tenant, []))
        if not subs:
            return
        now_us = int(time.time() * 1_000_000)
        items: list[tuple[str, str, bytes, int]] = []
        cache: RenderCache = {}
        views: dict[tuple[Any, ...], Entity] = {}  # kept alive for the cache's id() keys
        deleted_at = {id(c): now_iso() for c in changes if c.deleted}  # one moment per deletion
        for sub in subs:
            if not sub.active(now_us):
                continue
            matched = [c for c in changes if sub.matches(c)]
            if not matched or self._throttled(sub, tenant):
                continue
            notification = sub.doc["notification"]
            uri = notification["endpoint"]["uri"]
            show = bool(notification.get("showChanges"))
            for change in matched:  # one notification per entity keeps per-entity order simple
                only = None
                if change.deleted and "entityDeleted" not in sub.triggers:
                    only = sub.watched or frozenset(change.attrs)  # heard as attributeDeleted
                when = deleted_at.get(id(change))
                entity = notified_entity(change, show, views, only, when or "")
                payload = notification_payload(sub, [entity], cache, when)
                items.append((sub.record.id, uri, payload, now_us))
        tx.enqueue(items)

    def periodic(self, now_us: int) -> int:
        """Queue the notifications of timeInterval subscriptions whose period has come."""
        self.subscriptions("")  # refresh the compiled set if any process changed it
        with self._lock:
            tenants = list(self._by_tenant)
        queued = 0
        for tenant in tenants:
            for sub in self.subscriptions(tenant):
                interval = sub.doc.get("timeInterval")
                if not interval or not sub.active(now_us):
                    continue
                if not self._store.subscriptions.claim_periodic(
                    tenant, sub.record.id, now_us, int(float(interval) * 1_000_000)
                ):
                    continue
                types = tuple(sorted({t for x in sub.selectors for t in x.mentioned})) or None
                found = [
                    e
                    for e in self._store.iter_entities(tenant, EntityFilter(any_types=types))
                    if sub.selects(e)
                    and (sub.q is None or sub.q(e))
                    and (sub.geo is None or sub.geo(e))
                ]
                if not found:
                    continue
                uri = sub.doc["notification"]["endpoint"]["uri"]
                with self._store.write(tenant) as tx:
                    tx.enqueue([(sub.record.id, uri, notification_payload(sub, found), now_us)])
                queued += 1
        return queued

    def _throttled(self, sub: CompiledSubscription, tenant: str) -> bool:
        throttling = sub.doc.get("throttling")
        if not throttling:
            return False
        key = (tenant, sub.record.id)
        now = time.monotonic()
        last = self._last_sent.get(key)
        if last is not None and now - last < float(throttling):
            return True
        self._last_sent[key] = now
        return False
