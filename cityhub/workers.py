"""Heavy work off the event loop: bounded pools with a deadline per call.

Two kinds of work:
- `run`: work that needs the store (hot issues, the goals panel): a small thread pool;
- `run_pure`: analyses of plain data (policy evaluation, forecasts; `indicators.analyses`) in
  worker processes, so they never compete with the event loop for the interpreter, and a call
  past its deadline is stopped, not just abandoned.

At most `workers` calls run at once per kind and `queue` more wait; a caller past that is told
the server is busy (503), and a call past its deadline is answered with 503 too. So one client
can occupy at most the pool, never the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from cityhub.errors import CityHubError

T = TypeVar("T")


class ServerBusy(CityHubError):
    status = 503
    type_uri = "https://cityhub.dev/problems/ServerBusy"
    title = "Server busy"


class _Slots:
    def __init__(self, most: int) -> None:
        self.most = most
        self.taken = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.taken >= self.most:
                raise ServerBusy("the analysis workers are all busy: try again shortly")
            self.taken += 1

    def give(self, _: Any = None) -> None:
        with self._lock:
            self.taken -= 1


class ComputePool:
    def __init__(self, workers: int = 2, queue: int = 8, deadline: float = 30.0) -> None:
        self.workers = workers
        self.deadline = deadline
        self._threads = concurrent.futures.ThreadPoolExecutor(workers, "cityhub-compute")
        self._thread_slots = _Slots(workers + queue)
        self._process_slots = _Slots(workers + queue)
        self._processes: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        return self._thread_slots.taken + self._process_slots.taken

    async def run(
        self, fn: Callable[..., T], *args: Any, deadline: float | None = None, **kwargs: Any
    ) -> T:
        self._thread_slots.take()
        future = self._threads.submit(fn, *args, **kwargs)
        future.add_done_callback(self._thread_slots.give)
        return await self._wait(future, deadline)

    async def run_pure(self, fn: Callable[..., T], *args: Any, deadline: float | None = None) -> T:
        """`fn` is a module-level function of picklable arguments (see indicators.analyses)."""
        self._process_slots.take()
        try:
            pool = self._pool()
            future = pool.submit(fn, *args)
        except BaseException:
            self._process_slots.give()
            raise
        future.add_done_callback(self._process_slots.give)
        try:
            return await self._wait(future, deadline)
        except ServerBusy:
            self._stop(pool)  # a worker past its deadline is stopped; the pool starts anew
            raise
        except BrokenProcessPool as exc:
            self._stop(pool)
            raise ServerBusy("an analysis worker stopped; try again") from exc

    async def _wait(self, future: concurrent.futures.Future[T], deadline: float | None) -> T:
        limit = deadline if deadline is not None else self.deadline
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except TimeoutError as exc:
            raise ServerBusy(
                f"the analysis took longer than {limit:g} s; make the request smaller"
            ) from exc

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._processes is None:
                self._processes = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn")
                )
            return self._processes

    def _stop(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._processes is pool:
                self._processes = None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def warm(self) -> None:
        """Start the worker processes and their imports before the first analysis is asked."""
        from cityhub.indicators.analyses import warm

        pool = self._pool()
        for _ in range(self.workers):
            pool.submit(warm)

    def stop_processes(self) -> None:
        """Stop the worker processes at once (an analysis still running is not waited for: its
        caller is gone); they start again if another analysis is asked for."""
        with self._lock:
            pool = self._processes
        if pool is not None:
            self._stop(pool)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.stop_processes()
