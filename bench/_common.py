"""Shared helpers for the benchmarks: a store URL, a served cityhub, a lean HTTP/1.1 load client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.processes import start_cityhub


def bench_database() -> Iterator[str]:
    """A fresh store: a temp SQLite file, or a throw-away schema on CITYHUB_BENCH_DATABASE_URL."""
    url = os.environ.get("CITYHUB_BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    schema = "bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema},public"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(
    database: str, workers: int = 1, mqtt_url: str = "", env: dict[str, str] | None = None
) -> Iterator[int]:
    """Run `cityhub serve` in its own process(es); yields the port."""
    port = free_port()
    proc = start_cityhub(
        database, port, mqtt_url, workers, env={"CITYHUB_NOTIFY_HOSTS": "127.0.0.1", **(env or {})}
    )
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def request_bytes(
    method: str, path: str, body: bytes = b"", ctype: str = "application/json"
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body:
        head += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    header = await reader.readuntil(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    length = 0
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run_load(
    port: int, requests: list[bytes], connections: int
) -> tuple[float, list[float], dict[int, int]]:
    """Send every request over keep-alive connections; returns (seconds, latencies, statuses)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                item = queue.get_nowait()
                start = time.perf_counter()
                writer.write(item)
                status, _ = await _read_response(reader)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start, latencies, statuses


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, value: float, unit: str, target: str, ok: bool) -> None:
    mark = "meets" if ok else "BELOW"
    shown = f"{value:>12,.2f}" if abs(value) < 10 else f"{value:>12,.1f}"
    print(f"{name:<48} {shown} {unit:<10} target {target:<14} {mark}")


def median(values: list[float]) -> float:
    return statistics.median(values)
