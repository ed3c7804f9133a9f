"""Three `cityhub serve` processes on one PostgreSQL: a write through one reaches the dashboard's
event stream opened on another within a second (the LISTEN/NOTIFY relay)."""

from __future__ import annotations

import contextlib
import threading
import time

import httpx
import pytest

from tests.conftest import PostgresSchema, free_port
from tests.e2e.processes import start_cityhub
from tests.event_stream import stream_events

pytestmark = pytest.mark.e2e


def test_a_write_on_worker_a_reaches_a_stream_on_worker_c() -> None:
    schema = PostgresSchema()
    ports = [free_port() for _ in range(3)]
    procs = [start_cityhub(schema.url, p, env={"CITYHUB_ANALYSES_REFRESH": "0"}) for p in ports]
    a, b, c = (f"http://127.0.0.1:{p}" for p in ports)
    arrived: dict[str, float] = {}
    deleted: set[str] = set()
    ready = threading.Event()
    done = threading.Event()

    def listen() -> None:
        with contextlib.suppress(httpx.HTTPError):
            for event, items in stream_events(c + "/dashboard/v1/events"):
                if event == "hello":
                    ready.set()
                for item in items or []:
                    arrived.setdefault(item["id"], time.monotonic())
                    if item.get("deleted"):
                        deleted.add(item["id"])
                if done.is_set():
                    return

    thread = threading.Thread(target=listen, daemon=True)
    try:
        thread.start()
        assert ready.wait(10)
        sent: dict[str, float] = {}
        for n, base in enumerate([a, b, a, b, a, b]):
            entity_id = f"urn:ngsi-ld:AirQualityObserved:relay-{n}"
            body = {
                "id": entity_id,
                "type": "AirQualityObserved",
                "pm25": {"type": "Property", "value": n},
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [114.05, 22.54]},
                },
            }
            reply = httpx.post(base + "/ngsi-ld/v1/entities", json=body, timeout=10)
            assert reply.status_code == 201, reply.text
            sent[entity_id] = time.monotonic()
        deadline = time.monotonic() + 5
        while set(sent) - set(arrived) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(sent) <= set(arrived), f"never reached worker C: {set(sent) - set(arrived)}"
        late = {i: arrived[i] - sent[i] for i in sent if arrived[i] - sent[i] >= 1.0}
        assert not late, f"later than 1 s: {late}"
        # a deletion on worker B is heard on worker C as a deletion
        gone = "urn:ngsi-ld:AirQualityObserved:relay-0"
        assert httpx.delete(f"{b}/ngsi-ld/v1/entities/{gone}", timeout=10).status_code == 204
        deadline = time.monotonic() + 5
        while gone not in deleted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone in deleted
    finally:
        done.set()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        thread.join(10)  # the stream ends with its server
        schema.drop()
