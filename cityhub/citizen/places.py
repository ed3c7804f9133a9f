"""Where a request is: district and street from coordinates or from the address text.

Coordinates are placed by point-in-polygon over the city's boundaries (districts, and streets
where the city has street polygons). Address text is matched against a gazetteer of the city's
place names: the longest name found wins, and a street names its district. Shenzhen's
districts and its 74 streets (街道) ship with the package; a city brings its own files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from cityhub.errors import BadRequestData, ConfigurationError

NAME_KEYS = ("name", "qh", "NAME", "district", "street", "名称")


@dataclass(frozen=True)
class Place:
    district: str | None
    street: str | None
    source: str  # "coordinates", "address" or "none"

    def as_dict(self) -> dict[str, Any]:
        return {"district": self.district, "street": self.street, "source": self.source}


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    level: str  # district, street or place
    district: str
    street: str | None


def _read_text(path: Path | None, shipped: str) -> str:
    if path is None:
        return resources.files("cityhub.citizen").joinpath("data", shipped).read_text("utf-8")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc


class Gazetteer:
    """Place names of one city: name -> (district, street). Longest match in the text wins."""

    def __init__(self, entries: list[GazetteerEntry], aliases: dict[str, GazetteerEntry]) -> None:
        self.entries = entries
        self._names = aliases
        self._lengths = sorted({len(n) for n in aliases}, reverse=True)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """A CSV with name, level, district, street, aliases (`|`-separated)."""
        text = _read_text(path, "shenzhen_gazetteer.csv")
        entries: list[GazetteerEntry] = []
        names: dict[str, GazetteerEntry] = {}
        for row in csv.DictReader(io.StringIO(text)):
            name = (row.get("name") or "").strip()
            district = (row.get("district") or "").strip()
            if not name or not district:
                raise ConfigurationError(f"gazetteer row without name or district: {row}")
            level = (row.get("level") or "place").strip()
            street = (row.get("street") or "").strip() or None
            entry = GazetteerEntry(name, level, district, street)
            entries.append(entry)
            spellings = [name, *(a.strip() for a in (row.get("aliases") or "").split("|"))]
            if level == "street" and name.endswith("街道") and len(name) >= 5:
                spellings.append(name[:-2])  # 香蜜湖, 华强北: long enough to stand alone
            for spelling in spellings:
                if spelling:
                    names.setdefault(spelling.lower(), entry)
        return cls(entries, names)

    def canonical_district(self, name: str) -> str:
        entry = self._names.get(name.lower())
        return entry.district if entry else name

    def find(self, text: str) -> Place:
        lowered = text.lower()
        best: GazetteerEntry | None = None
        district_hit: GazetteerEntry | None = None
        i = 0
        while i < len(lowered):
            for length in self._lengths:
                entry = self._names.get(lowered[i : i + length])
                if entry is not None:
                    if entry.level == "district":
                        district_hit = district_hit or entry
                    elif best is None:
                        best = entry
                    i += length - 1
                    break
            i += 1
        if best is not None and (district_hit is None or district_hit.district == best.district):
            return Place(best.district, best.street, "address")
        if district_hit is not None:
            return Place(district_hit.district, None, "address")
        return Place(None, None, "none")


class Boundaries:
    """Point-in-polygon over one level of boundaries (an STRtree over shapely geometries)."""

    def __init__(self, names: list[str], parents: list[str | None], geometries: list[Any]) -> None:
        self.names = names
        self.parents = parents
        from shapely import STRtree  # loaded with the first boundaries, not at import

        self._geoms = geometries
        self._tree = STRtree(geometries)

    @classmethod
    def from_geojson(
        cls, doc: dict[str, Any], gazetteer: Gazetteer, level: str = "district"
    ) -> Boundaries:
        from shapely.geometry import shape

        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
            raise ConfigurationError("boundaries must be a GeoJSON FeatureCollection")
        names: list[str] = []
        parents: list[str | None] = []
        geoms: list[Any] = []
        for index, feature in enumerate(doc.get("features") or []):
            props = feature.get("properties") or {}
            raw = next((str(props[k]) for k in NAME_KEYS if props.get(k)), f"area-{index + 1}")
            names.append(gazetteer.canonical_district(raw) if level == "district" else raw)
            parent = props.get("parent") or props.get("district_name")
            parents.append(gazetteer.canonical_district(str(parent)) if parent else None)
            geoms.append(shape(feature["geometry"]))
        return cls(names, parents, geoms)

    @classmethod
    def load(cls, path: Path | None, gazetteer: Gazetteer, level: str = "district") -> Boundaries:
        if path is None:
            raw = (
                resources.files("cityhub.demo")
                .joinpath("data", "shenzhen_districts_wgs84.geojson")
                .read_bytes()
            )
        else:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise ConfigurationError(f"cannot read boundaries {path}: {exc}") from exc
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ConfigurationError(f"boundaries are not JSON: {exc}") from exc
        return cls.from_geojson(doc, gazetteer, level)

    def geometry(self, index: int) -> Any:
        return self._geoms[index]

    def locate(self, lon: float, lat: float) -> int | None:
        from shapely.geometry import Point

        point = Point(lon, lat)
        for index in self._tree.query(point):
            if self._geoms[int(index)].covers(point):
                return int(index)
        return None


class Locator:
    """District and street for coordinates, an address, or both."""

    def __init__(
        self, gazetteer: Gazetteer, districts: Boundaries, streets: Boundaries | None = None
    ) -> None:
        self.gazetteer = gazetteer
        self.districts = districts
        self.streets = streets

    @classmethod
    def load(
        cls,
        gazetteer_path: Path | None = None,
        districts_path: Path | None = None,
        streets_path: Path | None = None,
    ) -> Locator:
        gazetteer = Gazetteer.load(gazetteer_path)
        districts = Boundaries.load(districts_path, gazetteer)
        streets = Boundaries.load(streets_path, gazetteer, "street") if streets_path else None
        return cls(gazetteer, districts, streets)

    def inside_city(self, lon: float, lat: float) -> bool:
        return self.districts.locate(lon, lat) is not None

    def locate(self, lat: float | None, lon: float | None, address: str | None = None) -> Place:
        if lat is not None and lon is not None:
            index = self.districts.locate(lon, lat)
            if index is not None:
                district = self.districts.names[index]
                street = None
                if self.streets is not None:
                    s_index = self.streets.locate(lon, lat)
                    if s_index is not None:
                        street = self.streets.names[s_index]
                if street is None and address:
                    named = self.gazetteer.find(address)
                    street = named.street if named.district == district else None
                return Place(district, street, "coordinates")
        if address:
            return self.gazetteer.find(address)
        return Place(None, None, "none")


def check_coordinates(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise BadRequestData(f"lat/long must be numbers, got {lat!r}/{lon!r}") from exc
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or la != la or lo != lo:
        raise BadRequestData(f"lat/long out of range: {la}, {lo}")
    return la, lo
