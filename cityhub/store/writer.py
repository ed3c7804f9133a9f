"""The one write path: a writer thread per process that commits what is queued together.

Callers on the event loop hand a short write (one HTTP request's worth) to `submit`; the thread
takes every write waiting, runs each in a savepoint of one transaction, commits once, runs the
after-commit callbacks, and only then answers each caller. A write that fails rolls back its own
savepoint and fails alone. One commit for many writes is what lets a single SQLite writer keep
up with many clients (a thread hop and a commit per request would halve throughput), and the
event loop never waits for the write lock.

On PostgreSQL each server process has its own writer on one connection: the batch saves a
commit, a pool checkout and a thread hand-off per write. Another process's batch may hold a row
a write needs; the store then says `retry_alone`, and the write runs again by itself, in its own
transaction, once this batch has committed and released its locks.
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
_RETRY = object()


class BatchFailed(Exception):
    """The store cannot tell which write of the batch failed (PostgreSQL: a held statement
    failed in a message it shared with a later write). The batch is rolled back and each of its
    writes runs again on its own."""


class Groupable(Protocol):
    def group(self) -> Any: ...

    def job(self) -> Any: ...

    def retry_alone(self, exc: BaseException) -> bool: ...


class GroupCommitWriter:
    def __init__(self, store: Groupable, most: int = 64) -> None:
        self.store = store
        self.most = most
        self.batches = 0
        self.jobs = 0
        self.retried = 0
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
                        with self.store.job():
                            outcomes.append((True, fn(*args, **kwargs)))
                    except BatchFailed:
                        outcomes.append((False, _RETRY))
                        raise
                    except BaseException as exc:  # the caller gets it; the batch goes on
                        again = self.store.retry_alone(exc)
                        outcomes.append((False, _RETRY if again else exc))
        except BatchFailed:
            log.warning("a batch of %d writes failed as a whole; each runs again alone", len(jobs))
            self._run_alone(jobs, outcomes)
            return
        except BaseException as exc:  # the commit itself failed: nothing of the batch is stored
            log.exception("a batch of %d writes could not be committed", len(jobs))
            for future, *_ in jobs:
                if not future.done():
                    future.set_exception(exc)
            return
        self._answer(jobs, outcomes)

    def _run_alone(self, jobs: list[Any], started: list[tuple[bool, Any]]) -> None:
        """Every write of a failed batch again, each in its own transaction."""
        outcomes: list[tuple[bool, Any]] = []
        for i, (future, *_) in enumerate(jobs):
            if i < len(started):
                cancelled = started[i][1] is _CANCELLED
            else:
                cancelled = not future.set_running_or_notify_cancel()
            outcomes.append((False, _CANCELLED) if cancelled else (False, _RETRY))
        self._answer(jobs, outcomes)

    def _answer(self, jobs: list[Any], outcomes: list[tuple[bool, Any]]) -> None:
        """Answer every caller whose write is settled, then run the writes left to run alone
        (a caller never waits on another's retry) and answer theirs."""
        self.batches += 1
        self.jobs += len(jobs)
        again: list[Any] = []
        for job, (ok, value) in zip(jobs, outcomes, strict=True):
            if value is _RETRY:
                again.append(job)
            elif not job[0].done():
                _settle(job[0], ok, value)
        for future, fn, args, kwargs in again:  # the batch's locks are released by now
            self.retried += 1
            try:
                _settle(future, True, fn(*args, **kwargs))
            except BaseException as exc:
                _settle(future, False, exc)


def _settle(future: concurrent.futures.Future[Any], ok: bool, value: Any) -> None:
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
