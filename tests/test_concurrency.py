"""Many writer threads for several seconds (past the subscription cache's refresh interval):
nothing may deadlock on the connection pool or the matcher's lock, on either store."""

from __future__ import annotations

import random
import threading
import time

from cityhub.broker.normalize import parse_entity
from cityhub.hub import Hub


def test_forty_writers_for_three_seconds_all_finish(hub: Hub) -> None:
    core = hub.contexts.core
    for i in range(20):
        hub.entities.create(
            "",
            parse_entity(
                {
                    "id": f"urn:ngsi-ld:Meter:{i}",
                    "type": "Meter",
                    "kwh": {"type": "Property", "value": 0},
                },
                core,
                "",
            ),
        )
    stop = time.monotonic() + 3.0
    done: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        rng = random.Random()
        n = 0
        try:
            while time.monotonic() < stop:
                hub.matcher.invalidate()  # every write finds the cache stale
                hub.entities.patch_attr(
                    "", f"urn:ngsi-ld:Meter:{rng.randrange(20)}", "kwh", {"value": n}, core
                )
                n += 1
        except BaseException as exc:  # report, do not hang
            errors.append(exc)
        done.append(n)

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=25)
    assert not [t for t in threads if t.is_alive()], "writers deadlocked"
    assert not errors, errors[:1]
    assert sum(done) > 40
