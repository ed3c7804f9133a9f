"""Is a new request the same problem as one already reported? Same service, close by, recent,
and saying much the same thing: then it is suggested for merging (an operator decides)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cityhub.citizen.catalog import DuplicateRules
from cityhub.store.citizen_sql import RequestRow

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class DuplicateCandidate:
    request_id: int
    similarity: float
    distance_m: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "service_request_id": str(self.request_id),
            "similarity": round(self.similarity, 3),
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
        }


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) enclosing a circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


_NOT_WORD = re.compile(r"[\W_]+")


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the letters and digits of a text, lower-cased."""
    kept = _NOT_WORD.sub("", text.lower())
    if len(kept) < 2:
        return frozenset([kept] if kept else [])
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1))


def dice(x: frozenset[str], y: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams (letters and digits only): 1 for the same text."""
    return dice(bigrams(a), bigrams(b))


def find_duplicates(
    description: str,
    lat: float | None,
    lon: float | None,
    candidates: list[RequestRow],
    rules: DuplicateRules,
) -> list[DuplicateCandidate]:
    """The candidates that pass the radius and text rules, most similar first."""
    found = []
    mine = bigrams(description)
    for row in candidates:
        if row.merged_into is not None:
            continue  # its target is the one to merge with
        gap = None
        if lat is not None and lon is not None and row.lat is not None and row.lon is not None:
            gap = distance_m(lat, lon, row.lat, row.lon)
            if gap > rules.radius_m:
                continue
        theirs = f"{row.doc.get('title', '')}{row.doc.get('description', '')}"
        score = dice(mine, bigrams(theirs))
        if score >= rules.min_similarity:
            found.append(DuplicateCandidate(row.id, score, gap))
    found.sort(key=lambda c: (-c.similarity, c.request_id))
    return found[:5]
