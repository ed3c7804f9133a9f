"""Parse device payloads: IoT-agent JSON (object, array, single attribute) and UltraLight 2.0."""

from __future__ import annotations

from typing import Any

import orjson

from cityhub.timeutil import is_datetime

TIME_INSTANT = "TimeInstant"


class PayloadError(ValueError):
    """A payload that cannot be read; it goes to the dead-letter table with this reason."""


def parse_json(payload: bytes) -> list[dict[str, Any]]:
    """Observations (measure name -> value) from a JSON payload."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) and i for i in items):
        raise PayloadError("a JSON payload must be an object of measures or an array of them")
    return items


def parse_single(payload: bytes, object_id: str, fmt: str) -> list[dict[str, Any]]:
    """One measure sent on its own attribute's topic: a JSON value, or (UltraLight, or a legacy
    topic's payload that is not JSON) the text itself."""
    if fmt != "ul":
        try:
            return [{object_id: orjson.loads(payload)}]
        except orjson.JSONDecodeError as exc:
            if fmt == "json":
                raise PayloadError(f"not JSON: {exc}") from exc
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise PayloadError("an UltraLight measure must be UTF-8 text") from exc
    if not text:
        raise PayloadError(f"empty measure for {object_id!r}")
    return [{object_id: _ul_value(text)}]


def looks_like_json(payload: bytes) -> bool:
    """On a legacy topic the JSON agent reads JSON objects and arrays, the UltraLight agent
    `key|value` text: an object or array is JSON, anything else UltraLight."""
    return payload.lstrip()[:1] in (b"{", b"[")


def _ul_value(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_ul(payload: bytes) -> list[dict[str, Any]]:
    """UltraLight 2.0: 't|15|h|70', groups split by '#', an optional leading timestamp."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise PayloadError("UltraLight payloads must be UTF-8 text") from exc
    if not text:
        raise PayloadError("empty UltraLight payload")
    observations = []
    for group in text.split("#"):
        fields = [f.strip() for f in group.split("|")]
        measures: dict[str, Any] = {}
        if len(fields) % 2 == 1 and is_datetime(fields[0]):
            measures[TIME_INSTANT] = fields[0]
            fields = fields[1:]
        if len(fields) % 2 or not fields:
            raise PayloadError(f"UltraLight group {group!r} is not key|value pairs")
        for key, value in zip(fields[::2], fields[1::2], strict=True):
            if not key:
                raise PayloadError(f"UltraLight group {group!r} has an empty key")
            measures[key] = _ul_value(value)
        observations.append(measures)
    return observations
