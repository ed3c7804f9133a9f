"""Community service points (社康中心, clinics, elder-care homes, day-care centres, elderly
canteens, community service centres, pharmacies, AEDs…) and the question a resident asks: the
nearest ones offering a service, open at a moment, with free capacity.

A point is an NGSI-LD `PointOfInterest` (the Smart Data Models type) with `name`, `category`
(its kind), `servicesOffered`, `openingHours` (the OpenStreetMap `opening_hours` syntax),
`capacity` and `occupancy` (the live count a device or the staff updates) and a `location`.

Walking time without a street network: the great-circle distance times 1.3 (a usual detour
index of city street grids) at 80 m a minute (4.8 km/h)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

ENTITY_TYPE = "PointOfInterest"
KINDS = {
    "community_health_centre": ("社康中心", "Community health centre"),
    "clinic": ("诊所", "Clinic"),
    "hospital": ("医院", "Hospital"),
    "elder_care_home": ("养老院", "Elder-care home"),
    "day_care_centre": ("日间照料中心", "Day-care centre"),
    "elderly_canteen": ("长者饭堂", "Elderly canteen"),
    "community_service_centre": ("党群服务中心", "Community service centre"),
    "pharmacy": ("药店", "Pharmacy"),
    "aed": ("AED", "AED"),
}
DETOUR = 1.3
WALK_M_PER_MIN = 80.0
EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class ServicePoint:
    id: str
    name: str
    kind: str
    services: frozenset[str]
    lon: float
    lat: float
    hours: str = "24/7"
    capacity: int | None = None
    occupancy: int | None = None
    provider: str = ""  # where the record comes from (the demo's say they are synthetic)

    @property
    def free(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - (self.occupancy or 0), 0)


def entity_body(p: ServicePoint) -> dict[str, Any]:
    """The point as a normalized NGSI-LD entity in the core vocabulary."""
    body: dict[str, Any] = {
        "id": p.id,
        "type": ENTITY_TYPE,
        "name": {"type": "Property", "value": p.name},
        "category": {"type": "Property", "value": [p.kind]},
        "servicesOffered": {"type": "Property", "value": sorted(p.services or {p.kind})},
        "openingHours": {"type": "Property", "value": p.hours},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [p.lon, p.lat]},
        },
    }
    if p.provider:
        body["dataProvider"] = {"type": "Property", "value": p.provider}
    if p.capacity is not None:
        body["capacity"] = {"type": "Property", "value": p.capacity}
        body["occupancy"] = {"type": "Property", "value": p.occupancy or 0}
    return body


def walking_minutes(metres: float) -> float:
    return metres * DETOUR / WALK_M_PER_MIN


def _radians(values: Any) -> np.ndarray:
    return np.radians(np.asarray(values, dtype=np.float64))


def great_circle_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Metres from one point to many (haversine); `lats`/`lons` in radians."""
    la, lo = math.radians(lat), math.radians(lon)
    h = np.sin((lats - la) / 2) ** 2 + math.cos(la) * np.cos(lats) * np.sin((lons - lo) / 2) ** 2
    out: np.ndarray = 2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return out
