"""The 15-minute community life circle (GB/T 50180-2018 城市居住区规划设计标准): who lives
within walking reach of each required facility, the gaps ranked by residents left out, and
where new facilities would cover the most people (a maximal covering location problem).

The standard sets 5-, 10- and 15-minute walking circles of about 300, 500 and 800–1,000 m.
Which kind of facility a city requires within which circle is its own table (`CIRCLES` gives a
default); the reach is walking distance, estimated as elsewhere in cityhub.care (great-circle
× 1.3), or walked along the streets when the city provides its network (cityhub.care.streets).
Residents are weighted points: a census table's populations at street centroids, or a finer
grid when the city has one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cityhub.care.points import DETOUR, great_circle_m
from cityhub.care.streets import StreetNetwork
from cityhub.errors import BadRequestData

WALK_M = {5: 300.0, 10: 500.0, 15: 1000.0}  # the standard's circles, walking metres
CIRCLES = {  # kind -> minutes (a default; a city sets its own)
    "community_service_centre": 5,
    "day_care_centre": 5,
    "elderly_canteen": 10,
    "pharmacy": 10,
    "community_health_centre": 15,
    "elder_care_home": 15,
}
MAX_CANDIDATES = 2_000


@dataclass(frozen=True)
class Residents:
    lats: np.ndarray  # degrees
    lons: np.ndarray
    people: np.ndarray  # residents at each point
    areas: list[str]  # the street or district each point belongs to


@dataclass(frozen=True)
class AreaCoverage:
    area: str
    people: float
    covered: float

    @property
    def share(self) -> float:
        return self.covered / self.people if self.people else 0.0

    @property
    def left_out(self) -> float:
        return self.people - self.covered


def reach(
    residents: Residents,
    sites: Sequence[tuple[float, float]],
    metres: float,
    streets: StreetNetwork | None = None,
) -> np.ndarray:
    """A matrix [resident point, site]: True where the site is within walking reach (along
    the city's streets when it gave its network)."""
    out = np.zeros((residents.people.shape[0], len(sites)), dtype=bool)
    lats, lons = np.radians(residents.lats), np.radians(residents.lons)
    for j, (lat, lon) in enumerate(sites):
        if streets is not None:
            out[:, j] = streets.reached(np.array([lat]), np.array([lon]), residents.lats,
                                        residents.lons, metres)  # fmt: skip
        else:
            out[:, j] = great_circle_m(lat, lon, lats, lons) * DETOUR <= metres
    return out


def coverage(
    residents: Residents,
    facilities: Sequence[tuple[float, float]],
    metres: float,
    streets: StreetNetwork | None = None,
) -> tuple[np.ndarray, list[AreaCoverage]]:
    """Which resident points are covered, and each area's people and covered people, the
    areas with the most people left out first."""
    covered = np.zeros(residents.people.shape[0], dtype=bool)
    if facilities and streets is not None:  # one bounded search from every facility at once
        sources = np.array(facilities, dtype=np.float64)
        covered = streets.reached(sources[:, 0], sources[:, 1], residents.lats, residents.lons,
                                  metres)  # fmt: skip
    elif facilities:
        covered = np.asarray(reach(residents, facilities, metres).any(axis=1), dtype=bool)
    totals: dict[str, list[float]] = {}
    for area, people, on in zip(residents.areas, residents.people, covered, strict=True):
        row = totals.setdefault(area, [0.0, 0.0])
        row[0] += float(people)
        row[1] += float(people) if on else 0.0
    areas = [AreaCoverage(a, p, c) for a, (p, c) in totals.items()]
    return covered, sorted(areas, key=lambda a: (-a.left_out, a.area))


@dataclass(frozen=True)
class Siting:
    chosen: list[int]  # candidate indexes
    covered_before: float
    covered_after: float

    @property
    def gained(self) -> float:
        return self.covered_after - self.covered_before


def best_sites(
    residents: Residents,
    facilities: Sequence[tuple[float, float]],
    candidates: Sequence[tuple[float, float]],
    metres: float,
    add: int,
    time_limit: float = 30.0,
    streets: StreetNetwork | None = None,
) -> Siting:
    """Where `add` new facilities cover the most residents not yet covered (the maximal
    covering location problem, solved exactly by OR-Tools' CP-SAT within the time limit)."""
    from ortools.sat.python import cp_model

    if not 1 <= add <= len(candidates):
        raise BadRequestData(f"add 1 to {len(candidates)} sites (there are that many candidates)")
    if len(candidates) > MAX_CANDIDATES:
        raise BadRequestData(f"at most {MAX_CANDIDATES:,} candidate sites")
    covered, _ = coverage(residents, facilities, metres, streets)
    before = float(residents.people[covered].sum())
    open_points = np.flatnonzero(~covered & (residents.people > 0))
    near = reach(residents, candidates, metres, streets)
    model = cp_model.CpModel()
    site = [model.new_bool_var(f"site{j}") for j in range(len(candidates))]
    model.add(sum(site) == add)
    gains = []
    for i in open_points:
        reachable = np.flatnonzero(near[i])
        if reachable.size == 0:
            continue
        on = model.new_bool_var(f"covered{i}")
        model.add_bool_or([site[int(j)] for j in reachable]).only_enforce_if(on)
        gains.append((on, round(float(residents.people[i]))))
    model.maximize(sum(weight * on for on, weight in gains))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise BadRequestData("no siting was found within the time limit")
    chosen = [j for j in range(len(candidates)) if solver.value(site[j])]
    chosen_sites = [*facilities, *(candidates[j] for j in chosen)]
    after_cover, _ = coverage(residents, chosen_sites, metres, streets)
    return Siting(chosen, before, float(residents.people[after_cover].sum()))
