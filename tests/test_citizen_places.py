"""Locating requests: point-in-polygon over the shipped boundaries, the gazetteer for address
text, and a city's own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.places import Gazetteer, Locator, check_coordinates
from cityhub.errors import BadRequestData, ConfigurationError


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator.load()


@pytest.mark.parametrize(
    "lat,lon,district",
    [
        (22.5431, 114.0579, "福田区"),  # Civic Center
        (22.5333, 113.9304, "南山区"),  # Nanshan
        (22.5484, 114.1315, "罗湖区"),  # Luohu
        (22.5560, 114.2370, "盐田区"),  # Yantian
        (22.5550, 113.8830, "宝安区"),  # Bao'an centre
        (22.7200, 114.2470, "龙岗区"),  # Longgang centre
        (22.6960, 114.0440, "龙华区"),  # Longhua
        (22.5960, 114.5030, "大鹏新区"),  # Dapeng
    ],
)
def test_coordinates_fall_in_their_district(
    locator: Locator, lat: float, lon: float, district: str
) -> None:
    place = locator.locate(lat, lon)
    assert (place.district, place.source) == (district, "coordinates")


def test_points_outside_the_city_have_no_district(locator: Locator) -> None:
    assert locator.locate(39.9042, 116.4074).district is None  # Beijing
    assert locator.locate(22.3193, 114.1694).district is None  # Hong Kong
    assert not locator.inside_city(116.4074, 39.9042)


@pytest.mark.parametrize(
    "text,district,street",
    [
        ("深圳市福田区香蜜湖街道农园路", "福田区", "香蜜湖街道"),
        ("华强北赛格广场门口", "福田区", "华强北街道"),
        ("龙华区民治街道民治大道", "龙华区", "民治街道"),
        ("宝安区西乡街办宝源路", "宝安区", "西乡街道"),
        ("南山区科技园", "南山区", None),
        ("Nanshan District, Shenzhen", "南山区", None),
        ("大鹏新区南澳街道", "大鹏新区", "南澳街道"),
        ("沙头角中英街", "盐田区", "沙头角街道"),
        ("在家门口", None, None),
    ],
)
def test_address_text_is_placed_by_the_gazetteer(
    locator: Locator, text: str, district: str | None, street: str | None
) -> None:
    place = locator.locate(None, None, text)
    assert (place.district, place.street) == (district, street)


def test_coordinates_and_address_together_give_the_street(locator: Locator) -> None:
    place = locator.locate(22.5431, 114.0579, "福田区莲花街道")
    assert (place.district, place.street) == ("福田区", "莲花街道")
    # a street from another district does not override the coordinates
    place = locator.locate(22.5431, 114.0579, "南山区蛇口街道")
    assert (place.district, place.street) == ("福田区", None)


def test_a_city_brings_its_own_gazetteer_and_street_polygons(tmp_path: Path) -> None:
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(
        "name,level,district,street,aliases\n"
        "Old Town,district,Old Town,,OT\n"
        "Market Street,street,Old Town,Market Street,\n",
        encoding="utf-8",
    )
    square = [[[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]]
    half = [[[10.0, 50.0], [10.05, 50.0], [10.05, 50.1], [10.0, 50.1], [10.0, 50.0]]]
    districts = tmp_path / "districts.geojson"
    districts.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"OT"},'
        f'"geometry":{{"type":"Polygon","coordinates":{square}}}}}]}}'
    )
    streets = tmp_path / "streets.geojson"
    streets.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"name":"Market Street"},'
        f'"geometry":{{"type":"Polygon","coordinates":{half}}}}}]}}'
    )
    own = Locator.load(gazetteer, districts, streets)
    assert own.locate(50.05, 10.02).district == "Old Town"  # alias OT resolved
    assert own.locate(50.05, 10.02).street == "Market Street"
    assert own.locate(50.05, 10.08).street is None
    assert own.locate(None, None, "near market street").street == "Market Street"


def test_bad_city_files_are_configuration_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(ConfigurationError):
        Locator.load(None, broken)
    with pytest.raises(ConfigurationError):
        Gazetteer.load(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "lat,lon", [("91", "0"), ("0", "181"), ("x", "1"), ("nan", "1"), (None, "1")]
)
def test_invalid_coordinates_are_refused(lat: str | None, lon: str) -> None:
    with pytest.raises(BadRequestData):
        check_coordinates(lat, lon)


def _catalog(departments: list[dict[str, object]]) -> dict[str, object]:
    return {
        "departments": departments,
        "services": [
            {
                "service_code": "hotline",
                "service_name": "hotline",
                "department": None,
                "deadline_days": {"normal": 5},
                "response_days": {"normal": 1},
            }
        ],
    }


def test_every_department_must_be_reachable_and_keywords_route_by_majority() -> None:
    name = {"zh": "部门", "en": "Department"}
    with pytest.raises(ConfigurationError, match="never receive"):
        ServiceCatalog(_catalog([{"code": "idle", "name": name}]))
    catalog = ServiceCatalog(
        _catalog(
            [
                {"code": "streets", "name": name, "keywords": ["路灯", "井盖"]},
                {"code": "parks", "name": name, "keywords": ["绿化带", "公园"]},
            ]
        )
    )
    assert catalog.department_by_keywords("路灯不亮，井盖也丢了") == ("streets", "路灯")
    assert catalog.department_by_keywords("公园里的路灯") is None  # one each: the model decides
    assert catalog.department_by_keywords("公园绿化带旁的路灯") == ("parks", "绿化带")
    assert catalog.department_by_keywords("咨询社保") is None
    shipped = ServiceCatalog.load()
    assert shipped.department_by_keywords("路灯坏了") == ("urban-management", "路灯")
    assert shipped.departments["urban-management"].categories
