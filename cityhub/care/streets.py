"""Walking along the city's streets, when it provides an OpenStreetMap extract (.osm XML).

The ways a person may walk (highway=footway, path, pedestrian, steps, living_street,
residential, service, unclassified, tertiary, secondary, primary, track and their _link roads;
not motorways or trunk roads, and nothing tagged foot=no or access=private) become a graph whose
edges are the great-circle lengths between consecutive nodes. A walk is snapped to the nearest
street node at each end (the snaps walked in a straight line) and measured by Dijkstra's
algorithm from the start, bounded by LIMIT_M, so a query never explores the whole city.
Without a network, cityhub.care estimates walking as great-circle × 1.3."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from cityhub.errors import ConfigurationError

WALKABLE = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "secondary", "primary", "track", "cycleway", "corridor",
    "tertiary_link", "secondary_link", "primary_link",
})  # fmt: skip
LIMIT_M = 5_000.0
SNAP_M = 500.0  # farther than this from any street: no network walk (the estimate stands)


class StreetNetwork:
    def __init__(self, lats: np.ndarray, lons: np.ndarray, edges: list[tuple[int, int]]) -> None:
        from scipy.sparse import csr_matrix
        from scipy.spatial import cKDTree

        if not edges:
            raise ConfigurationError("the street network has no walkable way")
        self._lat0 = float(np.mean(lats))
        xy = self._xy(lats, lons)
        a = np.array([e[0] for e in edges], dtype=np.int64)
        b = np.array([e[1] for e in edges], dtype=np.int64)
        length = np.hypot(*(xy[a] - xy[b]).T)
        n = len(lats)
        self._graph = csr_matrix(
            (np.concatenate([length, length]), (np.concatenate([a, b]), np.concatenate([b, a]))),
            shape=(n, n),
        )
        used = np.unique(np.concatenate([a, b]))  # only nodes on a walkable way are snapped to
        self._used = used
        self._tree = cKDTree(xy[used])
        self.nodes = int(used.size)

    def _xy(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        k = math.cos(math.radians(self._lat0))
        return np.column_stack([np.asarray(lons) * 111_320 * k, np.asarray(lats) * 110_540])

    def _snap(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gap, at = self._tree.query(self._xy(lats, lons))
        return np.asarray(gap, dtype=np.float64), self._used[np.asarray(at, dtype=np.int64)]

    def walk_metres(self, lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Metres walked along the streets to each target; inf where the network cannot say
        (a target off the network, or beyond LIMIT_M)."""
        from scipy.sparse.csgraph import dijkstra

        (start_gap,), (start,) = self._snap(np.array([lat]), np.array([lon]))
        out = np.full(len(lats), np.inf)
        if start_gap > SNAP_M or not len(lats):
            return out
        along = dijkstra(self._graph, indices=int(start), limit=LIMIT_M)
        gap, node = self._snap(lats, lons)
        total = start_gap + along[node] + gap
        return np.where(gap <= SNAP_M, total, np.inf)

    def reached(
        self, sources_lat: np.ndarray, sources_lon: np.ndarray, lats: np.ndarray,
        lons: np.ndarray, metres: float,
    ) -> np.ndarray:  # fmt: skip
        """For each target, whether some source is within `metres` walked along the streets
        (one bounded multi-source Dijkstra; a source's own snap to the network is walked too)."""
        from scipy.sparse.csgraph import dijkstra

        out = np.zeros(len(lats), dtype=bool)
        source_gap, source_node = self._snap(sources_lat, sources_lon)
        usable = source_gap <= SNAP_M
        if not usable.any() or not len(lats):
            return out
        slack = float(source_gap[usable].max())  # each source is at most this far off its node
        along = dijkstra(self._graph, indices=np.unique(source_node[usable]), limit=metres,
                         min_only=True)  # fmt: skip
        gap, node = self._snap(lats, lons)
        # counted with the farthest source snap: never more reach than the streets give
        return np.asarray((gap <= SNAP_M) & (along[node] + gap + slack <= metres), dtype=bool)

    @classmethod
    def load(cls, path: Path) -> StreetNetwork:
        """Read an OpenStreetMap XML extract (nodes and ways; relations are ignored)."""
        import xml.etree.ElementTree as ET

        index: dict[str, int] = {}
        lats: list[float] = []
        lons: list[float] = []
        edges: list[tuple[int, int]] = []
        try:
            for _, el in ET.iterparse(str(path), events=("end",)):
                if el.tag == "node":
                    index[el.get("id", "")] = len(lats)
                    lats.append(float(el.get("lat", "nan")))
                    lons.append(float(el.get("lon", "nan")))
                    el.clear()
                elif el.tag == "way":
                    tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                    if _walkable(tags):
                        refs = [index.get(n.get("ref", "")) for n in el.iter("nd")]
                        edges += [(p, q) for p, q in itertools.pairwise(refs)
                                  if p is not None and q is not None]  # fmt: skip
                    el.clear()
        except (OSError, ET.ParseError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the street network {path}: {exc}") from exc
        return cls(np.array(lats), np.array(lons), edges)


def _walkable(tags: dict[Any, Any]) -> bool:
    if tags.get("highway") not in WALKABLE:
        return False
    return tags.get("foot") != "no" and tags.get("access") not in ("private", "no")
