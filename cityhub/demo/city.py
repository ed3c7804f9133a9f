"""Load a city's districts (any GeoJSON FeatureCollection) and place simulated devices in them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from cityhub.broker.batch import batch_upsert
from cityhub.broker.service import EntityService
from cityhub.demo.readings import DEVICE_KINDS, device_reading
from cityhub.errors import BadRequestData
from cityhub.jsonld.vocabulary import Vocabulary

# English names for the shipped Shenzhen boundaries (the file carries Chinese names only).
SHENZHEN_EN = {
    "罗湖": "Luohu",
    "福田": "Futian",
    "盐田": "Yantian",
    "宝安": "Bao'an",
    "光明": "Guangming",
    "坪山": "Pingshan",
    "龙华": "Longhua",
    "南山": "Nanshan",
    "大鹏": "Dapeng",
    "龙岗": "Longgang",
}
NAME_KEYS = ("qh", "name", "NAME", "district", "名称")


def shipped_districts() -> dict[str, Any]:
    data = resources.files("cityhub.demo").joinpath("data", "shenzhen_districts_wgs84.geojson")
    doc = orjson.loads(data.read_bytes())
    assert isinstance(doc, dict)
    return doc


def read_districts(path: Path | None) -> dict[str, Any]:
    if path is None:
        return shipped_districts()
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise BadRequestData(f"cannot read district boundaries from {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadRequestData(f"{path} is not a GeoJSON FeatureCollection")
    return doc


def _district_name(props: dict[str, Any], index: int) -> str:
    for key in NAME_KEYS:
        if props.get(key):
            return str(props[key])
    return f"district-{index + 1}"


def district_entities(collection: dict[str, Any], city: str) -> list[dict[str, Any]]:
    out = []
    for index, feature in enumerate(collection.get("features", [])):
        name = _district_name(feature.get("properties") or {}, index)
        geom = shape(feature["geometry"])
        centroid = geom.representative_point()
        names = {"zh": name + ("区" if not name.endswith("区") else "")}
        if name in SHENZHEN_EN:
            names["en"] = SHENZHEN_EN[name] + " District"
        out.append(
            {
                "id": f"urn:ngsi-ld:District:{city}:{SHENZHEN_EN.get(name, name)}",
                "type": "District",
                "name": {"type": "LanguageProperty", "languageMap": names},
                "districtCode": {"type": "Property", "value": name},
                "location": {"type": "GeoProperty", "value": feature["geometry"]},
                "centroid": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [centroid.x, centroid.y]},
                },
                "areaKm2": {
                    "type": "Property",
                    "value": round(_area_km2(geom), 2),
                    "unitCode": "KMK",
                },
            }
        )
    return out


def _area_km2(geom: BaseGeometry) -> float:
    import math

    lat = geom.centroid.y
    return float(geom.area * 111.32 * 110.574 * math.cos(math.radians(lat)))


def random_point(geom: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A random point inside `geom` (rounded to 6 decimals), else a point surely inside it."""
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(Point(x, y)):
            return round(x, 6), round(y, 6)
    c = geom.representative_point()
    return c.x, c.y


def device_entities(
    districts: list[dict[str, Any]], count: int, city: str, seed: int = 37120
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    shapes = [(d, shape(d["location"]["value"])) for d in districts]
    weights = [max(g.area, 1e-6) ** 0.5 for _, g in shapes]
    for number in range(count):
        kind = DEVICE_KINDS[number % len(DEVICE_KINDS)]
        district, geom = rng.choices(shapes, weights)[0]
        lon, lat = random_point(geom, rng)
        code = district["districtCode"]["value"]
        entity = {
            "id": f"urn:ngsi-ld:{kind}:{city}:{number + 1:05d}",
            "type": kind,
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [lon, lat]},
            },
            "areaServed": {"type": "Property", "value": code},
            "refDistrict": {"type": "Relationship", "object": district["id"]},
            **device_reading(kind, rng),
        }
        yield entity


def load_demo_city(
    service: EntityService,
    vocabulary: Vocabulary,
    devices: int = 300,
    city: str = "Shenzhen",
    boundaries: Path | None = None,
    tenant: str = "",
) -> tuple[int, int]:
    """Upsert districts and devices; returns (districts, devices). Safe to run again."""
    districts = district_entities(read_districts(boundaries), city)
    if not districts:
        raise BadRequestData("the boundary file has no features")
    batch_upsert(service, tenant, districts, vocabulary.of_body, update_only=False)
    made = list(device_entities(districts, devices, city))
    for start in range(0, len(made), 500):
        batch_upsert(service, tenant, made[start : start + 500], vocabulary.of_body, False)
    return len(districts), len(made)
