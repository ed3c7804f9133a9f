"""The group-commit writer on both stores: writes queued together commit as one batch, a write
that fails fails alone, and on PostgreSQL a write that meets another connection's lock, or whose
held statements fail with a later write's, runs again on its own."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
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
    assert writer.retried == 0


@pytest.mark.backend("postgres")
def test_a_write_that_meets_another_connections_lock_runs_again_alone(
    hub: Hub, writer: GroupCommitWriter
) -> None:
    _meters(hub, 2)
    url = hub.store.url  # type: ignore[attr-defined]
    with psycopg.connect(url) as other:  # another worker's open transaction holds meter 0
        other.execute("SELECT 1 FROM entities WHERE id = 'urn:ngsi-ld:Meter:0' FOR UPDATE")
        locked, free = _queued_together(writer, [_patch(hub, 0, 5), _patch(hub, 1, 6)])
        assert free.result(WAIT) is None  # answered without waiting for the other's retry
        assert not locked.done()  # waiting, on its own, for the lock
        other.commit()
    assert locked.result(WAIT) is None
    assert writer.retried == 1
    assert [_kwh(hub, 0), _kwh(hub, 1)] == [5, 6]


@pytest.mark.backend("postgres")
def test_a_batch_whose_held_statement_fails_with_a_later_write_runs_write_by_write(
    hub: Hub, writer: GroupCommitWriter
) -> None:
    _meters(hub, 2)

    def bad_write() -> None:  # its statement is held and goes with the next write's read
        with hub.store.write("") as w:
            w._execute_many("INSERT INTO no_such_table (x) VALUES (%s)", [(1,)])  # type: ignore[attr-defined]

    futures = _queued_together(writer, [_patch(hub, 0, 7), bad_write, _patch(hub, 1, 8)])
    assert futures[0].result(WAIT) is None
    with pytest.raises(psycopg.errors.UndefinedTable):
        futures[1].result(WAIT)
    assert futures[2].result(WAIT) is None
    assert writer.retried == 3  # all three again, each alone
    assert [_kwh(hub, 0), _kwh(hub, 1)] == [7, 8]
