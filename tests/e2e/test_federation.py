"""Three brokers on loopback: the city's (A) answers for entities two partners hold (B: buses,
C: parking) through context source registrations — merged pages, one entity retrieved from its
source, a dead or slow source left out with a warning, and a registration cycle that ends."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url, free_port

pytestmark = pytest.mark.e2e
NGSI = "/ngsi-ld/v1"


@contextlib.contextmanager
def broker(backend: str, folder: Path) -> Iterator[Server]:
    for url in _store_url(backend, folder):
        hub = Hub.open(
            Settings(database_url=url, federation_hosts="127.0.0.1", federation_timeout=1.0)
        )
        srv = Server(hub)
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()
            hub.close()


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(4)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args: object) -> None:
        pass


def register(base: str, source: str, entity_type: str, name: str) -> None:
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{name}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": entity_type}]}],
        "endpoint": source,
    }
    assert httpx.post(base + NGSI + "/csourceRegistrations", json=reg).status_code == 201


def bus(n: int, **attrs: object) -> dict[str, object]:
    return {
        "id": f"urn:ngsi-ld:Bus:{n}",
        "type": "Bus",
        "route": {"type": "Property", "value": f"M{n}"},
        **{k: {"type": "Property", "value": v} for k, v in attrs.items()},
    }


def create(base: str, *entities: dict[str, object]) -> None:
    for entity in entities:
        assert httpx.post(base + NGSI + "/entities", json=entity).status_code == 201


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [e["id"] for e in answer.json()]


def test_the_city_answers_for_its_partners_entities(backend: str, tmp_path: Path) -> None:
    with (
        broker(backend, tmp_path / "a") as a,
        broker(backend, tmp_path / "b") as b,
        broker(backend, tmp_path / "c") as c,
    ):
        create(a.base, bus(1))
        create(b.base, bus(2), bus(3), bus(4), bus(1, speed=31))  # bus 1 is known to both
        parking = {"id": "urn:ngsi-ld:Parking:p1", "type": "Parking"}
        create(c.base, {**parking, "free": {"type": "Property", "value": 12}})
        register(a.base, b.base, "Bus", "buses")
        register(a.base, c.base, "Parking", "parking")
        query = a.base + NGSI + "/entities"

        everything = httpx.get(query, params={"type": "Bus", "count": "true"})
        assert sorted(ids(everything)) == [f"urn:ngsi-ld:Bus:{n}" for n in (1, 2, 3, 4)]
        assert everything.headers["NGSILD-Results-Count"] == "4"
        assert "NGSILD-Warning" not in everything.headers
        merged = next(e for e in everything.json() if e["id"] == "urn:ngsi-ld:Bus:1")
        assert merged["route"]["value"] == "M1" and merged["speed"]["value"] == 31
        pages = [
            ids(httpx.get(query, params={"type": "Bus", "limit": 2, "offset": o})) for o in (0, 2)
        ]
        assert sorted(pages[0] + pages[1]) == sorted(ids(everything))
        assert ids(httpx.get(query, params={"type": "Bus", "local": "true"})) == [
            "urn:ngsi-ld:Bus:1"
        ]
        assert ids(httpx.get(query, params={"type": "Parking"})) == ["urn:ngsi-ld:Parking:p1"]

        one = httpx.get(f"{query}/urn:ngsi-ld:Bus:3")
        assert one.status_code == 200 and one.json()["route"]["value"] == "M3"
        assert httpx.get(f"{query}/urn:ngsi-ld:Bus:99").status_code == 404

        # a dead source and a slow one: left out, named, and the answer is not held up
        register(a.base, f"http://127.0.0.1:{free_port()}", "Bus", "dead")
        slow = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
        threading.Thread(target=slow.serve_forever, daemon=True).start()
        try:
            register(a.base, f"http://127.0.0.1:{slow.server_port}", "Bus", "slow")
            started = time.monotonic()
            partial = httpx.get(query, params={"type": "Bus"}, timeout=10)
            took = time.monotonic() - started
        finally:
            slow.shutdown()
        assert sorted(ids(partial)) == sorted(ids(everything))
        warning = partial.headers["NGSILD-Warning"]
        assert "ContextSourceRegistration:dead" in warning
        assert "ContextSourceRegistration:slow" in warning
        assert took < 2.5, f"the slow source held the answer up for {took:.1f} s"


def test_a_registration_cycle_ends(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        create(a.base, bus(1))
        create(b.base, bus(2))
        register(a.base, b.base, "Bus", "to-b")
        register(b.base, a.base, "Bus", "to-a")  # each answers for the other
        for base in (a.base, b.base):
            answer = httpx.get(base + NGSI + "/entities", params={"type": "Bus"}, timeout=10)
            assert sorted(ids(answer)) == ["urn:ngsi-ld:Bus:1", "urn:ngsi-ld:Bus:2"]
            assert "NGSILD-Warning" not in answer.headers


def test_a_request_that_passed_through_this_broker_is_not_forwarded(tmp_path: Path) -> None:
    hub = Hub.open(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", broker_id="city-a"))
    try:
        federation = hub.federation
        assert federation.forwarding("")
        assert federation.forwarding("1.1 partner-b")
        assert not federation.forwarding("1.1 partner-b, 1.1 city-a")
        assert not federation.forwarding("1.1 city-a")
        assert not federation.forwarding(", ".join(f"1.1 hop{n}" for n in range(5)))
    finally:
        hub.close()


def test_each_source_is_asked_by_the_read_it_supports(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        create(b.base, bus(5), bus(6))
        for name, ops in (("batch-only", ["queryBatch"]), ("get-only", ["queryEntity"])):
            reg = {
                "id": f"urn:ngsi-ld:ContextSourceRegistration:{name}",
                "type": "ContextSourceRegistration",
                "information": [{"entities": [{"type": "Bus"}]}],
                "endpoint": b.base,
                "operations": ops,
            }
            assert httpx.post(a.base + NGSI + "/csourceRegistrations", json=reg).status_code == 201
        posted = httpx.post(
            a.base + NGSI + "/entityOperations/query",
            json={"type": "Query", "entities": [{"type": "Bus"}], "attrs": ["route"]},
        )
        assert sorted(ids(posted)) == ["urn:ngsi-ld:Bus:5", "urn:ngsi-ld:Bus:6"]
        assert "NGSILD-Warning" not in posted.headers
        one = httpx.get(f"{a.base}{NGSI}/entities/urn:ngsi-ld:Bus:6")  # no source retrieves
        assert one.status_code == 200 and one.json()["route"]["value"] == "M6"
        got = httpx.get(
            a.base + NGSI + "/entities", params={"type": "Bus", "id": "urn:ngsi-ld:Bus:5"}
        )
        assert ids(got) == ["urn:ngsi-ld:Bus:5"]


def test_a_source_is_asked_only_for_what_it_is_registered_for(backend: str, tmp_path: Path) -> None:
    with broker(backend, tmp_path / "a") as a, broker(backend, tmp_path / "b") as b:
        create(b.base, bus(8, speed=40), bus(9, speed=50))
        reg = {
            "id": "urn:ngsi-ld:ContextSourceRegistration:speed-of-8",
            "type": "ContextSourceRegistration",
            "information": [
                {
                    "entities": [{"type": "Bus", "id": "urn:ngsi-ld:Bus:8"}],
                    "propertyNames": ["speed"],
                }
            ],
            "endpoint": b.base,
        }
        assert httpx.post(a.base + NGSI + "/csourceRegistrations", json=reg).status_code == 201
        found = httpx.get(a.base + NGSI + "/entities", params={"type": "Bus"}).json()
        assert [e["id"] for e in found] == ["urn:ngsi-ld:Bus:8"]  # not bus 9: not registered
        assert found[0]["speed"]["value"] == 40 and "route" not in found[0]
