"""Southbound commands, carried over MQTT as the FIWARE IoT agents carry them.

A device (or its group) is provisioned with `commands: [{"name": "ring"}]`. Its entity then has
the attributes `ring`, `ring_status` and `ring_info`. Writing `ring` (PATCH …/attrs/ring, or any
update that changes it) sends the command to the device after the write commits:

- on `/<apikey>/<device>/cmd`, as UltraLight (`<device>@ring|<value>`) when the device's
  `protocol` names UltraLight, else as JSON (`{"ring": <value>}`);
- `ring_status` becomes PENDING once the broker has it (ERROR, with the reason in `ring_info`,
  when it could not be sent);
- the device answers on `/<apikey>/<device>/cmdexe` (also under /ul/ and /json/) with
  `<device>@ring|<result>` or `{"ring": <result>}`: `ring_status` becomes OK and `ring_info` the
  result.

Status and results are written by the ingest agent like any measure (one write path, dead
letters for what cannot be read)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cityhub.broker.changes import Change
from cityhub.errors import BadRequestData
from cityhub.inbox import LoopInbox
from cityhub.ingest.payloads import PayloadError, looks_like_json

_INDEX_SECONDS = 30.0  # and dropped at once when this process changes provisioning


@dataclass(frozen=True)
class CommandCall:
    """A command to send: to which device, which command, with what value."""

    tenant: str
    apikey: str
    device_id: str
    name: str
    value: Any
    ultralight: bool


def check_commands(raw: Any) -> None:
    """`commands` as the IoT agents provision them: [{"name": …, "type": "command"}]."""
    if raw is None:
        return
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise BadRequestData("commands must be an array of objects")
    for command in raw:
        name = command.get("name")
        if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
            raise BadRequestData("a command needs a name of letters, digits and '_'")


def command_names(group: dict[str, Any], device: dict[str, Any]) -> tuple[str, ...]:
    names = [c["name"] for c in [*(group.get("commands") or []), *(device.get("commands") or [])]]
    return tuple(dict.fromkeys(names))


def command_attributes(names: tuple[str, ...]) -> dict[str, Any]:
    """The attributes a command-capable entity starts with (as the IoT Agent for NGSI-LD)."""
    out: dict[str, Any] = {}
    for name in names:
        out[name] = {"type": "Property", "value": ""}
        out[f"{name}_status"] = {"type": "Property", "value": "UNKNOWN"}
        out[f"{name}_info"] = {"type": "Property", "value": ""}
    return out


def outgoing(call: CommandCall) -> tuple[str, bytes]:
    """The topic and payload that carry a command to its device."""
    topic = f"/{call.apikey}/{call.device_id}/cmd"
    if call.ultralight:
        value = call.value if isinstance(call.value, str) else orjson.dumps(call.value).decode()
        return topic, f"{call.device_id}@{call.name}|{value}".encode()
    return topic, orjson.dumps({call.name: call.value})


def results(payload: bytes, device_id: str) -> dict[str, Any]:
    """{command: result} from a device's cmdexe message (UltraLight or JSON)."""
    if looks_like_json(payload):
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or not data:
            raise PayloadError("a JSON command result must be an object {command: result}")
        return dict(data)
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise PayloadError("an UltraLight command result must be UTF-8 text") from exc
    head, bar, result = text.partition("|")
    device, at, name = head.partition("@")
    if not bar or not at or not name:
        raise PayloadError(f"an UltraLight command result is <device>@<command>|<result>: {text!r}")
    if device != device_id:
        raise PayloadError(f"the result names device {device!r}, not {device_id!r}")
    return {name: result}


def status_measures(found: dict[str, Any]) -> dict[str, Any]:
    """What a device's results set: each command's status OK and its info."""
    out: dict[str, Any] = {}
    for name, result in found.items():
        out[f"{name}_status"] = "OK"
        out[f"{name}_info"] = result
    return out


class CommandOutbox(LoopInbox[CommandCall]):
    """Commands waiting to be sent: filled from the write path (any thread), drained by the
    server's sender task on the event loop. Bounded: a flood of command writes with no broker
    to take them drops the oldest."""


@dataclass(frozen=True)
class CommandTarget:
    """A device entity that takes commands: where they go and how they are written."""

    apikey: str
    device_id: str
    commands: dict[str, str]  # expanded attribute name -> command name
    ultralight: bool


class CommandRelay:
    """Turns committed changes of command attributes into CommandCalls (an after-commit hook;
    it only queues — sending and the status writes happen off the write path)."""

    def __init__(
        self,
        targets: Callable[[str], dict[str, CommandTarget]],
        queue: Callable[[CommandCall], None],
    ) -> None:
        self._load = targets
        self._queue = queue
        self._lock = threading.Lock()
        self._index: dict[str, tuple[float, dict[str, CommandTarget]]] = {}

    def prepare(self, tenant: str) -> None:
        """Before a write (a before-write hook): the tenant's command targets, read again once
        they are _INDEX_SECONDS old, so the after-commit hook needs no store access."""
        with self._lock:
            held = self._index.get(tenant)
        if held is not None and time.monotonic() - held[0] < _INDEX_SECONDS:
            return
        found = self._load(tenant)
        with self._lock:
            self._index[tenant] = (time.monotonic(), found)

    def forget(self) -> None:
        with self._lock:
            self._index.clear()

    def on_commit(self, tenant: str, changes: list[Change]) -> None:
        with self._lock:
            held = self._index.get(tenant)
        if not held or not held[1]:
            return
        for change in changes:
            target = held[1].get(change.entity.id)
            if target is None or change.created or change.deleted:
                continue
            for attr in change.attrs:
                name = target.commands.get(attr)
                instances = change.entity.attrs.get(attr) or []
                if name is None or not instances:
                    continue
                value = instances[0].get("value", "")
                self._queue(
                    CommandCall(
                        tenant, target.apikey, target.device_id, name, value, target.ultralight
                    )
                )


def make_target(
    apikey: str, device_id: str, names: tuple[str, ...], protocol: str, expand: Callable[[str], str]
) -> CommandTarget:
    return CommandTarget(
        apikey,
        device_id,
        {expand(n): n for n in names},
        "ultralight" in protocol.lower(),
    )
