"""SQLite's one write path: a single writer thread that commits what is queued together.

Callers on the event loop hand a short write (one HTTP request's worth) to `submit`; the thread
takes every write waiting, runs each in a savepoint of one transaction, commits once, runs the
after-commit callbacks, and only then answers each caller. A write that fails rolls back its own
savepoint and fails alone. One commit for many writes is what lets a single SQLite writer keep
up with many clients (a thread hop and a commit per request would halve throughput), and the
event loop never waits for the write lock.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
log = logging.getLogger("cityhub.writer")
_STOP = object()
_CANCELLED = object()


class Groupable(Protocol):
    def group(self) -> Any: ...

    def _transaction(self) -> Any: ...


class GroupCommitWriter:
    def __init__(self, store: Groupable, most: int = 64) -> None:
        self.store = store
        self.most = most
        self.batches = 0
        self.jobs = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="cityhub-writer", daemon=True)
        self._thread.start()

    def submit(
        self, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((future, fn, args, kwargs))
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            jobs = [job]
            stop = False
            while len(jobs) < self.most:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                jobs.append(more)
            self._run(jobs)
            if stop:
                return

    def _run(self, jobs: list[Any]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.store.group():
                for future, fn, args, kwargs in jobs:
                    if not future.set_running_or_notify_cancel():
                        outcomes.append((False, _CANCELLED))
                        continue
                    try:
                        with self.store._transaction():
                            outcomes.append((True, fn(*args, **kwargs)))
                    except BaseException as exc:  # the caller gets it; the batch goes on
                        outcomes.append((False, exc))
        except BaseException as exc:  # the commit itself failed: nothing of the batch is stored
            log.exception("a batch of %d writes could not be committed", len(jobs))
            for future, *_ in jobs:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.jobs += len(jobs)
        for (future, *_), (ok, value) in zip(jobs, outcomes, strict=True):
            if future.done() or (value is None and not ok):
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
