"""Read the dashboard's event stream (server-sent events) as a client would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def stream_events(url: str, timeout: float = 30) -> Iterator[tuple[str, Any]]:
    """(event name, parsed data) for each event of /dashboard/v1/events; "hello" comes first."""
    with httpx.stream("GET", url, timeout=timeout) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = ""
        for raw in stream.iter_lines():
            line = raw.rstrip("\r\n")
            if line.startswith("event: "):
                event = line[7:]
                if event == "hello":
                    yield event, None
            elif line.startswith("data: ") and event == "changes":
                yield event, json.loads(line[6:])
