"""Parse device payloads: IoT-agent JSON (object, array, single attribute) and UltraLight 2.0."""

from __future__ import annotations

from typing import Any

import orjson

from cityhub.timeutil import is_datetime

TIME_INSTANT = "TimeInstant"


class PayloadError(ValueError):
    """A payload that cannot be read; it goes to the dead-letter table with this reason."""


def parse_json(payload: bytes, object_id: str | None = None) -> list[dict[str, Any]]:
    """Observations (measure name -> value) from a JSON payload."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if object_id is not None:
        return [{object_id: data}]
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) and i for i in items):
        raise PayloadError("a JSON payload must be an object of measures or an array of them")
    return items


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
