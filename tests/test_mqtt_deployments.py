"""Two deployments on one MQTT broker: each hears every message, none takes the other's (real
Mosquitto, both stores)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from cityhub.app import mqtt_group_of
from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url
from tests.test_ingest import MQTT_URL, entity, provision, publisher, wait_until

pytestmark = pytest.mark.shared_broker


def _deployment(stack: ExitStack, url: str) -> Server:
    # No group named: each deployment takes its default, the one the server would use.
    hub = Hub.open(
        Settings(database_url=url, mqtt_url=MQTT_URL, mqtt_client_id=f"t-{uuid.uuid4().hex[:8]}")
    )
    stack.callback(hub.close)
    server = Server(hub)
    server.start()
    stack.callback(server.stop)
    return server


@pytest.fixture
def two_deployments(backend: str, tmp_path: Path) -> Iterator[tuple[Server, Server, str]]:
    with ExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            urls.append(stack.enter_context(contextmanager(_store_url)(backend, tmp_path / name)))
        servers = [_deployment(stack, url) for url in urls]
        deadline = time.monotonic() + 10
        for s in servers:
            while not (s.hub.bridge and s.hub.bridge.connected.is_set()):
                assert time.monotonic() < deadline, "the bridge did not connect"
                time.sleep(0.05)
        time.sleep(0.3)  # subscriptions acknowledged
        yield servers[0], servers[1], urls[0]


def test_each_deployment_hears_every_message_of_its_devices(
    two_deployments: tuple[Server, Server, str],
) -> None:
    a, b, a_url = two_deployments
    group_a, group_b = a.hub.bridge.group, b.hub.bridge.group  # type: ignore[union-attr]
    assert group_a != group_b
    # Another process on A's database joins A's group: the processes of one deployment share it.
    again = Hub.open(Settings(database_url=a_url))
    try:
        assert mqtt_group_of(again) == group_a
    finally:
        again.close()

    tenant, key = "dep" + uuid.uuid4().hex[:6], uuid.uuid4().hex
    provision(a.base, tenant, key)
    pub = publisher()
    try:
        for n in range(1, 13):
            pub.publish(f"/json/{key}/aq-001/attrs", f'{{"p": {n}}}', qos=1).wait_for_publish()
        bridge_a = a.hub.bridge
        assert bridge_a is not None
        # All twelve are stored by A (with one group, about half went to B and were lost).
        assert wait_until(lambda: bridge_a.stored >= 12), bridge_a.stored
        last = wait_until(
            lambda: (
                entity(a.base, tenant, "urn:ngsi-ld:AirQualityObserved:aq-001")
                .get("pm25", {})
                .get("value")
                == 12
            )
        )
        assert last
        assert bridge_a.dead == 0
    finally:
        pub.loop_stop()
        pub.disconnect()
