"""What happens around every entity write, declared in one place.

A write (EntityService.write, used by the broker, ingestion, citizen requests, indicators):

1. `before_write(tenant)` — before the transaction opens: whatever a hook will need from the
   store is read here, so no hook takes a second connection while the write holds one
   (the subscription matcher refreshes its compiled subscriptions);
2. the transaction (broker.changes.Transaction): every changed attribute instance is recorded
   as history;
3. `in_transaction(tenant, changes, tx)` — inside it: the matcher queues the notifications of
   matching subscriptions, so they commit (or roll back) with the change;
4. `after_commit(tenant, changes)` — once committed (on SQLite, when the writer's batch has
   committed): the dashboard's live feed fans the change out;
5. `after_queued()` — once committed, and only when the transaction queued notifications: the
   notifier wakes. A write nobody subscribed to wakes nothing (waking on every commit made the
   notifier claim from its queue once per write under load, a second transaction per write).

The Hub builds one `WriteHooks` with the matcher and the notifier and gives it to the
EntityService; the dashboard adds its feed to `after_commit` when the app is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cityhub.broker.changes import Change, Transaction


class BeforeWrite(Protocol):
    def __call__(self, tenant: str) -> None: ...


class InTransaction(Protocol):
    def __call__(self, tenant: str, changes: list[Change], tx: Transaction) -> None: ...


class AfterCommit(Protocol):
    def __call__(self, tenant: str, changes: list[Change]) -> None: ...


class AfterQueued(Protocol):
    def __call__(self) -> None: ...


@dataclass
class WriteHooks:
    before_write: list[BeforeWrite] = field(default_factory=list)
    in_transaction: list[InTransaction] = field(default_factory=list)
    after_commit: list[AfterCommit] = field(default_factory=list)
    after_queued: list[AfterQueued] = field(default_factory=list)
