"""Life-circle gaps by area for the map: the share of each street (or district, when the city
has no street boundaries) that lies within a kind's walking circle, and the residents left
out where the area's population is known.

Each area is sampled on a regular grid (GRID_M apart, at least one point per area), kept where
people live: within SETTLED_M of a bus stop when the city's stops are in the store. A point is
covered when a service point of the kind is within the circle's walking metres (great-circle
× 1.3, as elsewhere in cityhub.care). Without a finer population grid, residents are taken as
spread evenly over their area, so the residents left out are the area's population times the
uncovered share — an estimate the report names as such. `cityhub care coverage` takes a
city's own resident points when it has them."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from cityhub.care.coverage import Residents, coverage
from cityhub.care.streets import StreetNetwork
from cityhub.errors import ConfigurationError

GRID_M = 250.0
SETTLED_M = 500.0
METHOD = (
    "share of the area's settled grid points (250 m apart, within 500 m of a bus stop when the "
    "city's stops are loaded) within walking reach (great-circle × 1.3); residents left out "
    "assume people spread evenly over those points"
)


@dataclass(frozen=True)
class AreaGap:
    name: str
    share: float
    people: int | None

    @property
    def left_out(self) -> int | None:
        return None if self.people is None else round(self.people * (1 - self.share))

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "share": round(self.share, 4), "people": self.people,
                "leftOut": self.left_out}  # fmt: skip


def area_grid(names: list[str], geometries: list[Any], spacing_m: float = GRID_M) -> Residents:
    """Sample points of every area, each weighing one."""
    import shapely

    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    areas: list[str] = []
    for name, geom in zip(names, geometries, strict=True):
        west, south, east, north = geom.bounds
        dlat = spacing_m / 110_540
        dlon = spacing_m / (111_320 * math.cos(math.radians((south + north) / 2)))
        grid_x, grid_y = np.meshgrid(np.arange(west, east, dlon), np.arange(south, north, dlat))
        xs, ys = grid_x.ravel(), grid_y.ravel()
        inside = shapely.contains_xy(geom, xs, ys)
        if not inside.any():  # an area smaller than the grid: one point inside it
            point = geom.representative_point()
            xs, ys, inside = np.array([point.x]), np.array([point.y]), np.array([True])
        lats.append(ys[inside])
        lons.append(xs[inside])
        areas += [name] * int(inside.sum())
    lat_all, lon_all = np.concatenate(lats), np.concatenate(lons)
    return Residents(lat_all, lon_all, np.ones(lat_all.shape[0]), areas)


def settled(grid: Residents, stops: list[tuple[float, float]], within_m: float) -> Residents:
    """The grid points within `within_m` of a bus stop: where people live and walk, which
    leaves out mountains, water and airfields. The grid unchanged when there are no stops."""
    if not stops:
        return grid
    from scipy.spatial import cKDTree

    lat0 = math.radians(float(np.mean(grid.lats)))

    def metres(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        return np.column_stack([lons * 111_320 * math.cos(lat0), lats * 110_540])

    stop_lats = np.array([s[0] for s in stops])
    stop_lons = np.array([s[1] for s in stops])
    distance, _ = cKDTree(metres(stop_lats, stop_lons)).query(metres(grid.lats, grid.lons))
    keep = distance <= within_m
    areas = [a for a, k in zip(grid.areas, keep, strict=True) if k]
    return Residents(grid.lats[keep], grid.lons[keep], grid.people[keep], areas)


def populations(path: Path | None) -> dict[str, int]:
    """area -> residents from a CSV with `area` (or `district`) and `population` columns; the
    shipped 2020 census of Shenzhen's districts when no file is given."""
    if path is None:
        text = (
            resources.files("cityhub.demo")
            .joinpath("data", "shenzhen_district_population_census2020.csv")
            .read_text(encoding="utf-8")
        )
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigurationError(f"cannot read populations {path}: {exc}") from exc
    out: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(text)):
        name = row.get("area") or row.get("district") or row.get("street")
        try:
            out[str(name)] = int(float(row["population"]))
        except (KeyError, TypeError, ValueError):
            raise ConfigurationError("a populations file has area and population columns") from None
    return out


def gaps(
    grid: Residents,
    sites: list[tuple[float, float]],
    metres: float,
    people: dict[str, int],
    streets: StreetNetwork | None = None,
) -> list[AreaGap]:
    """Each area's covered share, the most residents left out first (then the lowest share).
    With the city's street network, reach is walked along the streets."""
    _, areas = coverage(grid, sites, metres, streets)
    shares = {a.area: a.share for a in areas}
    found = [AreaGap(a, share, people.get(a)) for a, share in shares.items()]
    return sorted(found, key=lambda g: (-(g.left_out or 0), g.share, g.name))
