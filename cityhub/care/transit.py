"""Bus rides for the nearest search: walk to a stop, wait, ride one bus line, walk from the stop.

A city's bus network is its lines, each an ordered list of stops with positions: the
`linename, stationname, stationgeo` CSV of Shenzhen's published line data (lists of names and of
`lon,lat`), or a long CSV `line, seq, stop, lon, lat`. Times are estimated without a timetable:

- walking as elsewhere in cityhub.care (great-circle × 1.3 at 80 m/min), at most WALK_M to or
  from a stop;
- a wait of WAIT_MIN minutes (half of a usual 10-minute headway);
- riding at BUS_M_PER_MIN along the line (straight stop-to-stop segments × ROAD).

One line, no transfers: the answer says which line, where to board and where to get off, and a
ride is offered only when it beats walking. Each stop of each line is its own point (the two
directions of a road have their own stops), so a query is a few array operations per stop in
reach, well inside the nearest search's budget."""

from __future__ import annotations

import ast
import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cityhub.care.points import DETOUR, WALK_M_PER_MIN
from cityhub.errors import ConfigurationError

WALK_M = 800.0
WAIT_MIN = 5.0
BUS_M_PER_MIN = 300.0  # 18 km/h: city traffic with its stops
ROAD = 1.2


@dataclass(frozen=True)
class Ride:
    minutes: float  # door to door
    line: str
    board: str  # stop names
    alight: str
    walk_minutes: float  # to the first stop and from the last
    stops: int  # stops ridden


def _walk(metres: np.ndarray | float) -> np.ndarray | float:
    return metres * DETOUR / WALK_M_PER_MIN


class BusNetwork:
    def __init__(self, lines: list[tuple[str, list[str], list[tuple[float, float]]]]) -> None:
        """`lines`: (name, stop names, stop (lon, lat)) in riding order."""
        from scipy.spatial import cKDTree

        names: list[str] = []
        stops: list[tuple[float, float]] = []
        line_of: list[int] = []
        cum: list[float] = []
        self.lines: list[str] = []
        self._start: list[int] = []
        for line, stop_names, places in lines:
            if len(places) < 2:
                continue
            self._start.append(len(stops))
            number = len(self.lines)
            self.lines.append(line)
            along = 0.0
            for k, (name, place) in enumerate(zip(stop_names, places, strict=True)):
                if k:
                    along += _metres_between(places[k - 1], place)
                names.append(name)
                stops.append(place)
                line_of.append(number)
                cum.append(along)
        if not stops:
            raise ConfigurationError("the bus network has no line with two stops")
        self._start.append(len(stops))
        self.names = names
        self._line = np.array(line_of, dtype=np.int64)
        self._cum = np.array(cum, dtype=np.float64)
        lon_lat = np.array(stops, dtype=np.float64)
        self._lat0 = float(np.mean(lon_lat[:, 1]))
        self._tree = cKDTree(self._xy(lon_lat[:, 1], lon_lat[:, 0]))

    def _xy(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        k = math.cos(math.radians(self._lat0))
        return np.column_stack([np.asarray(lons) * 111_320 * k, np.asarray(lats) * 110_540])

    @property
    def stops(self) -> int:
        return len(self.names)

    def rides(
        self, lat: float, lon: float, lats: np.ndarray, lons: np.ndarray
    ) -> list[Ride | None]:
        """The best one-line ride from (lat, lon) to each target, or None where none exists."""
        origin = self._xy(np.array([lat]), np.array([lon]))[0]
        near = self._tree.query_ball_point(origin, WALK_M)
        out: list[Ride | None] = [None] * len(lats)
        if not near:
            return out
        best = np.full(self.stops, np.inf)
        source = np.full(self.stops, -1, dtype=np.int64)
        data = self._tree.data
        for v in near:
            board = float(_walk(float(np.hypot(*(data[v] - origin))))) + WAIT_MIN
            end = self._start[int(self._line[v]) + 1]
            if v + 1 >= end:
                continue
            segment = slice(v + 1, end)
            arrive = board + (self._cum[segment] - self._cum[v]) * ROAD / BUS_M_PER_MIN
            better = arrive < best[segment]
            best[segment] = np.where(better, arrive, best[segment])
            source[segment] = np.where(better, v, source[segment])
        targets = self._xy(lats, lons)
        for i, (reach, target) in enumerate(
            zip(self._tree.query_ball_point(targets, WALK_M), targets, strict=True)
        ):
            if not reach:
                continue
            idx = np.array(reach, dtype=np.int64)
            total = best[idx] + _walk(np.hypot(*(data[idx] - target).T))
            j = int(np.argmin(total))
            if not np.isfinite(total[j]):
                continue
            alight, board = int(idx[j]), int(source[idx[j]])
            riding = float(self._cum[alight] - self._cum[board]) * ROAD / BUS_M_PER_MIN
            on_foot = float(total[j]) - WAIT_MIN - riding
            out[i] = Ride(float(total[j]), self.lines[int(self._line[alight])], self.names[board],
                          self.names[alight], on_foot, alight - board)  # fmt: skip
        return out

    @classmethod
    def load(cls, path: Path) -> BusNetwork:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise ConfigurationError(f"cannot read the bus network {path}: {exc}") from exc
        if rows and "stationgeo" in rows[0]:
            return cls([_listed(r, n) for n, r in enumerate(rows, start=2)])
        lines: dict[str, list[tuple[int, str, tuple[float, float]]]] = {}
        for n, r in enumerate(rows, start=2):
            try:
                lines.setdefault(r["line"], []).append(
                    (int(r["seq"]), r["stop"], (float(r["lon"]), float(r["lat"])))
                )
            except (KeyError, TypeError, ValueError):
                raise ConfigurationError(
                    f"{path} line {n}: a bus network row is line, seq, stop, lon, lat"
                ) from None
        return cls([
            (name, [s for _, s, _ in sorted(v)], [p for _, _, p in sorted(v)])
            for name, v in lines.items()
        ])  # fmt: skip


def _listed(row: dict[str, str], n: int) -> tuple[str, list[str], list[tuple[float, float]]]:
    try:
        names = ast.literal_eval(row["stationname"])
        geo = ast.literal_eval(row["stationgeo"])
        places = [tuple(float(x) for x in p.split(",")) for p in geo]
    except (ValueError, SyntaxError, AttributeError, KeyError):
        raise ConfigurationError(f"line {n}: stationname and stationgeo must be lists") from None
    if len(names) != len(places) or any(len(p) != 2 for p in places):
        raise ConfigurationError(f"line {n}: as many stations as positions (lon,lat)")
    return str(row["linename"]), [str(x) for x in names], [(p[0], p[1]) for p in places]


def _metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((a[0] - b[0]) * 111_320 * k, (a[1] - b[1]) * 110_540)
