"""The nearest service points to a place, in memory: every point's position in two arrays;
a query computes the distance to all of them at once (10,000 points take well under a
millisecond), then walks them nearest first, keeping those that offer the service, are open at
the moment asked and have free capacity, until it has enough. Built from the store's
`PointOfInterest` entities and rebuilt when one of them changes."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from cityhub.care.hours import is_open
from cityhub.care.points import WALK_M_PER_MIN, ServicePoint, great_circle_m, walking_minutes
from cityhub.care.streets import StreetNetwork
from cityhub.care.transit import BusNetwork, Ride

MAX_RESULTS = 50
BUS_POOL = 40  # with a bus network: the nearest this many are timed by bus as well


@dataclass(frozen=True)
class Found:
    point: ServicePoint
    metres: float
    minutes: float  # walking
    open: bool
    ride: Ride | None = None  # a bus ride, when one is faster than walking
    walked_m: float | None = None  # metres along the streets, when the city gave its network

    @property
    def fastest(self) -> float:
        return min(self.minutes, self.ride.minutes) if self.ride else self.minutes


class NearestIndex:
    def __init__(self, points: list[ServicePoint], zone: str) -> None:
        self.points = points
        self.zone = zone
        self._lats = np.radians(np.array([p.lat for p in points], dtype=np.float64))
        self._lons = np.radians(np.array([p.lon for p in points], dtype=np.float64))
        self._free = np.array(
            [np.nan if p.free is None else p.free for p in points], dtype=np.float64
        )
        # a city has few distinct opening hours: each is judged once per query
        texts = sorted({p.hours for p in points})
        code = {t: i for i, t in enumerate(texts)}
        self._hours = texts
        self._hours_code = np.array([code[p.hours] for p in points], dtype=np.int64)
        self._offers: dict[str, np.ndarray] = {}

    def _offering(self, service: str) -> np.ndarray:
        mask = self._offers.get(service)
        if mask is None:
            mask = np.array(
                [service in p.services or service == p.kind for p in self.points], dtype=bool
            )
            if len(self._offers) < 1000:
                self._offers[service] = mask
        return mask

    def query(
        self,
        lat: float,
        lon: float,
        service: str | None,
        at: dt.datetime,
        count: int = 5,
        open_only: bool = True,
        with_capacity: bool = False,
        bus: BusNetwork | None = None,
        streets: StreetNetwork | None = None,
    ) -> list[Found]:
        if not self.points:
            return []
        metres = great_circle_m(lat, lon, self._lats, self._lons)
        open_now = np.array([is_open(t, at, self.zone) for t in self._hours], dtype=bool)
        is_on = open_now[self._hours_code]
        keep = np.ones(len(self.points), dtype=bool)
        if service:
            keep &= self._offering(service)
        if with_capacity:
            keep &= np.nan_to_num(self._free, nan=0.0) > 0
        if open_only:
            keep &= is_on
        chosen = np.flatnonzero(keep)
        count = min(count, MAX_RESULTS)
        if bus is not None or streets is not None:
            return self._timed(lat, lon, chosen, metres, is_on, count, bus, streets)
        if chosen.size > count:  # the `count` nearest (ties kept whole), then in order
            cut = np.partition(metres[chosen], count - 1)[count - 1]
            chosen = chosen[metres[chosen] <= cut]
        order = chosen[np.lexsort((chosen, metres[chosen]))][:count]
        return [
            Found(
                self.points[int(i)],
                float(metres[i]),
                walking_minutes(float(metres[i])),
                bool(is_on[i]),
            )
            for i in order
        ]

    def _timed(
        self, lat: float, lon: float, chosen: np.ndarray, metres: np.ndarray, is_on: np.ndarray,
        count: int, bus: BusNetwork | None, streets: StreetNetwork | None,
    ) -> list[Found]:  # fmt: skip
        """The nearest qualifying points by straight line (a pool of several times `count`),
        each timed on foot along the streets (when the city gave its network) and by one bus
        line (when it gave its lines), the fastest first."""
        pool = chosen[np.argsort(metres[chosen], kind="stable")][: max(BUS_POOL, 4 * count)]
        lats, lons = np.degrees(self._lats[pool]), np.degrees(self._lons[pool])
        walked = streets.walk_metres(lat, lon, lats, lons) if streets is not None else None
        rides = bus.rides(lat, lon, lats, lons) if bus is not None else [None] * len(pool)
        found = []
        for k, (i, ride) in enumerate(zip(pool, rides, strict=True)):
            along = float(walked[k]) if walked is not None else math.inf
            walk = (
                along / WALK_M_PER_MIN
                if math.isfinite(along)
                else walking_minutes(float(metres[i]))
            )
            faster = ride if ride is not None and ride.minutes < walk else None
            found.append(Found(self.points[int(i)], float(metres[i]), walk, bool(is_on[i]),
                               faster, along if math.isfinite(along) else None))  # fmt: skip
        found.sort(key=lambda f: (f.fastest, f.point.id))
        return found[:count]
