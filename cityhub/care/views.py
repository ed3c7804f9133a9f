"""A found service point as the API, the CLI and the pages show it."""

from __future__ import annotations

from typing import Any

from cityhub.care.nearest import Found
from cityhub.care.points import DETOUR, KINDS, WALK_M_PER_MIN

METHOD = (
    f"walking time = great-circle distance × {DETOUR} (detour index) at {WALK_M_PER_MIN:g} m/min"
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
        "open": f.open,
        "hours": p.hours,
        "capacity": p.capacity,
        "free": p.free,
    }
