"""Many writer threads for several seconds (past the subscription cache's refresh interval):
nothing may deadlock on the connection pool or the matcher's lock, on either store. And SQLite's
group-commit writer: writes queued together commit as one batch, and a write that fails rolls
back its own savepoint and fails alone."""

from __future__ import annotations

import concurrent.futures
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cityhub.broker.normalize import parse_entity
from cityhub.errors import ResourceNotFound
from cityhub.hub import Hub
from cityhub.store.writer import GroupCommitWriter

WAIT = 20.0


def _meters(hub: Hub, n: int) -> None:
    for i in range(n):
        hub.entities.create(
            "",
            parse_entity(
                {
                    "id": f"urn:ngsi-ld:Meter:{i}",
                    "type": "Meter",
                    "kwh": {"type": "Property", "value": 0},
                },
                hub.contexts.core,
                "",
            ),
        )


def _kwh(hub: Hub, i: int) -> Any:
    entity = hub.store.get_entity("", f"urn:ngsi-ld:Meter:{i}")
    assert entity is not None
    return entity.attrs[hub.contexts.core.expand("kwh")][0]["value"]


@pytest.fixture
def writer(hub: Hub) -> Iterator[GroupCommitWriter]:
    made = GroupCommitWriter(hub.store)  # type: ignore[arg-type]
    yield made
    made.close()


def _queued_together(
    writer: GroupCommitWriter, calls: list[Callable[[], Any]]
) -> list[concurrent.futures.Future[Any]]:
    """Submit `calls` while the writer is busy, so that they make one batch."""
    started, release = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        release.wait(WAIT)

    blocker = writer.submit(block)
    started.wait(WAIT)  # the writer is inside the blocker's batch: the rest queue behind it
    futures = [writer.submit(call) for call in calls]
    release.set()
    blocker.result(WAIT)
    return futures


def _patch(hub: Hub, i: int, value: Any) -> Callable[[], None]:
    core = hub.contexts.core
    return lambda: hub.entities.patch_attr(
        "", f"urn:ngsi-ld:Meter:{i}", "kwh", {"value": value}, core
    )


@pytest.mark.backend("sqlite")
def test_writes_queued_together_commit_as_one_batch_and_a_failing_one_fails_alone(
    hub: Hub, writer: GroupCommitWriter
) -> None:
    _meters(hub, 4)
    before = writer.batches
    calls = [_patch(hub, 0, 10), _patch(hub, 1, 11), _patch(hub, 9, 19), _patch(hub, 2, 12)]
    futures = _queued_together(writer, calls)
    for future in (futures[0], futures[1], futures[3]):
        assert future.result(WAIT) is None
    with pytest.raises(ResourceNotFound):
        futures[2].result(WAIT)
    assert writer.batches - before == 2  # the blocker's batch, then the four together
    assert [_kwh(hub, i) for i in range(4)] == [10, 11, 12, 0]


def test_forty_writers_for_three_seconds_all_finish(hub: Hub) -> None:
    core = hub.contexts.core
    _meters(hub, 20)
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
