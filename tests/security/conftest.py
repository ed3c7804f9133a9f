"""A secured city for the security tests: a real server on loopback (both stores) with keys for
every role in several departments, keys bound to private tenants, and the demo boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest

from cityhub.auth.keys import create_key
from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url

# name: (department, role, tenants)
KEYS = {
    "admin": ("city", "admin", ("*",)),
    "hot_staff": ("hotline", "staff", ("",)),  # the 12345 centre
    "hot_stew": ("hotline", "steward", ("",)),
    "tr_staff": ("transport", "staff", ("",)),
    "tr_stew": ("transport", "steward", ("",)),
    "env_staff": ("environment", "staff", ("",)),
    "plan_staff": ("planning", "staff", ("",)),
    "public": ("citizenapp", "public", ("",)),
    "a_staff": ("transport", "staff", ("rtA",)),
    "a_public": ("citizenapp", "public", ("rtA",)),
    "b_staff": ("environment", "staff", ("rtB",)),
}


@dataclass
class City:
    server: Server
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base

    @property
    def hub(self) -> Hub:
        return self.server.hub

    def headers(self, who: str | None = None, tenant: str | None = None) -> dict[str, str]:
        out = {}
        if who is not None:
            out["X-Api-Key"] = self.keys[who]
        if tenant is not None:
            out["NGSILD-Tenant"] = tenant
        return out

    def client(self, who: str | None = None, tenant: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.headers(who, tenant), timeout=30)


def open_city(backend: str, folder: Path, **settings: object) -> Iterator[City]:
    for url in _store_url(backend, folder):
        base = Settings(
            database_url=url, max_body_bytes=256 * 1024, notify_hosts="127.0.0.1,localhost"
        )
        hub = Hub.open(replace(base, **settings))  # type: ignore[arg-type]
        city = City(Server(hub))
        for name, (department, role, tenants) in KEYS.items():
            city.keys[name] = create_key(hub.store, department, role, tenants)[1]
        hub.store.set_tenant_private("rtA", True)
        hub.store.set_tenant_private("rtB", True)
        city.server.start()
        try:
            yield city
        finally:
            city.server.stop()
            hub.close()


@pytest.fixture(scope="module")
def city(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    yield from open_city(backend, tmp_path_factory.mktemp(f"secured-{backend}"))
