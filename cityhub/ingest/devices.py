"""Provisioned groups and devices (IoT-agent format): how measures map to attributes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cityhub.broker.normalize import check_name, check_uri
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.store import Store

_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class AttributeMap:
    name: str
    type: str


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


def _attribute_list(raw: Any, what: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise BadRequestData(f"{what} must be an array of objects")
    for attr in raw:
        check_name(attr.get("name"), f"{what} name")
    return raw


def validate_group(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadRequestData("a group must be a JSON object")
    if not isinstance(doc.get("apikey"), str) or not doc["apikey"]:
        raise BadRequestData("a group needs an apikey")
    if not isinstance(doc.get("entity_type"), str) or not doc["entity_type"]:
        raise BadRequestData("a group needs an entity_type")
    _attribute_list(doc.get("attributes"), "attributes")
    _attribute_list(doc.get("static_attributes"), "static_attributes")
    return doc


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
    _attribute_list(doc.get("static_attributes"), "static_attributes")
    return doc


def config_for(tenant: str, device: dict[str, Any], group: dict[str, Any] | None) -> DeviceConfig:
    group = group or {}
    entity_type = device.get("entity_type") or group.get("entity_type") or "Device"
    apikey = device.get("apikey") or group.get("apikey") or ""
    entity_id = device.get("entity_name") or f"urn:ngsi-ld:{entity_type}:{device['device_id']}"
    attributes: dict[str, AttributeMap] = {}
    for attr in [*(group.get("attributes") or []), *(device.get("attributes") or [])]:
        attributes[attr.get("object_id") or attr["name"]] = AttributeMap(
            attr["name"], attr.get("type", "Property")
        )
    static = [*(group.get("static_attributes") or []), *(device.get("static_attributes") or [])]
    explicit = bool(device.get("explicitAttrs", group.get("explicitAttrs", False)))
    return DeviceConfig(
        tenant, device["device_id"], apikey, entity_id, entity_type, attributes, static, explicit
    )


class DeviceRegistry:
    """Looks devices up by (apikey, device_id) with a short cache; auto-provisions if allowed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, DeviceConfig]] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

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
        group_row = self.store.get_group(apikey)
        found = self.store.find_device(apikey, device_id)
        if found is not None:
            tenant, device = found
            return config_for(tenant, device, group_row[1] if group_row else None)
        if group_row is None:
            raise ResourceNotFound(f"no group with apikey '{apikey}' is provisioned")
        tenant, group = group_row
        if group.get("autoprovision", True) is False:
            raise ResourceNotFound(f"device '{device_id}' is not provisioned for this apikey")
        device = {"device_id": device_id, "apikey": apikey, "autoprovisioned": True}
        self.store.put_device(tenant, device_id, apikey, device)
        return config_for(tenant, device, group)
