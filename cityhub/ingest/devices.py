"""Provisioned groups and devices (IoT-agent format): how measures map to attributes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.broker.normalize import check_name, check_uri
from cityhub.errors import AlreadyExists, BadRequestData, ResourceNotFound
from cityhub.ingest.commands import check_commands, command_names
from cityhub.ingest.convert import ConversionError, convert
from cityhub.store import Store

_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class AttributeMap:
    name: str
    type: str
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)  # e.g. unitCode


OWNER = "_owner"  # the department that provisioned a group or device (kept in its document)


@dataclass
class DeviceConfig:
    tenant: str
    device_id: str
    apikey: str
    entity_id: str
    entity_type: str
    attributes: dict[str, AttributeMap] = field(default_factory=dict)  # object_id -> attribute
    static: list[dict[str, Any]] = field(default_factory=list)
    explicit_attrs: bool = False
    owner: str | None = None  # the department whose entities this device writes
    commands: tuple[str, ...] = ()  # southbound commands (cityhub.ingest.commands)
    protocol: str = ""  # e.g. PDI-IoTA-UltraLight: how commands are written


def _attribute_list(raw: Any, what: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise BadRequestData(f"{what} must be an array of objects")
    for attr in raw:
        check_name(attr.get("name"), f"{what} name")
        if attr.get("type") is not None and not isinstance(attr["type"], str):
            raise BadRequestData(f"{what}: the type of {attr['name']} must be text")
        if attr.get("object_id") is not None and not isinstance(attr["object_id"], str):
            raise BadRequestData(f"{what}: the object_id of {attr['name']} must be text")
        _check_metadata(attr.get("metadata"), f"{what}: the metadata of {attr['name']}")
    return raw


def _check_metadata(raw: Any, what: str) -> None:
    """Metadata as the IoT agents provision it: {name: {type, value}}; each name becomes a
    sub-attribute, so it must be one."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise BadRequestData(f"{what} must be an object")
    for name, item in raw.items():
        check_name(name, f"{what}: a name")
        if name in ("type", "value", "object", "observedAt", "datasetId"):
            raise BadRequestData(f"{what}: '{name}' is not a metadata name")
        if not isinstance(item, dict) or "value" not in item:
            raise BadRequestData(f"{what}: {name} must be an object with a value")


def _static_values(raw: Any) -> None:
    """Static attributes are written into every entity: a value that cannot be converted to
    its type is refused now, not at every later message."""
    for attr in _attribute_list(raw, "static_attributes"):
        try:
            convert(attr.get("value"), attr.get("type") or "Property")
        except ConversionError as exc:
            raise BadRequestData(
                f"static attribute {attr['name']}: {attr.get('value')!r} is not a "
                f"{attr.get('type') or 'Property'} ({exc})"
            ) from exc


