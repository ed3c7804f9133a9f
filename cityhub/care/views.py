"""A found service point as the API, the CLI and the pages show it."""

from __future__ import annotations

from typing import Any

from cityhub.care.nearest import Found
from cityhub.care.points import DETOUR, KINDS, WALK_M_PER_MIN
from cityhub.care.transit import BUS_M_PER_MIN, ROAD, WAIT_MIN, WALK_M

METHOD = (
    f"walking time = great-circle distance × {DETOUR} (detour index) at {WALK_M_PER_MIN:g} m/min"
)
STREETS_METHOD = "; walking along the city's streets (OpenStreetMap) where it has them"
BUS_METHOD = (
    f"; by bus: walk ≤ {WALK_M:g} m to and from a stop, {WAIT_MIN:g} min wait, one line at "
    f"{BUS_M_PER_MIN:g} m/min along its stops × {ROAD}"
)


def found_view(f: Found) -> dict[str, Any]:
    p = f.point
    zh, en = KINDS.get(p.kind, (p.kind, p.kind))
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "kind_name": {"zh": zh, "en": en},
        "services": sorted(p.services),
        "lat": p.lat,
        "lon": p.lon,
        "metres": round(f.metres),
        "walk_minutes": round(f.minutes, 1),
        "walk_metres": None if f.walked_m is None else round(f.walked_m),
        "minutes": round(f.fastest, 1),
        "mode": "bus" if f.ride else "walk",
        "bus": None
        if f.ride is None
        else {
            "line": f.ride.line,
            "board": f.ride.board,
            "alight": f.ride.alight,
            "stops": f.ride.stops,
            "walk_minutes": round(f.ride.walk_minutes, 1),
        },
        "open": f.open,
        "hours": p.hours,
        "capacity": p.capacity,
        "free": p.free,
    }
