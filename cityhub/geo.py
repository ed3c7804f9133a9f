"""Geometry helpers on WGS-84 GeoJSON: validation, bounding boxes, distances, relations.

Distances are metres: haversine between points, and a local equirectangular projection around the
reference point for other shapes (accurate to well under 1% at city scale).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # shapely (and numpy) load on the first polygon or geo-query, not at import
    from shapely.geometry.base import BaseGeometry

GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
RELATIONS = ("near", "within", "contains", "intersects", "disjoint", "overlaps", "equals")
EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0


class GeometryError(ValueError):
    """A GeoJSON geometry that is not valid."""


def _check_position(pos: Any) -> None:
    if not isinstance(pos, list) or len(pos) not in (2, 3):
        raise GeometryError("a position must be an array of 2 or 3 numbers")
    for n in pos:
        if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n):
            raise GeometryError("a position must hold finite numbers")
    if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
        raise GeometryError(f"position {pos[:2]} is outside WGS-84 longitude/latitude bounds")


def _check_nested(coords: Any, depth: int) -> None:
    if depth == 0:
        _check_position(coords)
        return
    if not isinstance(coords, list) or not coords:
        raise GeometryError("coordinates are not nested as the geometry type requires")
    for item in coords:
        _check_nested(item, depth - 1)


_DEPTH = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}


def validate(geometry: Any) -> None:
    """Check a GeoJSON geometry's structure and WGS-84 bounds without building a shape."""
    if not isinstance(geometry, dict):
        raise GeometryError("a geometry must be a GeoJSON object")
    gtype = geometry.get("type")
    if gtype not in GEOMETRY_TYPES:
        raise GeometryError(f"unsupported geometry type {gtype!r}")
    coords: Any = geometry.get("coordinates")
    _check_nested(coords, _DEPTH[gtype])
    if gtype == "LineString" and len(coords) < 2:
        raise GeometryError("a LineString needs at least two positions")
    rings = [coords] if gtype == "Polygon" else coords if gtype == "MultiPolygon" else []
    for polygon in rings:
        for ring in polygon:
            if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
                raise GeometryError("a polygon ring needs at least four positions and must close")
    if rings:
        _check_simple(geometry)


def _check_simple(geometry: dict[str, Any]) -> None:
    """Polygons must be valid (OGC simple features): a self-intersecting ring makes every
    spatial relation undefined, so it is refused with the reason and where."""
    import shapely
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    try:
        geom = shape(geometry)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(f"invalid {geometry['type']}: {exc}") from exc
    if not geom.is_valid:
        raise GeometryError(f"invalid {geometry['type']}: {explain_validity(geom)}")


def to_shape(geometry: Any) -> BaseGeometry:
    """Validate a GeoJSON geometry object and return it as a shapely geometry."""
    import shapely
    from shapely.geometry import shape

    validate(geometry)
    gtype = geometry["type"]
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(f"invalid {gtype}: {exc}") from exc
    return geom


def parse_query_geometry(gtype: str, coordinates: Any) -> dict[str, Any]:
    """Build and validate the geometry of a geo-query from its `geometry` and `coordinates`."""
    geometry = {"type": gtype, "coordinates": coordinates}
    to_shape(geometry)
    return geometry


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a validated geometry."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return float(coords[0]), float(coords[1]), float(coords[0]), float(coords[1])
    xs: list[float] = []
    ys: list[float] = []
    stack = [coords]
    while stack:
        item = stack.pop()
        if item and isinstance(item[0], int | float):
            xs.append(float(item[0]))
            ys.append(float(item[1]))
        else:
            stack.extend(item)
    return min(xs), min(ys), max(xs), max(ys)


def expand_bbox_metres(
    box: tuple[float, float, float, float], metres: float
) -> tuple[float, float, float, float]:
    """Grow a lon/lat box by a distance in metres (used to pre-filter `near`)."""
    minx, miny, maxx, maxy = box
    dlat = metres / _M_PER_DEG_LAT
    lat = max(abs(miny), abs(maxy)) + dlat
    cos_lat = max(math.cos(math.radians(min(lat, 89.9))), 1e-6)
    dlon = metres / (_M_PER_DEG_LON_EQ * cos_lat)
    return minx - dlon, miny - dlat, maxx + dlon, maxy + dlat


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """Shortest distance in metres between two WGS-84 geometries."""
    if a.geom_type == "Point" and b.geom_type == "Point":
        return haversine_m(a.x, a.y, b.x, b.y)
    if a.intersects(b):
        return 0.0
    import shapely

    ref = b.centroid
    kx = _M_PER_DEG_LON_EQ * math.cos(math.radians(ref.y))

    def project(g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(g, lambda xy: (xy - [ref.x, ref.y]) * [kx, _M_PER_DEG_LAT])

    return float(project(a).distance(project(b)))


def relation_holds(
    relation: str,
    entity_geom: BaseGeometry,
    query_geom: BaseGeometry,
    max_distance: float | None = None,
    min_distance: float | None = None,
) -> bool:
    """Whether `entity_geom relation query_geom` holds (near uses the distances in metres)."""
    if relation == "near":
        d = distance_m(entity_geom, query_geom)
        if max_distance is not None and d > max_distance:
            return False
        return not (min_distance is not None and d < min_distance)
    if relation == "within":
        return bool(entity_geom.within(query_geom))
    if relation == "contains":
        return bool(entity_geom.contains(query_geom))
    if relation == "intersects":
        return bool(entity_geom.intersects(query_geom))
    if relation == "disjoint":
        return bool(entity_geom.disjoint(query_geom))
    if relation == "overlaps":
        return bool(entity_geom.overlaps(query_geom))
    if relation == "equals":
        return bool(entity_geom.equals(query_geom))
    raise GeometryError(f"unknown geo relation {relation!r}")
