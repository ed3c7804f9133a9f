"""`cityhub serve` as a separate process, for tests and benchmarks that need a real one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx


def start_cityhub(
    database: str,
    port: int,
    mqtt_url: str = "",
    workers: int = 1,
    env: dict[str, str] | None = None,
    ready: Callable[[dict[str, Any]], bool] = lambda h: True,
    stderr: Any = None,
) -> subprocess.Popen[bytes]:
    """Start the server and wait until /health answers and `ready(health)` holds."""
    args = [
        sys.executable,
        "-m",
        "cityhub.cli",
        "serve",
        "--database",
        database,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if mqtt_url:
        args += ["--mqtt", mqtt_url]
    # the access log is left out unless a test asks for it (it would fill the captured output)
    env = {"CITYHUB_ACCESS_LOG": "0", **(env or {})}
    proc = subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=stderr
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if ready(httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json()):
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise RuntimeError("cityhub serve did not come up")
