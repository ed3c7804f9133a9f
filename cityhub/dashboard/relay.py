"""Several server processes on one PostgreSQL: every process's live feed hears every commit.

Each process publishes what its commits changed (entity ids and attribute names, not values) on
a PostgreSQL channel with NOTIFY, and listens on it: a change another process made is read back
from the store and handed to this process's feed like one of its own. So a page's event stream
shows every worker's writes within a fraction of a second.

NOTIFY reaches every session of the database, but a city lives in one schema: the channel is
named after the schema the connection writes to (`channel_of`), so two cities sharing a
database never wake each other. A process marks its notes with a random origin, not its pid,
since processes on different hosts may share a pid.

Publishing never slows a write: the after-commit hook only queues the note; one thread per
process sends queued notes (several commits to one NOTIFY, each payload under PostgreSQL's 8 kB
limit), and one thread listens. The sender gathers notes for `GATHER` seconds after the first
before it publishes, so a busy process sends a few NOTIFYs a second, not one per commit (each
NOTIFY is a transaction of its own on the server). Both reconnect after a lost connection; a
note lost meanwhile is caught by the page's periodic snapshot reload. A process with no page
watching reads nothing back: the notes it hears cost it no query.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from cityhub.broker.changes import Change
from cityhub.store import Store
from cityhub.store.records import Entity

log = logging.getLogger("cityhub.dashboard")
CHANNEL_PREFIX = "cityhub_changes_"
PAYLOAD_MOST = 7_500  # bytes; PostgreSQL refuses NOTIFY payloads of 8,000 and more
GATHER = 0.05  # seconds a note waits for others to share its NOTIFY


def _notes(changes: list[Change]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.entity.id,
            "types": c.entity.types,
            "attrs": c.attrs,
            "created": c.created,
            "deleted": c.deleted,
        }
        for c in changes
    ]


def channel_of(conn: Any) -> str:
    """The channel of the schema this connection writes to: a plain identifier whatever the
    schema is called."""
    row = conn.execute("SELECT current_schema()").fetchone()
    schema = str(row[0]) if row and row[0] is not None else ""
    return CHANNEL_PREFIX + hashlib.sha256(schema.encode()).hexdigest()[:16]


def payloads(origin: str, tenant: str, notes: list[dict[str, Any]]) -> list[str]:
    """The notes split into NOTIFY payloads of at most PAYLOAD_MOST bytes each."""

    def payload(changes: list[dict[str, Any]]) -> bytes:
        return orjson.dumps({"origin": origin, "tenant": tenant, "changes": changes})

    out: list[str] = []
    batch: list[dict[str, Any]] = []
    for note in notes:
        if len(payload([*batch, note])) > PAYLOAD_MOST and batch:
            out.append(payload(batch).decode())
            batch = []
        if len(orjson.dumps(note)) <= PAYLOAD_MOST - 100:  # a note too big alone is dropped
            batch.append(note)
    if batch:
        out.append(payload(batch).decode())
    return out


class ChangeRelay:
    def __init__(
        self,
        store: Store,
        url: str,
        deliver: Callable[[str, list[Change]], None],
        listening: Callable[[str], bool] = lambda tenant: True,
    ) -> None:
        self.store = store
        self.url = url
        self.deliver = deliver  # this process's feed (LiveFeed.on_commit)
        self.listening = listening  # whether the feed has a stream for the tenant now
        self.origin = uuid.uuid4().hex  # this process's notes (pids repeat across hosts)
        self._outbox: queue.Queue[tuple[str, list[dict[str, Any]]] | None] = queue.Queue(10_000)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, name="cityhub-relay-send", daemon=True),
            threading.Thread(target=self._listen, name="cityhub-relay-listen", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- publishing ----------------------------------------------------------------------------
    def on_commit(self, tenant: str, changes: list[Change]) -> None:
        """After-commit hook: queue the note (a full outbox drops it; the page reloads)."""
        if changes and not self._stop.is_set():
            try:
                self._outbox.put_nowait((tenant, _notes(changes)))
            except queue.Full:
                log.warning("live relay outbox full: a change note was dropped")

    def _send(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    channel = channel_of(conn)
                    while not self._stop.is_set():
                        first = self._outbox.get()
                        if first is None:
                            return
                        waiting = [first]
                        self._stop.wait(GATHER)
                        while not self._outbox.empty() and len(waiting) < 2_000:
                            item = self._outbox.get_nowait()
                            if item is None:
                                self._stop.set()
                                break
                            waiting.append(item)
                        by_tenant: dict[str, list[dict[str, Any]]] = {}
                        for tenant, notes in waiting:
                            by_tenant.setdefault(tenant, []).extend(notes)
                        for tenant, notes in by_tenant.items():
                            for payload in payloads(self.origin, tenant, notes):
                                conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
            except Exception:  # the connection went away: try again shortly
                log.exception("live relay could not publish; reconnecting")
                self._stop.wait(1.0)

    # -- listening -----------------------------------------------------------------------------
    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {channel_of(conn)}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._heard(note.payload)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("live relay stopped listening; reconnecting")
                self._stop.wait(1.0)

    def _heard(self, payload: str) -> None:
        message = orjson.loads(payload)
        if message.get("origin") == self.origin:
            return  # this process's own commit: its feed has it already
        tenant = str(message.get("tenant", ""))
        if not self.listening(tenant):
            return  # no page watches: nothing to read back
        notes = message.get("changes") or []
        alive = {
            n["id"]: found
            for n in notes
            if not n["deleted"] and (found := self.store.get_entity(tenant, n["id"])) is not None
        }
        changes = []
        for note in notes:
            if note["deleted"]:
                entity = Entity(note["id"], list(note["types"]))
                changes.append(Change(entity, list(note["attrs"]), deleted=True))
            elif note["id"] in alive:
                changes.append(
                    Change(alive[note["id"]], list(note["attrs"]), created=note["created"])
                )
        if changes:
            self.deliver(tenant, changes)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._outbox.put_nowait(None)
        for thread in self._threads:
            thread.join(timeout=3)
