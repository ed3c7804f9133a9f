"""Subscriptions and the durable notification queue, written once for both dialects.

A store mixes this in and provides `_run(sql, params, write)` and its placeholder `_mark`.
The queue is claimed head-first per endpoint with a lease, so several processes can deliver
from one database without sending a notification twice or out of order.
"""

from __future__ import annotations

from typing import Any

from cityhub.errors import AlreadyExists
from cityhub.store.records import QueuedNotification, SubscriptionRecord
from cityhub.store.repository import Repository

_SUB_COLUMNS = (
    "tenant, id, doc, times_sent, times_failed, last_notification, last_success, last_failure, "
    "modified_us"
)
_QUEUE_COLUMNS = "id, tenant, subscription_id, endpoint, payload, attempts"


def enqueue_sql(mark: str) -> str:
    return (
        "INSERT INTO notification_queue (tenant, subscription_id, endpoint, payload, next_at_us) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
    )


class SubscriptionRepository(Repository):
    """Subscriptions and the durable notification queue."""

    def _record(self, row: tuple[Any, ...]) -> SubscriptionRecord:
        return SubscriptionRecord(
            row[0],
            row[1],
            self._json_out(row[2]),
            int(row[3]),
            int(row[4]),
            row[5],
            row[6],
            row[7],
            int(row[8]),
        )

    # -- subscriptions ------------------------------------------------------------------------
    def put_subscription(
        self, tenant: str, sub_id: str, doc: dict[str, Any], modified_us: int, create: bool
    ) -> None:
        m = self._mark
        if create:
            rows = self._run(
                "INSERT INTO subscriptions (tenant, id, doc, modified_us, created_us) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}) "
                "ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                (tenant, sub_id, self._json_in(doc), modified_us, modified_us),
                write=True,
            )
            if not rows:
                raise AlreadyExists(f"subscription {sub_id} already exists")
            return
        self._run(
            f"UPDATE subscriptions SET doc = {m}, modified_us = {m} "
            f"WHERE tenant = {m} AND id = {m}",
            (self._json_in(doc), modified_us, tenant, sub_id),
            write=True,
        )

    def get_subscription(self, tenant: str, sub_id: str) -> SubscriptionRecord | None:
        m = self._mark
        rows = self._run(
            f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE tenant = {m} AND id = {m}",
            (tenant, sub_id),
        )
        return self._record(rows[0]) if rows else None

    def list_subscriptions(self, tenant: str | None = None) -> list[SubscriptionRecord]:
        if tenant is None:
            rows = self._run(
                f"SELECT {_SUB_COLUMNS} FROM subscriptions ORDER BY tenant, created_us, id"
            )
        else:
            rows = self._run(
                f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE tenant = {self._mark} "
                "ORDER BY created_us, id",
                (tenant,),
            )
        return [self._record(r) for r in rows]

    def delete_subscription(self, tenant: str, sub_id: str) -> bool:
        m = self._mark
        self._run(
            f"DELETE FROM notification_queue WHERE tenant = {m} AND subscription_id = {m}",
            (tenant, sub_id),
            write=True,
        )
        rows = self._run(
            f"DELETE FROM subscriptions WHERE tenant = {m} AND id = {m} RETURNING id",
            (tenant, sub_id),
            write=True,
        )
        return bool(rows)

    def claim_periodic(self, tenant: str, sub_id: str, now_us: int, interval_us: int) -> bool:
        """Take the turn to send a periodic notification (one process wins each period)."""
        m = self._mark
        rows = self._run(
            f"UPDATE subscriptions SET next_periodic_us = {m} WHERE tenant = {m} AND id = {m} "
            f"AND next_periodic_us <= {m} RETURNING id",
            (now_us + interval_us, tenant, sub_id, now_us),
            write=True,
        )
        return bool(rows)

    def subscriptions_version(self) -> tuple[int, int]:
        rows = self._run("SELECT count(*), coalesce(max(modified_us), 0) FROM subscriptions")
        return int(rows[0][0]), int(rows[0][1])

    def record_deliveries(self, results: list[tuple[str, str, bool, str]]) -> None:
        """(tenant, subscription id, ok, time) of finished attempts, folded per subscription."""
        folded: dict[tuple[str, str], list[Any]] = {}
        for tenant, sub_id, ok, at in results:
            entry = folded.setdefault((tenant, sub_id), [0, 0, None, None, at])
            entry[0 if ok else 1] += 1
            entry[2 if ok else 3] = at
            entry[4] = max(entry[4], at)
        m = self._mark
        for (tenant, sub_id), (sent, failed, success, failure, last) in folded.items():
            self._run(
                f"UPDATE subscriptions SET times_sent = times_sent + {m}, "
                f"times_failed = times_failed + {m}, last_success = coalesce({m}, last_success), "
                f"last_failure = coalesce({m}, last_failure), last_notification = {m} "
                f"WHERE tenant = {m} AND id = {m}",
                (sent, failed, success, failure, last, tenant, sub_id),
                write=True,
            )

    # -- the queue ----------------------------------------------------------------------------
    def claim_heads(
        self, worker: str, now_us: int, lease_us: int, limit: int = 1000
    ) -> list[QueuedNotification]:
        """Lease the oldest notification of every endpoint whose head is due and free.

        Only heads are claimed, so an endpoint gets its notifications one at a time, in order.
        """
        m = self._mark
        rows = self._run(
            f"UPDATE notification_queue SET claimed_by = {m}, claimed_until_us = {m} "
            "WHERE id IN (SELECT h FROM (SELECT min(id) AS h FROM notification_queue "
            f"GROUP BY endpoint) AS heads ORDER BY h LIMIT {m}) "
            f"AND next_at_us <= {m} AND (claimed_until_us IS NULL OR claimed_until_us < {m}) "
            f"RETURNING {_QUEUE_COLUMNS}",
            (worker, now_us + lease_us, limit, now_us, now_us),
            write=True,
        )
        return [
            QueuedNotification(int(r[0]), r[1], r[2], r[3], bytes(r[4]), int(r[5]))
            for r in sorted(rows)
        ]

    def finish_notifications(self, ids: list[int]) -> None:
        if ids:
            marks = ", ".join([self._mark] * len(ids))
            self._run(f"DELETE FROM notification_queue WHERE id IN ({marks})", ids, write=True)

    def retry_notification(self, notification_id: int, attempts: int, next_at_us: int) -> None:
        m = self._mark
        self._run(
            f"UPDATE notification_queue SET attempts = {m}, next_at_us = {m}, claimed_by = NULL, "
            f"claimed_until_us = NULL WHERE id = {m}",
            (attempts, next_at_us, notification_id),
            write=True,
        )

    def queued_count(self) -> int:
        return int(self._run("SELECT count(*) FROM notification_queue")[0][0])
