"""The demo's community service points: a clearly labelled synthetic set (no open register of
Shenzhen's points exists), every name ending in （模拟） and every entity saying so in
`dataProvider`. Each point stands by a bus stop (people live and walk near them), 50–150 m
away; each district gets points in proportion to its 2020 census population; hours and
capacity are typical of each kind."""

from __future__ import annotations

import csv
import io
import math
import random
from importlib import resources
from typing import TYPE_CHECKING

from cityhub.care.points import KINDS, ServicePoint

if TYPE_CHECKING:
    from cityhub.hub import Hub

# kind -> (points in the whole city, hours, capacity range or None)
PLAN: dict[str, tuple[int, list[str], tuple[int, int] | None]] = {
    "community_health_centre": (120, ["Mo-Su 08:00-12:00,14:00-20:00; PH 09:00-12:00"], (150, 300)),
    "clinic": (50, ["Mo-Sa 08:30-21:00; PH off"], None),
    "hospital": (15, ["24/7"], (500, 2000)),
    "elder_care_home": (30, ["24/7"], (80, 300)),
    "day_care_centre": (60, ["Mo-Fr 08:30-17:30; PH off"], (20, 40)),
    "elderly_canteen": (80, ["Mo-Su 11:00-13:00,17:00-18:30"], (40, 80)),
    "community_service_centre": (
        80, ["Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off"], None,
    ),
    "pharmacy": (150, ["Mo-Su 08:00-22:00", "24/7"], None),
    "aed": (100, ["24/7"], None),
}  # fmt: skip
PROVIDER = "cityhub demo: synthetic (模拟数据), not a real register"
SERVICES = {
    "community_health_centre": {"community_health_centre", "general_practice", "vaccination"},
    "hospital": {"hospital", "general_practice", "emergency"},
    "elderly_canteen": {"elderly_canteen", "meals"},
    "day_care_centre": {"day_care_centre", "elder_day_care"},
}


def _stops() -> list[tuple[str, float, float]]:
    text = resources.files("cityhub.demo").joinpath("data", "shenzhen_bus_stops.csv")
    rows = csv.DictReader(io.StringIO(text.read_text(encoding="utf-8")))
    return [(r["name"], float(r["lon"]), float(r["lat"])) for r in rows]


def synthetic_points(hub: Hub, seed: int = 15) -> list[ServicePoint]:
    from cityhub.demo.survey import _populations

    rng = random.Random(seed)
    locator = hub.requests.locator
    by_district: dict[str, list[tuple[str, float, float, str | None]]] = {}
    for name, lon, lat in _stops():
        place = locator.locate(lat, lon)
        if place.district:
            by_district.setdefault(place.district, []).append((name, lon, lat, place.street))
    people = {d: n for d, n in _populations().items() if d in by_district}
    total = sum(people.values())
    points: list[ServicePoint] = []
    for kind, (count, hours, capacity) in PLAN.items():
        zh = KINDS[kind][0]
        for district, share in people.items():
            for _ in range(max(1, round(count * share / total))):
                stop, lon, lat, street = rng.choice(by_district[district])
                metres, heading = rng.uniform(50, 150), rng.uniform(0, 2 * math.pi)
                lat2 = lat + metres * math.cos(heading) / 111_320
                lon2 = lon + metres * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
                size = rng.randint(*capacity) if capacity else None
                used = rng.randint(0, size) if size else None
                ident = f"urn:ngsi-ld:PointOfInterest:{hub.settings.city}:{kind}-{len(points):04d}"
                points.append(
                    ServicePoint(ident, f"{street or district}{stop}{zh}（模拟）", kind,
                                 frozenset(SERVICES.get(kind, {kind})), round(lon2, 6),
                                 round(lat2, 6), rng.choice(hours), size, used, PROVIDER)
                )  # fmt: skip
    return points


def load_demo_points(hub: Hub) -> int:
    """The synthetic service points, once (0 when the store has points already)."""
    if hub.care.index().points:
        return 0
    return hub.care.save(synthetic_points(hub))
