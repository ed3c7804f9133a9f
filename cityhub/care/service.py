"""Service points in the store and the nearest-point index over them.

The points are `PointOfInterest` entities written through the broker's one write path. The
index is built from them on first use and kept current by an after-commit hook: a point that
changes (a live occupancy count, new hours) is read again and patched in before the next
query, so a query never waits for a rebuild. A process that did not make the change (another
worker) rebuilds its index after `REBUILD_AFTER_S`."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cityhub.care.nearest import Found, NearestIndex
from cityhub.care.points import ENTITY_TYPE, KINDS, ServicePoint, entity_body
from cityhub.errors import BadRequestData
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.store import Store
from cityhub.store.records import Entity, EntityFilter

if TYPE_CHECKING:
    from cityhub.broker.changes import Change
    from cityhub.broker.service import EntityService
    from cityhub.care.coverage import Residents
    from cityhub.care.streets import StreetNetwork
    from cityhub.care.transit import BusNetwork
    from cityhub.citizen.places import Locator

TENANT = ""
T = TypeVar("T")
REBUILD_AFTER_S = 60.0


def _value(entity: Entity, iri: str) -> Any:
    for inst in entity.attrs.get(iri, [])[:1]:
        return inst.get("value")
    return None


@dataclass(frozen=True)
class CityFiles:
    """The city's own files the care services read: residents per area (the life circle's
    gaps), bus lines and an OpenStreetMap street network (the nearest search). None: the
    shipped census, walking only, great-circle × 1.3."""

    population: Path | None = None
    buses: Path | None = None
    streets: Path | None = None


class CareService:
    def __init__(
        self,
        store: Store,
        entities: EntityService,
        vocabulary: Vocabulary,
        zone: str,
        locator: Locator | None = None,
        files: CityFiles | None = None,
    ) -> None:
        self.locator = locator
        files = files or CityFiles()
        self.store = store
        self.entities = entities
        core = self.core = vocabulary.terms(ENTITY_TYPE)  # Smart Data Models PointOfInterest
        self.bus_stop_iri = vocabulary.expand_type("BusStop")
        self.zone = zone
        self.type_iri = core.expand(ENTITY_TYPE)
        self._names = {k: core.expand(k) for k in (
            "name", "category", "servicesOffered", "openingHours", "capacity", "occupancy",
            "location")}  # fmt: skip
        self._index: NearestIndex | None = None
        self._built = 0.0
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._grid: Residents | None = None  # the areas' sample points, made on first use
        self._grid_lock = threading.Lock()
        self._people: dict[str, int] = {}
        self.population_file = files.population
        self.bus_file = files.buses  # read on first use (or as the server starts)
        self._bus: BusNetwork | None = None
        self.streets_file = files.streets
        self._streets: StreetNetwork | None = None
        self._building = threading.Lock()  # one build at a time; others wait for it

    # -- writing ------------------------------------------------------------------------------
    def save(self, points: list[ServicePoint]) -> int:
        """Create or replace points (in batches of 1,000 on the write path)."""
        from cityhub.broker.batch import batch_upsert

        for p in points:
            if p.kind not in KINDS:
                raise BadRequestData(f"{p.id}: kind {p.kind!r} is not one of {', '.join(KINDS)}")
        docs = [entity_body(p) for p in points]
        for start in range(0, len(docs), 1000):
            batch_upsert(
                self.entities, TENANT, docs[start : start + 1000], lambda _: self.core,
                update_only=False,
            )  # fmt: skip
        return len(docs)

    def on_commit(self, tenant: str, changes: list[Change]) -> None:
        """After-commit hook: remember which points changed."""
        if tenant != TENANT:
            return
        ids = [c.entity.id for c in changes if self.type_iri in c.entity.types]
        if ids:
            with self._lock:
                self._changed.update(ids)

    # -- reading ------------------------------------------------------------------------------
    def point(self, entity: Entity) -> ServicePoint | None:
        n = self._names
        location = _value(entity, n["location"])
        if not isinstance(location, dict) or location.get("type") != "Point":
            return None
        lon, lat = location["coordinates"][:2]
        kinds = _value(entity, n["category"]) or []
        kind = str(kinds[0] if isinstance(kinds, list) and kinds else kinds or "")
        services = _value(entity, n["servicesOffered"]) or [kind]
        capacity, occupancy = _value(entity, n["capacity"]), _value(entity, n["occupancy"])
        return ServicePoint(
            entity.id,
            str(_value(entity, n["name"]) or entity.id),
            kind,
            frozenset(str(s) for s in (services if isinstance(services, list) else [services])),
            float(lon),
            float(lat),
            str(_value(entity, n["openingHours"]) or "24/7"),
            int(capacity) if isinstance(capacity, int | float) else None,
            int(occupancy) if isinstance(occupancy, int | float) else None,
        )

    def index(self) -> NearestIndex:
        with self._lock:
            changed, self._changed = self._changed, set()
            stale = time.monotonic() - self._built > REBUILD_AFTER_S
        if self._index is None or stale:
            with self._building:
                if self._index is None or time.monotonic() - self._built > REBUILD_AFTER_S:
                    flt = EntityFilter(any_types=(self.type_iri,))
                    points = [
                        p for e in self.store.iter_entities(TENANT, flt) if (p := self.point(e))
                    ]
                    self._index, self._built = NearestIndex(points, self.zone), time.monotonic()
                else:  # another thread built it meanwhile: its changes are still to apply
                    with self._lock:
                        self._changed |= changed
            return self._index
        if changed:
            kept = {p.id: p for p in self._index.points if p.id not in changed}
            for ident in changed:
                entity = self.store.get_entity(TENANT, ident)
                fresh = self.point(entity) if entity is not None else None
                if fresh is not None:
                    kept[ident] = fresh
            self._index = NearestIndex(list(kept.values()), self.zone)
        return self._index

    def gaps(self, kind: str, minutes: int) -> dict[str, Any]:
        """The life circle's gaps by street (by district without street boundaries): each
        area's share within `minutes` of walking of a point of `kind` (cityhub.care.gaps)."""
        from cityhub.care.coverage import WALK_M
        from cityhub.care.gaps import METHOD, SETTLED_M, area_grid, gaps, populations, settled

        if kind not in KINDS:
            raise BadRequestData(f"kind is one of {', '.join(KINDS)}")
        if minutes not in WALK_M:
            raise BadRequestData("minutes is 5, 10 or 15 (the standard's circles)")
        locator = self.locator
        if locator is None:
            raise BadRequestData("gaps need the city's boundaries")
        level = locator.streets or locator.districts
        with self._grid_lock:  # not self._lock: the after-commit hook must never wait on this
            if self._grid is None:
                names = level.names
                grid = area_grid(names, [level.geometry(i) for i in range(len(names))])
                self._grid = settled(grid, self._bus_stops(), SETTLED_M)
                self._people = populations(self.population_file)
        sites = [(p.lat, p.lon) for p in self.index().points if p.kind == kind]
        found = gaps(self._grid, sites, WALK_M[minutes], self._people, self.streets())
        return {
            "kind": kind,
            "minutes": minutes,
            "metres": WALK_M[minutes],
            "level": "street" if locator.streets is not None else "district",
            "points": len(sites),
            "method": METHOD
            + ("; reach walked along the city's streets" if self.streets_file else ""),
            "areas": [g.as_dict() for g in found],
        }

    def _bus_stops(self) -> list[tuple[float, float]]:
        flt = EntityFilter(any_types=(self.bus_stop_iri,))
        out = []
        for entity in self.store.iter_entities(TENANT, flt):
            location = _value(entity, self._names["location"])
            if isinstance(location, dict) and location.get("type") == "Point":
                out.append((float(location["coordinates"][1]), float(location["coordinates"][0])))
        return out

    def place(self, address: str) -> tuple[float, float, str]:
        """(lat, lon, name) of an address the gazetteer knows: a point inside its street, or
        inside its district when the street is not known."""
        locator = self.locator
        if locator is None:
            raise BadRequestData("addresses need the city's gazetteer")
        found = locator.gazetteer.find(address)
        levels = (
            (locator.streets, found.street, f"{found.district} · {found.street}"),
            (locator.districts, found.district, str(found.district)),
        )
        for level, name, label in levels:
            if level is not None and name and name in level.names:
                point = level.geometry(level.names.index(name)).representative_point()
                return float(point.y), float(point.x), label
        raise BadRequestData(f"{address!r} names no district or street this city knows")

    def bus(self) -> BusNetwork | None:
        """The bus network when the city gave one (read once; a few seconds for a big city)."""
        from cityhub.care.transit import BusNetwork

        if self._bus is None and self.bus_file is not None:
            self._bus = self._read_once(lambda: self._bus, BusNetwork.load, self.bus_file)
        return self._bus

    def streets(self) -> StreetNetwork | None:
        """The street network when the city gave one (read once)."""
        from cityhub.care.streets import StreetNetwork

        if self._streets is None and self.streets_file is not None:
            self._streets = self._read_once(
                lambda: self._streets, StreetNetwork.load, self.streets_file
            )
        return self._streets

    def _read_once(self, held: Callable[[], T | None], read: Callable[[Path], T], path: Path) -> T:
        """One thread reads a city file; the others wait for it and take what it read."""
        with self._building:
            found = held()
            return found if found is not None else read(path)

    def nearest(
        self,
        lat: float,
        lon: float,
        service: str | None = None,
        at: dt.datetime | None = None,
        count: int = 5,
        open_only: bool = True,
        with_capacity: bool = False,
    ) -> list[Found]:
        moment = at or dt.datetime.now(dt.UTC)
        return self.index().query(
            lat, lon, service, moment, count, open_only, with_capacity, self.bus(), self.streets()
        )
