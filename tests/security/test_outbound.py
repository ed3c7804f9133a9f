"""H7: no header injection and no internal destinations by default; M6: a receiver's answer is
not read without limit; M9: @contexts only over http(s) from allowed public hosts; M10: a
minimum timeInterval and a per-endpoint rate."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import pytest

from cityhub.broker.http_sender import HttpSender
from cityhub.config import Settings
from cityhub.errors import CityHubError
from cityhub.jsonld.resolver import ContextResolver
from cityhub.outbound import Destinations, OutboundRefused
from cityhub.store import Store
from tests.receiver import Receiver
from tests.security.conftest import City, open_city


def _sub(uri: str, **extra: object) -> dict[str, object]:
    return {
        "type": "Subscription",
        "entities": [{"type": "Probe"}],
        "notification": {"endpoint": {"uri": uri, **extra}},
    }


def test_header_injection_is_refused(city: City) -> None:
    smuggle = "v\r\nX-Smuggled-Header: yes\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1"
    with city.client("tr_staff") as staff:
        for info in (
            [{"key": "X-Inject", "value": smuggle}],
            [{"key": "Bad Name", "value": "v"}],
            [{"key": "Host", "value": "internal-admin"}],
            [{"key": "X-Nul", "value": "a\x00b"}],
        ):
            r = staff.post(
                "/ngsi-ld/v1/subscriptions", json=_sub("http://127.0.0.1:9/hook", receiverInfo=info)
            )
            assert r.status_code == 400, info


@pytest.fixture(scope="module")
def default_city(backend: str, tmp_path_factory: pytest.TempPathFactory) -> City:
    """A city with the shipped outbound settings (no internal host allowed)."""
    opened = open_city(backend, tmp_path_factory.mktemp("outbound"), notify_hosts="")
    city = next(opened)
    yield city  # type: ignore[misc]
    next(opened, None)


def test_internal_destinations_are_refused_by_default(default_city: City) -> None:
    with default_city.client("tr_staff") as staff:
        for uri in (
            "http://127.0.0.1:5432/",
            "http://[::1]:8080/",
            "http://0x7f000001/",
            "http://localhost:8000/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/hook",
            "mqtt://127.0.0.1:1883/topic",
            "http://192.168.0.1/",
        ):
            r = staff.post("/ngsi-ld/v1/subscriptions", json=_sub(uri))
            assert r.status_code == 400, uri
            assert "CITYHUB_NOTIFY_HOSTS" in r.json()["detail"]


def test_the_sender_checks_the_address_it_connects_to() -> None:
    sender = HttpSender(2.0, Destinations("", "CITYHUB_NOTIFY_HOSTS", default="public"))

    async def send() -> None:
        try:
            await sender.post("http://localhost:9/hook", b"{}", {})
        finally:
            await sender.close()

    with pytest.raises(OutboundRefused):
        asyncio.run(send())


def test_a_huge_answer_is_not_read() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    sent = {"bytes": 0}

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(400):  # 400 MB if anyone reads it
                    conn.sendall(chunk)
                    sent["bytes"] += len(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    sender = HttpSender(10.0, Destinations("127.0.0.1", "CITYHUB_NOTIFY_HOSTS"))

    async def send() -> int:
        try:
            return await sender.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        finally:
            await sender.close()

    started = time.perf_counter()
    assert asyncio.run(send()) == 200
    assert time.perf_counter() - started < 2.0
    thread.join(timeout=10)
    listener.close()
    assert sent["bytes"] < 64 << 20, "the connection was dropped, not drained"


def test_contexts_are_fetched_only_over_http_from_allowed_hosts(
    tmp_path: Path, store: Store
) -> None:
    secret = tmp_path / "secret-config.json"
    secret.write_text('{"@context": {"a": "urn:a"}, "db_password": "hunter2"}')
    hits = {"n": 0}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    allow = ContextResolver(Settings(context_fetch="allow"), store.contexts)
    for url in (
        f"file://{secret}",
        "file:///etc/passwd",
        "file:///root/.ssh/id_rsa",
        f"http://127.0.0.1:{listener.getsockname()[1]}/ctx.jsonld",
        "gopher://127.0.0.1/x",
    ):
        with pytest.raises(CityHubError) as refused:
            allow.resolve(url)
        assert "hunter2" not in refused.value.detail
        assert "No such file" not in refused.value.detail
        try:
            listener.accept()
            hits["n"] += 1
        except TimeoutError:
            pass
    listener.close()
    assert hits["n"] == 0, "no connection was made to an internal address"
    assert store.contexts.list_contexts() == []


def test_time_intervals_have_a_floor(city: City) -> None:
    with city.client("tr_staff") as staff:
        for interval in (1e-9, 0.5):
            r = staff.post(
                "/ngsi-ld/v1/subscriptions",
                json={
                    **_sub("http://127.0.0.1:9/hook"),
                    "entities": [{"type": "P"}],
                    "timeInterval": interval,
                },
            )
            assert r.status_code == 400 and "timeInterval" in r.json()["detail"]


def test_one_endpoint_gets_at_most_its_rate(backend: str, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        for city in open_city(backend, tmp_path, notify_rate=5.0):
            with city.client("admin") as admin:
                sub = _sub(receiver.url, accept="application/json")
                sub["entities"] = [{"type": "Rated"}]
                assert admin.post("/ngsi-ld/v1/subscriptions", json=sub).status_code == 201
                started = time.monotonic()
                for i in range(15):
                    e = {
                        "id": f"urn:ngsi-ld:Rated:{i}",
                        "type": "Rated",
                        "v": {"type": "Property", "value": i},
                    }
                    assert admin.post("/ngsi-ld/v1/entities", json=e).status_code == 201
                receiver.wait_for(15, timeout=15)
                elapsed = time.monotonic() - started
            assert len(receiver.received) == 15, "every notification is delivered"
            # 15 notifications at 5 a second take at least 14 intervals of 0.2 s.
            assert elapsed >= 2.4, f"15 notifications in {elapsed:.2f} s at 5 a second"
    finally:
        receiver.close()
