"""One line per HTTP request on standard error, as web servers write them:

    2026-12-03T05:14:07Z 127.0.0.1 "GET /ngsi-ld/v1/entities?type=ParkingSpot" 200 3.1 ms

Times are UTC. Query values that are secrets (Open311's `api_key`, a `key` or `token`) are
replaced by `***`, so the log never holds a credential. `CITYHUB_ACCESS_LOG=0` (or
`cityhub serve --no-access-log`) turns it off, as the benchmarks do."""

from __future__ import annotations

import datetime as dt
import queue
import re
import sys
import threading
import time
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_UNPRINTED = {n: f"\\x{n:02x}" for n in range(32)}
_SECRET = re.compile(r"(?i)((?:^|&)(?:api_key|apikey|key|token|access_token)=)[^&]*")


def _target(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return path
    return path + "?" + _SECRET.sub(lambda m: m.group(1) + "***", query)


class _Writer:
    """Lines go through a bounded queue to a thread that writes them, so a slow terminal or a
    full pipe never holds up the event loop; what does not fit is counted and reported."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.lines: queue.Queue[str] = queue.Queue(maxsize=10_000)
        self.dropped = 0
        threading.Thread(target=self._run, name="cityhub-access-log", daemon=True).start()

    def put(self, line: str) -> None:
        try:
            self.lines.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            line = self.lines.get()
            stream = self.stream or sys.stderr
            if self.dropped:
                count, self.dropped = self.dropped, 0
                stream.write(f"access log: {count} lines dropped (the output was too slow)\n")
            stream.write(line)
            if self.lines.empty():
                stream.flush()

    def drain(self, timeout: float = 2.0) -> None:
        """Wait until the queued lines are written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while not self.lines.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.02)


class AccessLog:
    def __init__(self, app: ASGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.writer = _Writer(stream)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            ms = (time.perf_counter() - started) * 1000
            client = (scope.get("client") or ("-", 0))[0]
            at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            line = f'{at} {client} "{scope["method"]} {_target(scope)}" {status or "-"} {ms:.1f} ms'
            self.writer.put(line.translate(_UNPRINTED) + "\n")  # a decoded path may hold a newline
