"""What the dashboard's map needs of the city: district (and street) polygons as GeoJSON, and each
entity as a compact point with its district and its current scalar values."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from cityhub.citizen.places import Boundaries, Locator
from cityhub.jsonld import TermMap
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.store import Store
from cityhub.store.records import Entity, EntityFilter

MAP_LIMIT = 20_000  # entities in one snapshot; the response says when there were more
SIMPLIFY_DEGREES = 0.0003  # ~30 m: invisible at city zoom, a fraction of the vertices
DISTRICT_TYPE = "District"
_DATE_VALUE = "@value"


def boundary_features(
    boundaries: Boundaries | None, english: dict[str, str], level: str
) -> dict[str, Any]:
    """A FeatureCollection of one boundary level, simplified for drawing."""
    features = []
    if boundaries is not None:
        for index, name in enumerate(boundaries.names):
            whole = boundaries.geometry(index)
            geom = whole.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
            inside = _label_point(whole)
            features.append(
                {
                    "type": "Feature",
                    "id": name,
                    "properties": {
                        "name": name,
                        "name_en": _english(english, name),
                        "parent": boundaries.parents[index],
                        "level": level,
                        "label_point": [inside.x, inside.y] if inside is not None else None,
                    },
                    "geometry": mapping(geom),
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _english(english: dict[str, str], name: str) -> str:
    """The English name of a boundary: by its name, or by its name without 新区/区."""
    for key in (name, name.removesuffix("新区"), name.removesuffix("区")):
        if key in english:
            return english[key]
    return name


def _label_point(geom: BaseGeometry) -> Any:
    """A point inside the largest part, where the district's name is written."""
    if geom.is_empty:
        return None
    parts = getattr(geom, "geoms", [geom])
    return max(parts, key=lambda g: g.area).representative_point()


def english_names(store: Store, core: TermMap, tenant: str = "") -> dict[str, str]:
    """Chinese district name -> English name, from the District entities' language maps."""
    out: dict[str, str] = {}
    flt = EntityFilter(any_types=(core.expand(DISTRICT_TYPE),))
    name_iri, code_iri = core.expand("name"), core.expand("districtCode")
    for entity in store.iter_entities(tenant, flt):
        for inst in entity.attrs.get(name_iri, [])[:1]:
            names = inst.get("languageMap") or {}
            if isinstance(names, dict) and names.get("zh") and names.get("en"):
                out[str(names["zh"])] = str(names["en"])
                for code in entity.attrs.get(code_iri, [])[:1]:
                    out.setdefault(str(code.get("value")), str(names["en"]))
    return out


def _scalar(inst: dict[str, Any]) -> Any:
    kind = inst.get("type", "Property")
    if kind == "Relationship":
        return inst.get("object")
    if kind == "LanguageProperty":
        names = inst.get("languageMap") or {}
        return names.get("zh") or next(iter(names.values()), None) if names else None
    value = inst.get("value")
    if isinstance(value, dict) and _DATE_VALUE in value:
        return value[_DATE_VALUE]
    if isinstance(value, str | int | float | bool):
        return value
    return None


def _point(entity: Entity, location_iri: str) -> tuple[float, float] | None:
    for inst in entity.attrs.get(location_iri, [])[:1]:
        value = inst.get("value")
        if isinstance(value, dict) and value.get("type") == "Point":
            coords = value.get("coordinates") or []
            if len(coords) >= 2:
                return float(coords[0]), float(coords[1])
    return None


def _service_state(values: dict[str, Any], zone: str) -> None:
    """A service point on the map: open now (its hours on the city's calendar) and free places."""
    from cityhub.care.hours import is_open
    from cityhub.errors import BadRequestData

    hours = values.get("openingHours")
    try:
        values["open"] = is_open(hours, dt.datetime.now(dt.UTC), zone) if hours else True
    except BadRequestData:
        values["open"] = None  # hours that do not parse: unknown
    capacity, used = values.get("capacity"), values.get("occupancy")
    if isinstance(capacity, int | float) and isinstance(used, int | float):
        values["free"] = max(int(capacity - used), 0)


class MapView:
    """Turns entities into map items; the district lookup follows the city's boundaries."""

    def __init__(
        self, vocabulary: Vocabulary, locator: Locator, timezone: str = "Asia/Shanghai"
    ) -> None:
        self.vocabulary = vocabulary  # each entity's names shown in its own type's terms
        self.locator = locator
        self.timezone = timezone
        self._location = vocabulary.core.expand("location")
        self._point_of_interest = vocabulary.expand_type("PointOfInterest")

    def item(self, entity: Entity, attrs: list[str] | None = None) -> dict[str, Any]:
        """id, type, lon/lat, district, street and the scalar values (of `attrs` if given)."""
        point = _point(entity, self._location)
        district = street = None
        if point is not None:
            index = self.locator.districts.locate(*point)
            district = self.locator.districts.names[index] if index is not None else None
            streets = self.locator.streets
            found = streets.locate(*point) if streets is not None else None
            street = streets.names[found] if streets is not None and found is not None else None
        names = attrs if attrs is not None else list(entity.attrs)
        kind = self.vocabulary.type_term(entity.types[0]) if entity.types else ""
        terms = self.vocabulary.terms(kind)
        values = {}
        for name in names:
            if name == self._location:
                continue
            instances = entity.attrs.get(name)
            if instances:
                value = _scalar(instances[0])
                if value is not None:
                    values[terms.compact(name)] = value
        if self._point_of_interest in entity.types:
            _service_state(values, self.timezone)
        return {
            "id": entity.id,
            "type": kind,
            "lon": point[0] if point else None,
            "lat": point[1] if point else None,
            "district": district,
            "street": street,
            "modifiedAt": entity.modified_at,
            "values": values,
        }

    def snapshot(self, store: Store, types: list[str] | None, tenant: str = "") -> dict[str, Any]:
        """Every located entity (districts excluded), up to MAP_LIMIT, with counts by type."""
        started = time.perf_counter()
        any_types = tuple(self.vocabulary.expand_type(t) for t in types) if types else None
        district_iri = self.vocabulary.expand_type(DISTRICT_TYPE)
        items: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        truncated = False
        for entity in store.iter_entities(tenant, EntityFilter(any_types=any_types)):
            if district_iri in entity.types:
                continue
            item = self.item(entity)
            if item["lon"] is None:
                continue
            counts[item["type"]] = counts.get(item["type"], 0) + 1
            if len(items) >= MAP_LIMIT:
                truncated = True
                continue
            items.append(item)
        return {
            "items": items,
            "counts": counts,
            "truncated": truncated,
            "took_ms": round((time.perf_counter() - started) * 1000, 1),
        }
