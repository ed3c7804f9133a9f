"""Simulated devices that publish over MQTT, as real ones would: each demo device is provisioned
in the IoT agent (one group per kind, one device per entity) and the simulator publishes its
readings to /json/<apikey>/<device>/attrs on the broker, where the bridge ingests them."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import orjson

from cityhub.demo.readings import DEVICE_KINDS, device_reading
from cityhub.hub import Hub
from cityhub.ingest.devices import validate_device, validate_group
from cityhub.store.records import EntityFilter

log = logging.getLogger("cityhub.demo")


def broker_reachable(url: str, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at the MQTT URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), timeout):
            return True
    except OSError:
        return False


def apikey_of(kind: str) -> str:
    return f"cityhub-demo-{kind.lower()}"


def device_id_of(entity_id: str) -> str:
    kind, number = entity_id.split(":")[2], entity_id.rsplit(":", 1)[-1]
    return f"{kind}-{number}"


def provision_demo_devices(hub: Hub, tenant: str = "") -> list[tuple[str, str, str]]:
    """Register every demo device with the IoT agent; returns (kind, apikey, device_id)."""
    vocabulary = hub.contexts.vocabulary
    for kind in DEVICE_KINDS:
        group = validate_group({"apikey": apikey_of(kind), "entity_type": kind})
        hub.store.devices.put_group(tenant, group["apikey"], group)
    out = []
    types = tuple(vocabulary.expand_type(k) for k in DEVICE_KINDS)
    for entity in hub.store.iter_entities(tenant, EntityFilter(any_types=types)):
        kind = vocabulary.type_term(entity.types[0])
        device = validate_device(
            {"device_id": device_id_of(entity.id), "entity_name": entity.id, "entity_type": kind}
        )
        hub.store.devices.put_device(tenant, device["device_id"], apikey_of(kind), device)
        out.append((kind, apikey_of(kind), device["device_id"]))
    hub.devices.invalidate()
    return out


def measures(
    kind: str,
    rng: random.Random,
    last: dict[str, Any] | None = None,
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """A reading as a device sends it: plain values, no NGSI-LD wrapping (the next one after
    `last`, the device's previous measures)."""
    return {
        name: attr["value"]
        for name, attr in device_reading(kind, rng, last, timezone=timezone).items()
    }


def mqtt_simulator(
    url: str, devices: list[tuple[str, str, str]], interval: float = 3.0, share: float = 0.2
) -> Callable[[Hub], Coroutine[Any, Any, None]]:
    """A background task: every `interval` seconds a share of the devices publish (QoS 1)."""

    async def run(hub: Hub) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        parts = urlsplit(url)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cityhub-demo-{id(hub):x}")
        if parts.username:
            client.username_pw_set(parts.username, parts.password)
        client.connect_async(parts.hostname or "127.0.0.1", parts.port or 1883)
        client.loop_start()
        rng = random.Random(1)
        sent: dict[str, dict[str, Any]] = {}  # each device's last measures, to go on from
        try:
            while True:
                await asyncio.sleep(interval)
                for kind, apikey, device_id in devices:
                    if rng.random() < share:
                        reading = measures(kind, rng, sent.get(device_id), hub.settings.timezone)
                        sent[device_id] = reading
                        payload = orjson.dumps(reading)
                        client.publish(f"/json/{apikey}/{device_id}/attrs", payload, qos=1)
        finally:
            client.loop_stop()
            client.disconnect()

    return run
