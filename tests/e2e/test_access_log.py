"""A served cityhub writes one line per request to standard error: time (UTC), client, method,
target, status and duration; secrets in the query never reach the log, and a path cannot start
a forged line."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.e2e.processes import start_cityhub

LINE = re.compile(
    r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z 127\.0\.0\.1 "(GET|POST) (.+)" (\d{3}|-) [\d.]+ ms$'
)


def test_each_request_is_one_line_without_secrets(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    port = free_port()
    with log.open("wb") as sink:
        proc = start_cityhub(
            f"sqlite:///{tmp_path / 'db.sqlite'}",
            port,
            env={"CITYHUB_ACCESS_LOG": "1"},
            stderr=sink,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(base + "/health").status_code == 200
            assert httpx.get(base + "/open311/v2/requests.json?api_key=chk_secret123&status=open")
            httpx.get(base + "/ngsi-ld/v1/entities/urn:x%0A2026-01-01T00:00:00Z forged")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if line.startswith("20")]
    requests = [LINE.match(line) for line in lines]
    assert all(requests), lines
    targets = [(m.group(2), m.group(3)) for m in requests if m]
    assert ("/health", "200") in targets
    assert ("/open311/v2/requests.json?api_key=***&status=open", "200") in targets
    assert "chk_secret123" not in log.read_text()
    forged = [t for t, _ in targets if t.startswith("/ngsi-ld/v1/entities/urn:x")]
    assert forged and "\\x0a" in forged[0]  # the newline is shown, not obeyed
    assert not any(line.startswith("2026-01-01T00:00:00Z") for line in lines)
