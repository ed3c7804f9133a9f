"""The demo's simulated readings behave like a street's: each follows the city's clock and its
own last value (no store needed: the model is plain functions)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import statistics
from typing import Any

from cityhub.demo.readings import device_reading

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(hour: float) -> dt.datetime:
    whole = int(hour)
    return dt.datetime(2026, 12, 1, whole, int((hour - whole) * 60), tzinfo=SHANGHAI)


def values(reading: dict[str, Any]) -> dict[str, Any]:
    return {name: attr["value"] for name, attr in reading.items()}


def series(kind: str, hours: list[float], seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    last: dict[str, Any] | None = None
    for hour in hours:
        last = values(device_reading(kind, rng, last, at(hour)))
        out.append(last)
    return out


def test_bins_fill_steadily_and_are_emptied_on_collection_rounds() -> None:
    ticks = [10 + i * 0.01 for i in range(800)] + [18.0 + i * 0.002 for i in range(200)]
    levels = [float(r["fillingLevel"]) for r in series("WasteContainer", ticks)]
    assert all(0.0 <= v <= 1.0 for v in levels)
    drops = [(a, b) for a, b in itertools.pairwise(levels) if b < a]
    assert drops, "never emptied"
    assert all(b <= 0.05 for _, b in drops)  # a level only ever falls to an emptied bin
    assert max(b - a for a, b in itertools.pairwise(levels)) <= 0.011


def test_traffic_slows_as_roads_fill_and_peaks_at_rush_hour() -> None:
    rush = series("TrafficFlowObserved", [8.3] * 200)
    night = series("TrafficFlowObserved", [3.0] * 200)
    occ = statistics.mean(float(r["occupancy"]) for r in rush)
    assert occ > 2 * statistics.mean(float(r["occupancy"]) for r in night)
    speed = [float(r["averageVehicleSpeed"]) for r in rush + night]
    occupancy = [float(r["occupancy"]) for r in rush + night]
    assert statistics.correlation(occupancy, speed) < -0.8
    assert all(float(r["averageVehicleSpeed"]) < 60 for r in rush if float(r["occupancy"]) > 0.6)


def test_air_quality_drifts_with_units_and_humidity_in_percent() -> None:
    rng = random.Random(4)
    first = device_reading("AirQualityObserved", rng, None, at(12))
    assert first["relativeHumidity"]["unitCode"] == "P1" and first["pm25"]["unitCode"] == "GQ"
    readings = series("AirQualityObserved", [12 + i / 1200 for i in range(600)])
    pm = [float(r["pm25"]) for r in readings]
    assert max(abs(b - a) for a, b in itertools.pairwise(pm)) < 8
    assert all(35 <= float(r["relativeHumidity"]) <= 98 for r in readings)
    dawn = statistics.mean(float(r["pm25"]) for r in series("AirQualityObserved", [5.0] * 300))
    noon = statistics.mean(float(r["pm25"]) for r in series("AirQualityObserved", [15.0] * 300))
    assert dawn > noon * 1.2


def test_street_lights_follow_dusk_and_dawn() -> None:
    night, day = series("Streetlight", [22.0])[0], series("Streetlight", [12.0])[0]
    assert night["powerState"] == "on" and float(night["illuminanceLevel"]) >= 0.8
    assert day["powerState"] == "off" and day["illuminanceLevel"] == 0.0
