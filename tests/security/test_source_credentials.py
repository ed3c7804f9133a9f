"""A context source's credentials (contextSourceInfo) act only for the department that
registered it: no other department, key-less reader or citizen app reads or writes at the
partner with them — its reads and writes stay local instead."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.receiver import Receiver
from tests.security.conftest import City, open_city

SECRET = "Bearer partner-secret-789"


class _Partner(BaseHTTPRequestHandler):
    """A partner broker that records the credentials each request came with."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Partner.seen.append((self.command, self.headers.get("Authorization")))
        body = b"[]" if self.command == "GET" else b""
        self.send_response(200 if self.command == "GET" else 204)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def partner() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Partner.seen.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def federated_city(backend: str, tmp_path: Path) -> Iterator[City]:
    yield from open_city(backend, tmp_path, federation_hosts="127.0.0.1")


def test_a_sources_credentials_act_only_for_its_department(
    federated_city: City, partner: str
) -> None:
    city = federated_city
    reg = {
        "id": "urn:ngsi-ld:ContextSourceRegistration:buses-with-key",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Bus"}]}],
        "endpoint": partner,
        "mode": "inclusive",
        "operations": ["redirectionOps"],
        "contextSourceInfo": [{"key": "Authorization", "value": SECRET}],
    }
    with city.client("tr_staff") as owner:
        assert owner.post("/ngsi-ld/v1/csourceRegistrations", json=reg).status_code == 201
    bus = {"id": "urn:ngsi-ld:Bus:k1", "type": "Bus", "speed": {"type": "Property", "value": 1}}

    for who in (None, "public", "env_staff"):  # reads by anyone else: local only
        answer = httpx.get(
            city.base + "/ngsi-ld/v1/entities", params={"type": "Bus"}, headers=city.headers(who)
        )
        assert answer.status_code == 200
    with city.client("env_staff") as other:  # a write by another department: local only
        assert other.post("/ngsi-ld/v1/entities", json=bus).status_code == 201
    assert _Partner.seen == []

    with city.client("tr_staff") as owner:  # its own department: at the partner, with its key
        assert owner.get("/ngsi-ld/v1/entities", params={"type": "Bus"}).status_code == 200
        patch = {"speed": {"type": "Property", "value": 2}}
        answer = owner.patch(f"/ngsi-ld/v1/entities/{bus['id']}/attrs", json=patch)
        assert answer.status_code in (204, 207)  # the entity is environment's here
    assert [m for m, _ in _Partner.seen] == ["GET", "PATCH"]
    assert all(key == SECRET for _, key in _Partner.seen)


def test_registration_notifications_carry_credentials_only_to_their_department(
    federated_city: City,
) -> None:
    city = federated_city
    receivers = {who: Receiver() for who in ("tr_staff", "env_staff")}
    try:
        for who, receiver in receivers.items():
            sub = {
                "id": f"urn:ngsi-ld:Subscription:csr-{who}",
                "type": "Subscription",
                "entities": [{"type": "Tram"}],
                "notification": {"endpoint": {"uri": receiver.url}},
            }
            with city.client(who) as client:
                assert client.post("/ngsi-ld/v1/csourceSubscriptions", json=sub).status_code == 201
        reg = {
            "id": "urn:ngsi-ld:ContextSourceRegistration:trams-with-key",
            "type": "ContextSourceRegistration",
            "information": [{"entities": [{"type": "Tram"}]}],
            "endpoint": "http://127.0.0.1:9",
            "contextSourceInfo": [{"key": "Authorization", "value": SECRET}],
        }
        with city.client("tr_staff") as owner:
            assert owner.post("/ngsi-ld/v1/csourceRegistrations", json=reg).status_code == 201
        (own,) = receivers["tr_staff"].wait_for(1)
        (other,) = receivers["env_staff"].wait_for(1)
        assert own["data"][0]["contextSourceInfo"][0]["value"] == SECRET
        assert "contextSourceInfo" not in other["data"][0]
        assert other["data"][0]["id"] == reg["id"]  # told of the registration all the same
    finally:
        for receiver in receivers.values():
            receiver.close()
