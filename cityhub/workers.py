"""Heavy work off the event loop: a bounded pool with a deadline per call.

Analytics (policy evaluation, forecasts, reply evaluation, classification of many texts) run
here, never on the event loop. At most `workers` calls run at once and `queue` more wait; a
caller past that is told the server is busy (503), and a call that runs past its deadline is
answered with 503 while its worker finishes and frees its slot. So one client can occupy at
most the pool, never the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cityhub.errors import CityHubError

T = TypeVar("T")


class ServerBusy(CityHubError):
    status = 503
    type_uri = "https://cityhub.dev/problems/ServerBusy"
    title = "Server busy"


class ComputePool:
    def __init__(self, workers: int = 2, queue: int = 8, deadline: float = 30.0) -> None:
        self.workers = workers
        self.queue = queue
        self.deadline = deadline
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, "cityhub-compute")
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def busy(self) -> int:
        return self._taken

    def _release(self, _: Any = None) -> None:
        with self._lock:
            self._taken -= 1

    async def run(
        self, fn: Callable[..., T], *args: Any, deadline: float | None = None, **kwargs: Any
    ) -> T:
        with self._lock:
            if self._taken >= self.workers + self.queue:
                raise ServerBusy("the analysis workers are all busy: try again shortly")
            self._taken += 1
        future = self._pool.submit(fn, *args, **kwargs)
        future.add_done_callback(self._release)
        limit = deadline if deadline is not None else self.deadline
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except TimeoutError as exc:
            raise ServerBusy(
                f"the analysis took longer than {limit:g} s; make the request smaller"
            ) from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