def validate_group(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadRequestData("a group must be a JSON object")
    if not isinstance(doc.get("apikey"), str) or not doc["apikey"]:
        raise BadRequestData("a group needs an apikey")
    if not isinstance(doc.get("entity_type"), str) or not doc["entity_type"]:
        raise BadRequestData("a group needs an entity_type")
    _attribute_list(doc.get("attributes"), "attributes")
    _static_values(doc.get("static_attributes"))
    check_commands(doc.get("commands"))
    return {k: v for k, v in doc.items() if k != OWNER}


def validate_device(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadRequestData("a device must be a JSON object")
    if not isinstance(doc.get("device_id"), str) or not doc["device_id"]:
        raise BadRequestData("a device needs a device_id")
    if "/" in doc["device_id"] or "+" in doc["device_id"] or "#" in doc["device_id"]:
        raise BadRequestData("a device_id cannot contain '/', '+' or '#' (MQTT topic characters)")
    if doc.get("entity_name") is not None:
        check_uri(doc["entity_name"], "entity_name")
    _attribute_list(doc.get("attributes"), "attributes")
    _static_values(doc.get("static_attributes"))
    if doc.get("apikey") is not None and not isinstance(doc["apikey"], str):
        raise BadRequestData("a device's apikey must be text")
    check_commands(doc.get("commands"))
    return {k: v for k, v in doc.items() if k != OWNER}


def config_for(tenant: str, device: dict[str, Any], group: dict[str, Any] | None) -> DeviceConfig:
    group = group or {}
    entity_type = device.get("entity_type") or group.get("entity_type") or "Device"
    apikey = device.get("apikey") or group.get("apikey") or ""
    entity_id = device.get("entity_name") or f"urn:ngsi-ld:{entity_type}:{device['device_id']}"
    attributes: dict[str, AttributeMap] = {}
    for attr in [*(group.get("attributes") or []), *(device.get("attributes") or [])]:
        attributes[attr.get("object_id") or attr["name"]] = AttributeMap(
            attr["name"], attr.get("type", "Property"), attr.get("metadata") or {}
        )
    static = [*(group.get("static_attributes") or []), *(device.get("static_attributes") or [])]
    explicit = bool(device.get("explicitAttrs", group.get("explicitAttrs", False)))
    owner = device.get(OWNER) or group.get(OWNER)
    return DeviceConfig(
        tenant,
        device["device_id"],
        apikey,
        entity_id,
        entity_type,
        attributes,
        static,
        explicit,
        owner if isinstance(owner, str) else None,
        command_names(group, device),
        str(device.get("protocol") or group.get("protocol") or ""),
    )


def public_doc(doc: dict[str, Any], show_secret: bool) -> dict[str, Any]:
    """A group or device as the IoT-agent API shows it: the apikey only to its department."""
    out = {k: v for k, v in doc.items() if k != OWNER}
    if not show_secret and out.get("apikey"):
        out["apikey"] = "***"
    return out


class DeviceRegistry:
    """Looks devices up by (apikey, device_id) with a short cache; auto-provisions if allowed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.on_change: list[Callable[[], None]] = []  # told when provisioning changes
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, DeviceConfig]] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
        for listener in self.on_change:
            listener()

    def command_configs(self, tenant: str) -> list[DeviceConfig]:
        """The tenant's provisioned devices that take commands (their own or their group's)."""
        groups = {g.get("apikey", ""): g for g in self.store.devices.list_groups(tenant)}
        if not any(g.get("commands") for g in groups.values()):
            devices = [d for d in self.store.devices.list_devices(tenant) if d.get("commands")]
        else:
            devices = self.store.devices.list_devices(tenant)
        found = []
        for device in devices:
            config = config_for(tenant, device, groups.get(device.get("apikey") or ""))
            if not config.apikey and len(groups) == 1:  # provisioned without one: its group's
                config = config_for(tenant, device, next(iter(groups.values())))
            if config.commands and config.apikey:
                found.append(config)
        return found

    def resolve(self, apikey: str, device_id: str) -> DeviceConfig:
        key = (apikey, device_id)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < _CACHE_SECONDS:
                return hit[1]
        config = self._load(apikey, device_id)
        with self._lock:
            self._cache[key] = (now, config)
        return config

    def _load(self, apikey: str, device_id: str) -> DeviceConfig:
        group_row = self.store.devices.get_group(apikey)
        found = self.store.devices.find_device(apikey, device_id)
        if found is not None:
            tenant, device = found
            return config_for(tenant, device, group_row[1] if group_row else None)
        if group_row is None:
            raise ResourceNotFound(f"no group with apikey '{apikey}' is provisioned")
        tenant, group = group_row
        held = self.store.devices.get_device(tenant, device_id)
        if held is not None:
            # Provisioned without an apikey (as the IoT agents allow): it takes its group's.
            # Provisioned under another apikey: refused, and never replaced by a stub.
            if held.get("apikey"):
                raise ResourceNotFound(
                    f"device '{device_id}' is provisioned under another apikey than '{apikey}'"
                )
            return config_for(tenant, held, group)
        if group.get("autoprovision", True) is False:
            raise ResourceNotFound(f"device '{device_id}' is not provisioned for this apikey")
        device = {"device_id": device_id, "apikey": apikey, "autoprovisioned": True}
        if group.get(OWNER):
            device[OWNER] = group[OWNER]
        self.store.devices.put_device(tenant, device_id, apikey, device)
        return config_for(tenant, device, group)

    # -- provisioning (the IoT-agent API) -----------------------------------------------------
    def provision_groups(
        self, tenant: str, groups: list[dict[str, Any]], actor: Principal | None
    ) -> None:
        """Add or replace groups. An apikey already used by another tenant or department is
        refused: it would move their devices."""
        for group in groups:
            held = self.store.devices.get_group(group["apikey"])
            if held is not None and held[0] != tenant:
                raise AlreadyExists("this apikey is already used by another service group")
            if held is not None:
                policy.check_manage(actor, held[1].get(OWNER), "this service group")
        for group in groups:
            owner = policy.owner_for(actor)
            doc = {**group, OWNER: owner} if owner else group
            self.store.devices.put_group(tenant, group["apikey"], doc)
        self.invalidate()

    def update_group(
        self, tenant: str, apikey: str, changes: dict[str, Any], actor: Principal | None
    ) -> None:
        """Change some fields of a group (the IoT agents' PUT /iot/services?apikey=…); its
        apikey stays."""
        held = self.store.devices.get_group(apikey)
        if held is None or held[0] != tenant:
            raise ResourceNotFound(f"no group with apikey '{apikey}'")
        policy.check_manage(actor, held[1].get(OWNER), "this service group")
        if changes.get("apikey", apikey) != apikey:
            raise BadRequestData("a group's apikey cannot be changed: provision a new group")
        changed = validate_group({**held[1], **changes})
        owner = held[1].get(OWNER)
        doc = {**changed, OWNER: owner} if owner else changed
        self.store.devices.put_group(tenant, apikey, doc)
        self.invalidate()

    def groups(self, tenant: str, actor: Principal | None) -> list[dict[str, Any]]:
        return [
            public_doc(g, policy.may_see_secrets(actor, g.get(OWNER)))
            for g in self.store.devices.list_groups(tenant)
        ]

    def remove_group(self, tenant: str, apikey: str, actor: Principal | None) -> None:
        held = self.store.devices.get_group(apikey)
        if held is None or held[0] != tenant:
            raise ResourceNotFound(f"no group with apikey '{apikey}'")
        policy.check_manage(actor, held[1].get(OWNER), "this service group")
        self.store.devices.delete_group(tenant, apikey)
        self.invalidate()

    def provision_devices(
        self, tenant: str, devices: list[dict[str, Any]], actor: Principal | None
    ) -> None:
        for device in devices:
            if self.store.devices.get_device(tenant, device["device_id"]) is not None:
                raise AlreadyExists(f"device {device['device_id']} is already provisioned")
            group = self.store.devices.get_group(device.get("apikey", ""))
            if group is not None and group[0] != tenant:
                raise AlreadyExists("this apikey belongs to a service group of another tenant")
        owner = policy.owner_for(actor)
        for device in devices:
            doc = {**device, OWNER: owner} if owner else device
            self.store.devices.put_device(
                tenant, device["device_id"], device.get("apikey", ""), doc
            )
        self.invalidate()

    def update_device(
        self, tenant: str, device_id: str, changes: dict[str, Any], actor: Principal | None
    ) -> None:
        """Change some fields of a device (PUT /iot/devices/{id}): its mapping, entity name,
        static attributes or apikey; the device id stays."""
        held = self.store.devices.get_device(tenant, device_id)
        if held is None:
            raise ResourceNotFound(f"device {device_id} is not provisioned")
        policy.check_manage(actor, held.get(OWNER), "this device")
        if changes.get("device_id", device_id) != device_id:
            raise BadRequestData("a device's id cannot be changed: provision a new device")
        changed = validate_device({**held, **changes})
        group = self.store.devices.get_group(changed.get("apikey") or "")
        if group is not None and group[0] != tenant:
            raise AlreadyExists("this apikey belongs to a service group of another tenant")
        changed.pop("autoprovisioned", None)  # provisioned by hand from now on
        owner = held.get(OWNER)
        doc = {**changed, OWNER: owner} if owner else changed
        self.store.devices.put_device(tenant, device_id, changed.get("apikey") or "", doc)
        self.invalidate()

    def devices(self, tenant: str, actor: Principal | None) -> list[dict[str, Any]]:
        return [
            public_doc(d, policy.may_see_secrets(actor, d.get(OWNER)))
            for d in self.store.devices.list_devices(tenant)
        ]

    def device(self, tenant: str, device_id: str, actor: Principal | None) -> dict[str, Any]:
        found = self.store.devices.get_device(tenant, device_id)
        if found is None:
            raise ResourceNotFound(f"device {device_id} is not provisioned")
        return public_doc(found, policy.may_see_secrets(actor, found.get(OWNER)))

    def dead_letters(
        self, tenant: str | None, most: int = 100
    ) -> tuple[int, list[tuple[str, str, bytes, str]]]:
        """(how many, the latest) dead letters of a tenant (None: of no known device)."""
        return self.store.devices.dead_letter_count(tenant), self.store.devices.dead_letters(
            tenant, most
        )

    def remove_device(self, tenant: str, device_id: str, actor: Principal | None) -> None:
        found = self.store.devices.get_device(tenant, device_id)
        if found is None:
            raise ResourceNotFound(f"device {device_id} is not provisioned")
        policy.check_manage(actor, found.get(OWNER), "this device")
        self.store.devices.delete_device(tenant, device_id)
        self.invalidate()
