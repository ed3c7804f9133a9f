"""A device measure as an NGSI-LD attribute, by the type it was provisioned with.

Anything a device sends may be wrong: every failure here is a ConversionError naming the
measure, so one bad message is dead-lettered and never stops the others."""

from __future__ import annotations

import math
from typing import Any

from cityhub.geo import GeometryError, validate
from cityhub.limits import INT64_MAX


class ConversionError(ValueError):
    pass


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ConversionError("a boolean is not a number")
    number = float(value)  # ValueError/TypeError for text and objects
    if not math.isfinite(number):
        raise ConversionError("the number is not finite")
    return number


def convert(value: Any, kind: str) -> dict[str, Any]:
    """An attribute from a measure and its provisioned type; ConversionError if it cannot be."""
    try:
        return _convert(value, kind)
    except ConversionError:
        raise
    except (TypeError, ValueError, OverflowError, GeometryError) as exc:
        raise ConversionError(str(exc) or type(exc).__name__) from exc


def _convert(value: Any, kind: str) -> dict[str, Any]:
    lowered = kind.lower()
    if lowered in ("number", "float", "double"):
        return {"type": "Property", "value": _number(value)}
    if lowered in ("integer", "int"):
        number = _number(value)
        if abs(number) > INT64_MAX:
            raise ConversionError("the integer is out of range")
        return {"type": "Property", "value": int(number)}
    if lowered == "boolean":
        text = str(value).lower()
        return {"type": "Property", "value": value is True or text in ("true", "1", "on")}
    if lowered in ("geo:point", "geoproperty"):
        if isinstance(value, str):
            lat, lon = (_number(x) for x in value.split(","))
            value = {"type": "Point", "coordinates": [lon, lat]}
        validate(value)
        return {"type": "GeoProperty", "value": value}
    if lowered == "relationship":
        return {"type": "Relationship", "object": str(value)}
    if isinstance(value, float) and not math.isfinite(value):
        raise ConversionError("the number is not finite")
    return {"type": "Property", "value": value}


def add_metadata(attr: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """An attribute with its provisioned metadata, as the IoT Agent for NGSI-LD writes it:
    `unitCode` becomes the attribute's unitCode, any other item a sub-property (a
    Relationship when its type says so)."""
    for name, item in metadata.items():
        value = item.get("value") if isinstance(item, dict) else item
        if name == "unitCode":
            attr["unitCode"] = str(value)
        elif isinstance(item, dict) and str(item.get("type", "")).lower() == "relationship":
            attr[name] = {"type": "Relationship", "object": str(value)}
        else:
            attr[name] = {"type": "Property", "value": value}
    return attr
