"""Notifications to subscriptions on context source registrations (NGSI-LD 5.11, 5.3.x).

When a registration is created, changed or removed, every active /csourceSubscriptions entry
whose entities (type, id, idPattern) and watchedAttributes it covers gets a notification with
the registration — its RegistrationInfo elements the subscription selects — as data and why:
`newlyMatching`, `updated` or `noLongerMatching`. A subscription just created or changed
gets one notification listing every registration it now selects. They go through the same
durable queue as entity notifications (same delivery, retries, statistics).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from cityhub.broker.changes import to_us
from cityhub.broker.registration_service import OWNER
from cityhub.broker.registrations import Covered, coverage, renamed
from cityhub.broker.subscriptions import CSOURCE
from cityhub.jsonld import CORE_CONTEXT_URL, TermMap
from cityhub.store import Store
from cityhub.store.records import SubscriptionRecord
from cityhub.timeutil import now_iso

Resolve = Callable[[Any], TermMap]


def _watches(record: SubscriptionRecord, covered: list[Covered] | None, resolve: Resolve) -> bool:
    """Whether the subscription selects a registration covering `covered` (None: none)."""
    if covered is None:
        return False
    tm = resolve(record.doc.get("@context"))
    watched = {tm.expand(a) for a in record.doc.get("watchedAttributes") or []} or None
    selectors = record.doc.get("entities") or [{}]
    for item in selectors:
        types = {tm.expand(item["type"])} if "type" in item else None
        ids = {item["id"]} if "id" in item else None
        if any(c.covers(types, ids, watched) for c in covered):
            return True
    return False


def _covered(doc: dict[str, Any] | None, resolve: Resolve) -> list[Covered] | None:
    return None if doc is None else coverage(doc, resolve(doc.get("@context")))


def _enqueue(store: Store, tenant: str, items: list[tuple[str, str, bytes, int]]) -> int:
    if items:
        with store.write(tenant) as tx:
            tx.enqueue(items)
    return len(items)


def _active(record: SubscriptionRecord, now_us: int) -> bool:
    expires = record.doc.get("expiresAt")
    return record.doc.get("isActive", True) is not False and not (
        expires and to_us(expires) <= now_us
    )


def notify_registration_change(
    store: Store,
    resolve: Resolve,
    tenant: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> int:
    """Queue the notifications one registration change causes; returns how many."""
    now_us = time.time_ns() // 1000
    items = []
    covered_before, covered_after = _covered(before, resolve), _covered(after, resolve)
    for record in store.subscriptions.list_subscriptions(tenant):
        if not record.doc.get(CSOURCE) or not _active(record, now_us):
            continue
        was = _watches(record, covered_before, resolve)
        now = _watches(record, covered_after, resolve)
        if not was and not now:
            continue
        reason = "updated" if was and now else "newlyMatching" if now else "noLongerMatching"
        shown = after if after is not None else before
        assert shown is not None
        items.append(
            (
                record.id,
                _uri(record),
                _payload(record, [shown], reason, resolve),
                now_us,
            )
        )
    return _enqueue(store, tenant, items)


def notify_matching(store: Store, resolve: Resolve, tenant: str, sub_id: str) -> int:
    """A subscription just created or changed hears at once, in one notification, of every
    registration it now selects (newlyMatching; 5.11.7). Nothing when it selects none."""
    record = store.subscriptions.get_subscription(tenant, sub_id)
    now_us = time.time_ns() // 1000
    if record is None or not _active(record, now_us):
        return 0
    matching = [
        doc
        for doc in store.registrations.list(tenant)
        if _watches(record, _covered(doc, resolve), resolve)
    ]
    if not matching:
        return 0
    body = _payload(record, matching, "newlyMatching", resolve)
    return _enqueue(store, tenant, [(record.id, _uri(record), body, now_us)])


def _uri(record: SubscriptionRecord) -> str:
    return str(record.doc["notification"]["endpoint"]["uri"])


def _relevant(record: SubscriptionRecord, doc: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """The registration as the subscription sees it: only the RegistrationInfo elements it
    selects (5.11.7; all of them when none does, as for a registration no longer matching)."""
    tm = resolve(doc.get("@context"))
    information = doc.get("information") or []
    kept = [
        info
        for info in information
        if _watches(record, coverage({"information": [info]}, tm), resolve)
    ]
    return {**doc, "information": kept} if kept and len(kept) < len(information) else doc


def _shown(record: SubscriptionRecord, doc: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """One registration as the subscriber may see it, in the subscription's terms."""
    doc = _relevant(record, doc, resolve)
    hidden = {"@context", OWNER, "createdAt", "modifiedAt"}
    if not doc.get(OWNER) or doc.get(OWNER) != record.doc.get(OWNER):
        hidden.add("contextSourceInfo")  # the source's credentials: its own department only
    return renamed(
        {k: v for k, v in doc.items() if k not in hidden},
        resolve(record.doc.get("@context")).compact,
    )


def _payload(
    record: SubscriptionRecord, docs: list[dict[str, Any]], reason: str, resolve: Resolve
) -> bytes:
    endpoint = record.doc["notification"]["endpoint"]
    context = record.doc.get("@context") or CORE_CONTEXT_URL
    accept = endpoint.get("accept", "application/json")
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "ContextSourceNotification",
        "subscriptionId": record.id,
        "notifiedAt": now_iso(),
        "data": [_shown(record, doc, resolve) for doc in docs],
        "triggerReason": reason,
    }
    if accept == "application/ld+json":
        body = {"@context": context, **body}
    headers = {i["key"]: i["value"] for i in endpoint.get("receiverInfo", [])}
    message = {
        "body": body,
        "accept": accept,
        "headers": headers,
        "context": context,
        "tenant": record.tenant,
    }
    return orjson.dumps(message)
