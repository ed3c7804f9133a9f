"""Subscription CRUD: stored with the @context they were written in, shown with their status."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.broker.changes import to_us
from cityhub.broker.subscriptions import (
    CSOURCE,
    DEFAULT_TRIGGERS,
    SubscriptionMatcher,
    compile_subscription,
    validate,
)
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.outbound import Destinations
from cityhub.store import Store
from cityhub.store.records import SubscriptionRecord
from cityhub.timeutil import now_iso

_Resolve = Any


OWNER = "_owner"  # the department that created a subscription (kept in its document)


class SubscriptionService:
    def __init__(
        self,
        store: Store,
        matcher: SubscriptionMatcher,
        resolve: _Resolve,
        destinations: Destinations | None = None,
        min_interval: float = 1.0,
        csource: bool = False,
        on_saved: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.csource = csource  # subscriptions to registrations (/csourceSubscriptions)
        self._on_saved = on_saved or (lambda tenant, sub_id: None)  # after a create or update
        self.destinations = destinations or Destinations("public", "CITYHUB_NOTIFY_HOSTS")
        self.min_interval = min_interval
        self.store = store
        self.matcher = matcher
        self._resolve = resolve

    def _check(self, tenant: str, doc: dict[str, Any]) -> None:
        """Where it notifies, how often, and compiled once to reject an invalid q or geoQ
        before anything is stored."""
        parts = urlsplit(doc["notification"]["endpoint"]["uri"])
        host = parts.hostname or ""
        self.destinations.check_host(host)
        try:  # a name that resolves to an internal address is refused now, too
            default_port = {"https": 443, "mqtt": 1883, "mqtts": 8883}.get(parts.scheme, 80)
            self.destinations.resolve(host, parts.port or default_port)
        except (ConnectionError, ValueError):
            pass  # not resolvable now: every delivery resolves and checks again
        interval = doc.get("timeInterval")
        if interval is not None and interval < self.min_interval:
            raise BadRequestData(
                f"timeInterval must be at least {self.min_interval:g} seconds "
                "(CITYHUB_MIN_TIME_INTERVAL)"
            )
        compile_subscription(SubscriptionRecord(tenant, doc.get("id", ""), doc), self._resolve)

    def create(self, tenant: str, body: Any, context: Any, actor: Principal | None = None) -> str:
        doc = validate(body)
        doc.pop(OWNER, None)
        doc.pop(CSOURCE, None)
        if self.csource:
            doc[CSOURCE] = True
        doc.setdefault("id", f"urn:ngsi-ld:Subscription:{uuid.uuid4()}")
        if context is not None:
            doc["@context"] = context
        now = now_iso()
        doc["createdAt"] = doc["modifiedAt"] = now
        owner = policy.owner_for(actor)
        if context is not None and not isinstance(context, str) and not self.csource:
            # a list or an inline @context is kept as one ImplicitlyCreated context, whose
            # URL the subscription names (jsonldContext: how its notifications' entities are
            # compacted; registrations are notified as registered)
            local_id = self.store.contexts.put_context(
                "", {"@context": context}, "ImplicitlyCreated", owner
            )
            doc["jsonldContext"] = f"/ngsi-ld/v1/jsonldContexts/{local_id}"
            self.store.contexts.add_usage(doc["jsonldContext"], 1, now)  # this request used it
        if owner:
            doc[OWNER] = owner
        self._check(tenant, doc)
        self.store.subscriptions.put_subscription(tenant, doc["id"], doc, to_us(now), create=True)
        self.matcher.invalidate()
        self._on_saved(tenant, str(doc["id"]))
        return str(doc["id"])

    def get(self, tenant: str, sub_id: str) -> SubscriptionRecord:
        record = self.store.subscriptions.get_subscription(tenant, sub_id)
        if record is None or bool(record.doc.get(CSOURCE)) != self.csource:
            raise ResourceNotFound(f"subscription {sub_id} was not found")
        return record

    def list(self, tenant: str) -> list[SubscriptionRecord]:
        every = self.store.subscriptions.list_subscriptions(tenant)
        return [r for r in every if bool(r.doc.get(CSOURCE)) == self.csource]

    def update(
        self, tenant: str, sub_id: str, body: Any, context: Any, actor: Principal | None = None
    ) -> None:
        fragment = validate(body, partial=True)
        if "id" in fragment and fragment["id"] != sub_id:
            raise BadRequestData("the id in the body differs from the id in the path")
        fragment.pop(OWNER, None)
        fragment.pop(CSOURCE, None)
        record = self.get(tenant, sub_id)
        policy.check_manage(actor, record.doc.get(OWNER), "this subscription")
        doc = dict(record.doc)
        for key, value in fragment.items():
            if key == "notification" and isinstance(value, dict):
                doc["notification"] = {**doc.get("notification", {}), **value}
            else:
                doc[key] = value
        if context is not None:
            doc["@context"] = context
        validate({k: v for k, v in doc.items() if k not in ("@context", OWNER, CSOURCE)})
        now = now_iso()
        doc["modifiedAt"] = now
        self._check(tenant, doc)
        self.store.subscriptions.put_subscription(tenant, sub_id, doc, to_us(now), create=False)
        self.matcher.invalidate()
        self._on_saved(tenant, sub_id)

    def delete(self, tenant: str, sub_id: str, actor: Principal | None = None) -> None:
        policy.check_manage(actor, self.get(tenant, sub_id).doc.get(OWNER), "this subscription")
        if not self.store.subscriptions.delete_subscription(tenant, sub_id):
            raise ResourceNotFound(f"subscription {sub_id} was not found")
        self.matcher.invalidate()


def render_subscription(
    record: SubscriptionRecord,
    with_context: bool,
    reader: Principal | None = None,
    sys_attrs: bool = False,
) -> dict[str, Any]:
    """A subscription as the API shows it; receiverInfo values (often credentials) only to the
    department that created it; createdAt/modifiedAt only with sysAttrs; the notification's
    status once a notification has been attempted."""
    hidden: tuple[str, ...] = ("@context", OWNER, CSOURCE)
    if not sys_attrs:
        hidden += ("createdAt", "modifiedAt")
    doc = {k: v for k, v in record.doc.items() if k not in hidden}
    if not policy.may_see_secrets(reader, record.doc.get(OWNER)):
        doc = _redacted(doc)
    if with_context:
        doc["@context"] = record.doc.get("@context")
    now_us = int(time.time() * 1_000_000)
    expires = record.doc.get("expiresAt")
    if record.doc.get("isActive", True) is False:
        status = "paused"
    elif expires and to_us(expires) <= now_us:
        status = "expired"
    else:
        status = "active"
    doc["status"] = status
    if not record.doc.get(CSOURCE):  # registrations are notified as they change, no triggers
        doc.setdefault("notificationTrigger", sorted(DEFAULT_TRIGGERS))
    notification = dict(doc.get("notification", {}))
    tried = record.times_sent + record.times_failed  # the store counts deliveries and failures
    for key, count in (("timesSent", tried), ("timesFailed", record.times_failed)):
        if count:  # provided once a notification was tried
            notification[key] = count
    for key, value in (
        ("lastNotification", record.last_notification),
        ("lastSuccess", record.last_success),
        ("lastFailure", record.last_failure),
    ):
        if value:
            notification[key] = value
    if record.last_notification:
        failed = record.last_failure and (record.last_success or "") < record.last_failure
        notification["status"] = "failed" if failed else "ok"
    doc["notification"] = notification
    return doc


def _redacted(doc: dict[str, Any]) -> dict[str, Any]:
    notification = dict(doc.get("notification") or {})
    endpoint = dict(notification.get("endpoint") or {})
    if endpoint.get("receiverInfo"):
        endpoint["receiverInfo"] = [
            {"key": i.get("key"), "value": "***"} for i in endpoint["receiverInfo"]
        ]
    notification["endpoint"] = endpoint
    return {**doc, "notification": notification}
