"""A bounded queue filled from any thread (the write path's after-commit hooks) and drained by
one task on the event loop. A flood with nobody draining it drops the oldest."""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopInbox(Generic[T]):
    def __init__(self, most: int = 10_000) -> None:
        self._items: collections.deque[T] = collections.deque(maxlen=most)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop whose task drains the inbox (what came before is waiting for it)."""
        self._loop = loop
        if self._items:
            self._ready.set()

    def put(self, item: T) -> None:
        self._items.append(item)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._ready.set)

    async def take(self, wait: float | None = None) -> list[T]:
        """What is waiting now; waits for at least one item (at most `wait` seconds, then
        returns none)."""
        try:
            await asyncio.wait_for(self._ready.wait(), wait)
        except TimeoutError:
            return []
        self._ready.clear()
        taken = list(self._items)
        self._items.clear()
        return taken
