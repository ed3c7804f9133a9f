"""Plausible readings for the demo's simulated devices.

Each kind follows the city's clock and its own last reading, so what the dashboard shows could
have come from a street: traffic with morning and evening peaks whose speed falls as occupancy
rises, PM2.5 that drifts (higher at night and early morning) instead of jumping, bins that fill
steadily and are emptied on collection rounds, street lights on from dusk to dawn, parking that
fills in the day. Values carry their UN/CEFACT unit codes (GQ µg/m³, CEL °C, P1 %, KMH km/h,
C62 for a ratio between 0 and 1, as Smart Data Models give filling level and occupancy).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from typing import Any

# The kinds of device the demo simulates (and this model gives readings for).
DEVICE_KINDS = (
    "AirQualityObserved",
    "ParkingSpot",
    "WasteContainer",
    "TrafficFlowObserved",
    "Streetlight",
)
COLLECTION_HOURS = (6, 18)  # local hours of the waste collection rounds
LIGHTS_ON, LIGHTS_OFF = 18.5, 6.5  # local hours: dusk and dawn, near enough for Shenzhen


def _peak(hour: float, centre: float, width: float) -> float:
    """A smooth bump around `centre` o'clock (wrapping midnight), 1 at its top."""
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-((distance / width) ** 2))


def traffic_demand(hour: float) -> float:
    """Share of a road's capacity in use at a local hour: night floor, two commuting peaks."""
    return min(0.95, 0.08 + 0.75 * _peak(hour, 8.3, 1.6) + 0.8 * _peak(hour, 18.2, 1.8)
               + 0.35 * _peak(hour, 13.0, 3.5))  # fmt: skip


def pm25_factor(hour: float) -> float:
    """PM2.5 over the day relative to its mean: highest before dawn, lowest mid-afternoon."""
    return 1.0 + 0.25 * math.cos(2 * math.pi * (hour - 5.0) / 24)


def _local_hour(at: dt.datetime | None, timezone: str) -> float:
    from zoneinfo import ZoneInfo  # here: the CLI imports this module for DEVICE_KINDS

    moment = (at or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone))
    return moment.hour + moment.minute / 60


def _num(previous: Mapping[str, Any], name: str) -> float | None:
    value = previous.get(name)
    return float(value) if isinstance(value, int | float) else None


def _prop(value: Any, unit: str | None = None) -> dict[str, Any]:
    attr: dict[str, Any] = {"type": "Property", "value": value}
    if unit:
        attr["unitCode"] = unit
    return attr


def device_reading(
    kind: str,
    rng: random.Random,
    previous: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """The next reading of a device of `kind`, as NGSI-LD attributes. `previous` holds the
    device's last values by attribute name (none: a first reading); `at` is the moment (now)."""
    last = previous or {}
    hour = _local_hour(at, timezone)
    if kind == "AirQualityObserved":
        target = 28.0 * pm25_factor(hour)
        before = _num(last, "pm25")
        pm25 = (
            max(3.0, rng.gauss(target, 6))
            if before is None
            else max(3.0, before + 0.15 * (target - before) + rng.gauss(0, 1.2))
        )
        temp_target = 23.0 + 4.0 * math.cos(2 * math.pi * (hour - 14.5) / 24)
        temp_before = _num(last, "temperature")
        temperature = (
            rng.gauss(temp_target, 1.0)
            if temp_before is None
            else temp_before + 0.2 * (temp_target - temp_before) + rng.gauss(0, 0.1)
        )
        # humidity falls as the day warms (percent)
        humidity = min(98.0, max(35.0, 95.0 - 2.2 * (temperature - 15.0) + rng.gauss(0, 1.5)))
        no2 = max(2.0, 12.0 + 40.0 * traffic_demand(hour) + rng.gauss(0, 3))
        return {
            "pm25": _prop(round(pm25, 1), "GQ"),
            "pm10": _prop(round(pm25 * rng.uniform(1.5, 1.7), 1), "GQ"),
            "no2": _prop(round(no2, 1), "GQ"),
            "temperature": _prop(round(temperature, 1), "CEL"),
            "relativeHumidity": _prop(round(humidity, 1), "P1"),
        }
    if kind == "ParkingSpot":
        busy = 0.25 + 0.6 * _peak(hour, 14.0, 5.0)  # chance of being taken at this hour
        before = last.get("status")
        keep = before in ("free", "occupied") and rng.random() < 0.85  # most spots stay put
        status = str(before) if keep else ("occupied" if rng.random() < busy else "free")
        return {"status": _prop(status)}
    if kind == "WasteContainer":
        before = _num(last, "fillingLevel")
        level = rng.uniform(0.05, 0.6) if before is None else before + rng.uniform(0.0, 0.01)
        collecting = any(abs(hour - h) < 0.5 for h in COLLECTION_HOURS)
        if level >= 0.98 or (collecting and level > 0.3 and rng.random() < 0.2):
            level = rng.uniform(0.0, 0.05)  # emptied by the round
        return {"fillingLevel": _prop(round(min(level, 1.0), 2), "C62")}
    if kind == "TrafficFlowObserved":
        occupancy = min(0.98, max(0.01, traffic_demand(hour) + rng.gauss(0, 0.05)))
        free_flow = 70.0
        speed = max(4.0, free_flow * (1 - 0.85 * occupancy**2) + rng.gauss(0, 3))
        intensity = round(2200 * occupancy * speed / free_flow * 1.6)  # vehicles per hour
        return {
            "intensity": _prop(max(0, intensity)),
            "averageVehicleSpeed": _prop(round(speed, 1), "KMH"),
            "occupancy": _prop(round(occupancy, 2), "C62"),
        }
    on = hour >= LIGHTS_ON or hour < LIGHTS_OFF
    level = round(rng.uniform(0.8, 1.0), 2) if on else 0.0
    return {"powerState": _prop("on" if on else "off"), "illuminanceLevel": _prop(level, "C62")}
