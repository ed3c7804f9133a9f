"""Simulated devices: every few seconds some readings change, through the API's own service."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from cityhub.broker.batch import batch_update
from cityhub.demo.readings import DEVICE_KINDS, device_reading
from cityhub.hub import Hub
from cityhub.store.records import EntityFilter

log = logging.getLogger("cityhub.demo")


def simulate_once(hub: Hub, rng: random.Random, share: float = 0.2, tenant: str = "") -> int:
    """Give a share of the devices their next readings (from the last ones, at the city's
    hour); returns how many changed."""
    vocabulary = hub.contexts.vocabulary  # each kind in its Smart Data Models domain's terms
    types = tuple(vocabulary.expand_type(k) for k in DEVICE_KINDS)
    updates = []
    kinds: dict[str, str] = {}
    for entity in hub.store.iter_entities(tenant, EntityFilter(any_types=types)):
        if rng.random() < share:
            kind = kinds[entity.id] = vocabulary.type_term(entity.types[0])
            terms = vocabulary.terms(kind)
            last = {
                terms.compact(name): instances[0].get("value")
                for name, instances in entity.attrs.items()
                if instances
            }
            reading = device_reading(kind, rng, last, timezone=hub.settings.timezone)
            updates.append({"id": entity.id, **reading})
    if updates:
        batch_update(
            hub.entities,
            tenant,
            updates,
            lambda doc: vocabulary.terms(kinds[doc["id"]]),
            no_overwrite=False,
        )
    return len(updates)


def simulator(interval: float = 3.0, seed: int = 1) -> Callable[[Hub], Coroutine[Any, Any, None]]:
    """A background task for create_app: runs until the app shuts down."""

    async def run(hub: Hub) -> None:
        rng = random.Random(seed)
        while True:
            await asyncio.sleep(interval)
            try:
                await hub.write(simulate_once, hub, rng)
            except Exception:  # a failed tick must not stop the demo
                log.exception("simulator tick failed")

    return run
