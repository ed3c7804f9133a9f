"""Emergency alarms from home devices (a fall detector, a help button).

A home device is provisioned in the IoT agent like any other (its measure mapped to the
attribute `alarm`) and its entity id is written on the client's register entry. A message such
as `{"alarm": "fall"}` over MQTT is stored by the agent on the one write path; this module's
after-commit hook sees the committed `alarm` value and queues it — no store access on the write
path, so ingestion never waits for dispatch. The server's alarm desk (`cityhub.app`) takes the
queue, makes the urgent order, picks the caregiver and notifies them.

A value raises an alarm unless it is empty, false, 0 or one of CLEAR (a device's all-clear)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.broker.changes import Change
from cityhub.inbox import LoopInbox
from cityhub.timeutil import now_us

ATTRIBUTE = "alarm"
CLEAR = frozenset({"", "0", "ok", "none", "clear", "cleared", "false", "normal", "正常"})


@dataclass(frozen=True)
class AlarmCall:
    tenant: str
    device: str  # the device's entity id
    value: str
    at_us: int


def raises(value: Any) -> bool:
    if value is None or value is False or value == 0:
        return False
    return str(value).strip().lower() not in CLEAR


class AlarmRelay:
    """The after-commit hook: committed `alarm` values that raise an alarm, queued."""

    def __init__(self, attribute_iri: str, inbox: AlarmInbox) -> None:
        self._iri = attribute_iri
        self._inbox = inbox

    def on_commit(self, tenant: str, changes: list[Change]) -> None:
        for change in changes:
            if change.deleted or not (change.created or self._iri in change.attrs):
                continue
            for instance in change.entity.attrs.get(self._iri, [])[:1]:
                value = instance.get("value")
                if raises(value):
                    self._inbox.put(AlarmCall(tenant, change.entity.id, str(value), now_us()))


class AlarmInbox(LoopInbox[AlarmCall]):
    """Alarms waiting for the desk: filled from the write path (any thread), drained on the
    event loop. Bounded; a flood drops the oldest (a device repeating itself)."""


def topic(prefix: str, department: str, caregiver: str) -> str:
    """Where a caregiver's app hears of an order (the broker's ACL must keep it theirs: the
    message names the client and the address)."""
    return f"{prefix}/{department}/caregivers/{caregiver}/orders"
