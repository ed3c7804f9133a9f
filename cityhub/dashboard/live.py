"""The dashboard's live feed: committed entity changes, fanned out to every open event stream.

The broker calls `on_commit` after each write transaction commits (its after-commit hook),
from whatever thread wrote. Nothing is built while no stream is open. Each stream has a bounded
queue; a stream that falls behind is told to resynchronise (reload its snapshot) instead of
holding the writer up or growing without bound.

The feed sees the writes of its own process and, on PostgreSQL, those of every other process on
the same database (`relay.ChangeRelay`, LISTEN/NOTIFY). The page also reloads its snapshot every
minute, so a change note lost on the way still reaches it within that minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from cityhub.broker.changes import Change
from cityhub.dashboard.mapview import MapView

QUEUE_LIMIT = 2_000  # changes a stream may have waiting before it is told to resynchronise
RESYNC: dict[str, Any] = {"resync": True}


@dataclass
class Stream:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    types: frozenset[str] = frozenset()  # compact types wanted; empty = all
    overflowed: bool = False


class LiveFeed:
    def __init__(self, view: Callable[[], MapView], tenant: str = "") -> None:
        self.view = view  # built on first use: it needs the city's boundaries
        self.tenant = tenant
        self._streams: list[Stream] = []
        self._lock = threading.Lock()
        self.closed = False

    def listening(self, tenant: str) -> bool:
        """Whether an open stream would show this tenant's changes."""
        return tenant == self.tenant and bool(self._streams)

    def on_commit(self, tenant: str, changes: list[Change]) -> None:
        """Called by the broker after a commit (any thread)."""
        if tenant != self.tenant or not self._streams:
            return
        view = self.view()
        items = []
        for change in changes:
            item = view.item(change.entity, None if change.created else change.attrs)
            item["created"] = change.created
            item["deleted"] = change.deleted
            items.append(item)
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            wanted = [i for i in items if not stream.types or i["type"] in stream.types]
            if wanted:
                with contextlib.suppress(RuntimeError):  # the stream's loop has closed
                    stream.loop.call_soon_threadsafe(self._deliver, stream, wanted)

    @staticmethod
    def _deliver(stream: Stream, items: list[dict[str, Any]]) -> None:
        if stream.overflowed:
            return
        if stream.queue.qsize() + len(items) > QUEUE_LIMIT:
            stream.overflowed = True
            stream.queue.put_nowait(RESYNC)
            return
        for item in items:
            stream.queue.put_nowait(item)

    def close(self) -> None:
        """Ends every open stream (server shutdown)."""
        self.closed = True
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            with contextlib.suppress(RuntimeError):
                stream.loop.call_soon_threadsafe(stream.queue.put_nowait, {"closed": True})

    async def batches(
        self, types: frozenset[str], gather: float = 0.25, heartbeat: float = 15.0
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield lists of changes (gathered for `gather` seconds), or [] as a heartbeat."""
        stream = Stream(asyncio.get_running_loop(), types=types)
        with self._lock:
            self._streams.append(stream)
        try:
            while not self.closed:
                try:
                    first = await asyncio.wait_for(stream.queue.get(), heartbeat)
                except TimeoutError:
                    yield []
                    continue
                await asyncio.sleep(gather)
                batch = [first]
                while not stream.queue.empty():
                    batch.append(stream.queue.get_nowait())
                if any(i.get("closed") for i in batch):
                    return
                if stream.overflowed:
                    stream.overflowed = False
                    batch = [RESYNC]
                    while not stream.queue.empty():
                        stream.queue.get_nowait()
                yield batch
        finally:
            with self._lock:
                self._streams.remove(stream)
