"""Fixtures: both stores, a real uvicorn server on loopback per store, and leak checks."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from cityhub.app import create_app
from cityhub.config import Settings
from cityhub.hub import Hub
from cityhub.store import Store, open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get(
    "CITYHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgres"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED.is_dir(), f"test data expected at {SHARED}"
    return SHARED


class PostgresSchema:
    """A throw-away schema in the test database, so runs never see each other's rows."""

    def __init__(self) -> None:
        self.name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute(f"CREATE SCHEMA {self.name}")
        sep = "&" if "?" in PG_ADMIN_URL else "?"
        self.url = f"{PG_ADMIN_URL}{sep}options=-csearch_path%3D{self.name},public"

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.name} CASCADE")


def _store_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'city.db'}"
        return
    schema = PostgresSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        # the test's own marks and its module's (`pytestmark = pytest.mark.backend(...)`)
        only = [m.args[0] for m in metafunc.definition.iter_markers("backend")]
        metafunc.parametrize("backend", only or BACKENDS, scope="module", indirect=False)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    for url in _store_url(backend, tmp_path):
        opened = open_store(url)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def hub(backend: str, tmp_path: Path) -> Iterator[Hub]:
    for url in _store_url(backend, tmp_path):
        made = Hub.open(Settings(database_url=url, notify_hosts="127.0.0.1,localhost"))
        try:
            yield made
        finally:
            made.close()


class Server:
    """A real uvicorn server in a thread on a free loopback port."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(hub),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn-test", daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "test server did not stop"


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"server-{backend}")
    for url in _store_url(backend, folder):
        settings = Settings(
            database_url=url, max_body_bytes=256 * 1024, notify_hosts="127.0.0.1,localhost"
        )
        made = Hub.open(settings)
        srv = Server(made)
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()
            made.close()


@pytest.fixture
def tenant() -> str:
    """Each test writes into its own tenant: isolation on a shared server."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def client(server: Server, tenant: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.base + "/ngsi-ld/v1", headers={"NGSILD-Tenant": tenant}, timeout=20
    ) as http:
        yield http


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backend(name): run only against one store backend")
    config.addinivalue_line(
        "markers",
        "shared_broker: its servers ingest from the shared Mosquitto at 127.0.0.1:1883",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`pytest -n 2 --dist loadgroup` runs two processes (pytest-xdist), each taking whole
    groups: a group is one file, except that every `shared_broker` file is in one group. Every
    bridge on the shared broker hears every device message, and dead-letters a key it does not
    know, so two such files at once would see each other's devices."""
    for item in items:
        shared = item.get_closest_marker("shared_broker") is not None
        group = "shared-broker" if shared else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True, scope="session")
def no_leaked_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        leaked = [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not t.daemon
        ]
        if not leaked:
            return
        time.sleep(0.1)
    raise AssertionError(f"threads left running after the suite: {leaked}")


def wait_for_bridge(hub: Hub, seconds: float = 10.0) -> None:
    """Until the hub's MQTT bridge is connected and its subscriptions acknowledged."""
    deadline = time.monotonic() + seconds
    while (hub.bridge is None or not hub.bridge.connected.is_set()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(0.2)


@pytest.fixture
def mqtt_server(backend: str, tmp_path: Path) -> Iterator[Server]:
    """A server whose MQTT bridge listens on the shared Mosquitto (its own session and group)."""
    for url in _store_url(backend, tmp_path):
        settings = Settings(
            database_url=url,
            mqtt_url="mqtt://127.0.0.1:1883",
            mqtt_client_id=f"test-{uuid.uuid4().hex[:8]}",
            mqtt_group=f"g{uuid.uuid4().hex[:8]}",
        )
        hub = Hub.open(settings)
        server = Server(hub)
        server.start()
        try:
            wait_for_bridge(hub)
            yield server
        finally:
            server.stop()
            hub.close()
