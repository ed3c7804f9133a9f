"""Where an entity write goes (broker/forwarding.py): operation groups, modes, coverage."""

from __future__ import annotations

from typing import Any

import pytest

from cityhub.broker.forwarding import forwards_queries, plan_write, supports
from cityhub.broker.registrations import Covered

BUS, SPEED, ROUTE = (
    "https://example.org/Bus",
    "https://example.org/speed",
    "https://example.org/route",
)


def registration(
    mode: str, *ops: str, attrs: tuple[str, ...] = (), ids: tuple[str, ...] = ()
) -> tuple[dict[str, Any], list[Covered]]:
    doc: dict[str, Any] = {"id": f"urn:reg:{mode}", "mode": mode}
    if ops:
        doc["operations"] = list(ops)
    return doc, [Covered(frozenset([BUS]), frozenset(ids), (), frozenset(attrs))]


@pytest.mark.parametrize(
    ("ops", "operation", "expected"),
    [
        ((), "createEntity", False),  # the default is the federation operations: reads only
        ((), "queryEntity", True),
        (("redirectionOps",), "createEntity", True),
        (("redirectionOps",), "createBatch", False),  # batches are named one by one
        (("updateOps",), "replaceAttrs", True),
        (("updateOps",), "deleteEntity", False),
        (("createBatch",), "createBatch", True),
        (("retrieveOps",), "retrieveEntity", True),
    ],
)
def test_operation_groups(ops: tuple[str, ...], operation: str, expected: bool) -> None:
    doc, _ = registration("inclusive", *ops)
    assert supports(doc, operation) is expected


def test_reads_go_to_any_registration_that_supports_them() -> None:
    assert forwards_queries(registration("redirect", "redirectionOps")[0])
    assert not forwards_queries(registration("inclusive", "createBatch")[0])


def test_modes_decide_what_stays_here() -> None:
    names = {SPEED, ROUTE}
    exclusive = registration("exclusive", "redirectionOps", attrs=(SPEED,), ids=("urn:b:1",))
    plan = plan_write([exclusive], "createEntity", "urn:b:1", {BUS}, names)
    assert [t.names for t in plan.targets] == [frozenset([SPEED])]
    assert plan.kept_here(ROUTE) and not plan.kept_here(SPEED) and not plan.all_taken

    other = plan_write([exclusive], "createEntity", "urn:b:2", {BUS}, names)  # not its entity
    assert other.targets == ()

    inclusive = registration("inclusive", "redirectionOps")
    plan = plan_write([inclusive], "updateEntity", "urn:b:1", {BUS}, names)
    assert plan.targets[0].names is None and plan.kept_here(SPEED)

    redirect = registration("redirect", "redirectionOps")
    assert plan_write([redirect], "deleteEntity", "urn:b:1", None, None).all_taken
    assert plan_write([redirect], "deleteEntity", "urn:b:1", {"https://x/Car"}, None).targets == ()

    auxiliary = registration("auxiliary", "redirectionOps")
    assert plan_write([auxiliary], "createEntity", "urn:b:1", {BUS}, names).targets == ()


def test_a_write_of_other_attributes_does_not_reach_an_attribute_registration() -> None:
    exclusive = registration("exclusive", "redirectionOps", attrs=(SPEED,))
    assert plan_write([exclusive], "appendAttrs", "urn:b:1", {BUS}, {ROUTE}).targets == ()
    whole = plan_write([exclusive], "deleteEntity", "urn:b:1", {BUS}, None)
    assert whole.targets[0].names == frozenset([SPEED])  # the source drops its part too
