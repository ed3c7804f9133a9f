"""Service points on both stores: opening hours on the city's calendar (statutory holidays,
make-up working days, overnight hours), GCJ-02 input, the nearest open points with capacity
equal to a brute-force check on random places, live occupancy followed, the loader's errors
named by line, and the API and CLI."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from cityhub.care.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from cityhub.care.hours import check_hours, is_open
from cityhub.care.loader import read_points
from cityhub.care.points import KINDS, ServicePoint
from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from tests.conftest import Server
from tests.test_cli import run

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
HOURS = [
    "24/7",
    "Mo-Fr 08:00-20:00; PH off",
    "Mo-Su 08:00-12:00,14:00-20:00; PH 09:00-12:00",
    "Mo-Su 22:00-06:00",
    "Sa,Su 09:00-17:00",
]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_opening_hours_follow_the_citys_calendar() -> None:
    weekdays = "Mo-Fr 08:00-20:00; Sa 09:00-12:00; PH off"
    assert is_open(weekdays, at("2026-12-03T10:00"), ZONE)  # a Thursday
    assert not is_open(weekdays, at("2026-12-03T21:00"), ZONE)
    assert not is_open(weekdays, at("2026-10-05T10:00"), ZONE)  # 国庆, a Monday off
    assert is_open(weekdays, at("2026-10-10T15:00"), ZONE)  # a Saturday worked (调休)
    assert is_open(weekdays, at("2026-12-05T10:00"), ZONE)  # an ordinary Saturday
    assert not is_open(weekdays, at("2026-12-05T15:00"), ZONE)
    holiday_hours = "Mo-Fr 08:00-20:00; PH 09:00-12:00"
    assert is_open(holiday_hours, at("2026-10-05T10:00"), ZONE)
    assert not is_open(holiday_hours, at("2026-10-05T13:00"), ZONE)
    # no PH rule: a holiday keeps the weekday's hours
    assert is_open("Mo-Fr 08:00-20:00", at("2026-10-05T10:00"), ZONE)
    overnight = "Mo-Su 22:00-06:00"
    assert is_open(overnight, at("2026-12-03T02:00"), ZONE)
    assert is_open(overnight, at("2026-12-03T23:30"), ZONE)
    assert not is_open(overnight, at("2026-12-03T12:00"), ZONE)
    # a moment in another zone is read in the city's
    assert is_open(weekdays, dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC), ZONE)  # 09:00 local
    with pytest.raises(BadRequestData, match="opening_hours syntax"):
        check_hours("open when we feel like it")


def test_gcj02_is_converted_to_wgs84() -> None:
    for lon, lat in ((114.0579, 22.5431), (113.93, 22.52), (114.25, 22.72)):
        g_lon, g_lat = wgs84_to_gcj02(lon, lat)
        offset = math.dist((0, 0), ((g_lon - lon) * 102_800, (g_lat - lat) * 110_800))
        assert 300 < offset < 800  # GCJ-02 moves Shenzhen a few hundred metres
        back = gcj02_to_wgs84(g_lon, g_lat)
        assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)  # outside China: the same


def _random_points(rng: random.Random, count: int) -> list[ServicePoint]:
    kinds = list(KINDS)
    out = []
    for i in range(count):
        capacity = rng.choice([None, 10, 40])
        out.append(
            ServicePoint(
                f"urn:ngsi-ld:PointOfInterest:test:{i}",
                f"点{i}",
                rng.choice(kinds),
                frozenset({rng.choice(["meals", "vaccination", "nursing"])}),
                rng.uniform(113.85, 114.35),
                rng.uniform(22.5, 22.75),
                rng.choice(HOURS),
                capacity,
                rng.randint(0, capacity) if capacity else None,
            )
        )
    return out


def _brute(
    points: list[ServicePoint],
    lat: float,
    lon: float,
    service: str | None,
    moment: dt.datetime,
    n: int,
    capacity: bool,
) -> list[str]:
    def metres(p: ServicePoint) -> float:  # haversine, written out again
        p1, p2 = math.radians(lat), math.radians(p.lat)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(p.lon - lon) / 2) ** 2
        )
        return 2 * 6_371_008.8 * math.asin(math.sqrt(a))

    keep = [
        p
        for p in points
        if (not service or service in p.services or service == p.kind)
        and (not capacity or (p.capacity is not None and p.capacity - (p.occupancy or 0) > 0))
        and is_open(p.hours, moment, ZONE)
    ]
    return [p.id for p in sorted(keep, key=metres)[:n]]


def test_nearest_equals_a_brute_force_check(hub: Hub) -> None:
    rng = random.Random(11)
    points = _random_points(rng, 600)
    assert hub.care.save(points) == 600
    for _ in range(60):
        lat, lon = rng.uniform(22.5, 22.75), rng.uniform(113.85, 114.35)
        service = rng.choice([None, "meals", "vaccination", "elderly_canteen"])
        moment = at(
            rng.choice(
                [
                    "2026-12-03T10:00",
                    "2026-12-03T23:00",
                    "2026-10-05T10:00",
                    "2026-10-10T10:00",
                    "2026-12-06T13:00",
                ]
            )
        )
        capacity = rng.random() < 0.3
        found = hub.care.nearest(lat, lon, service, moment, 5, True, capacity)
        assert [f.point.id for f in found] == _brute(points, lat, lon, service, moment, 5, capacity)
        assert all(abs(f.minutes - f.metres * 1.3 / 80) < 1e-9 for f in found)


def test_live_occupancy_is_followed(hub: Hub) -> None:
    canteen = ServicePoint(
        "urn:ngsi-ld:PointOfInterest:test:canteen",
        "长者饭堂",
        "elderly_canteen",
        frozenset({"meals"}),
        114.05,
        22.54,
        "24/7",
        40,
        10,
    )
    hub.care.save([canteen])
    assert [f.point.id for f in hub.care.nearest(22.54, 114.05, "meals", with_capacity=True)] == [
        canteen.id
    ]
    hub.care.save([ServicePoint(**{**canteen.__dict__, "occupancy": 40})])  # now full
    assert hub.care.nearest(22.54, 114.05, "meals", with_capacity=True) == []
    assert hub.care.nearest(22.54, 114.05, "meals")[0].point.free == 0


def test_loader_names_bad_rows_and_converts_gcj02(tmp_path: Path) -> None:
    good = tmp_path / "points.csv"
    lon, lat = wgs84_to_gcj02(114.0579, 22.5431)
    good.write_text(
        "编号,名称,类型,纬度,经度,营业时间,座位\n"
        f"c1,福田长者饭堂,elderly_canteen,{lat},{lon},Mo-Fr 11:00-13:00,60\n",
        encoding="utf-8",
    )
    mapping = {
        "id": "编号",
        "name": "名称",
        "kind": "类型",
        "lat": "纬度",
        "lon": "经度",
        "hours": "营业时间",
        "capacity": "座位",
    }
    (point,) = read_points(good, mapping, gcj02=True, city="Shenzhen")
    assert abs(point.lon - 114.0579) < 1e-7 and abs(point.lat - 22.5431) < 1e-7
    assert point.id == "urn:ngsi-ld:PointOfInterest:Shenzhen:c1" and point.capacity == 60
    bad = tmp_path / "bad.csv"
    for row, message in (
        ("c2,x,bakery,22.5,114.0,24/7,", "line 2: kind 'bakery'"),
        ("c2,x,pharmacy,north,114.0,24/7,", "line 2: lat and lon must be numbers"),
        ("c2,x,pharmacy,22.5,114.0,whenever,", "line 2: opening hours 'whenever'"),
        ("c2,x,pharmacy,22.5,114.0,24/7,many", "line 2: capacity and occupancy"),
    ):
        bad.write_text("编号,名称,类型,纬度,经度,营业时间,座位\n" + row + "\n", encoding="utf-8")
        with pytest.raises(BadRequestData, match=message):
            read_points(bad, mapping)


def test_nearest_over_http_and_the_cli(server: Server, tmp_path: Path) -> None:
    server.hub.care.save(_random_points(random.Random(5), 200))
    url = server.base + "/care/v1/nearest"
    ok = httpx.get(url, params={"lat": 22.6, "lon": 114.1, "n": 3, "at": "2026-12-03T10:00"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert len(body["points"]) == 3 and "1.3" in body["method"]
    metres = [p["metres"] for p in body["points"]]
    assert metres == sorted(metres) and all(p["open"] for p in body["points"])
    for bad in (
        {"lat": 95, "lon": 114},
        {"lat": 22.6},
        {"lat": 22.6, "lon": 114, "n": 0},
        {"lat": 22.6, "lon": 114, "at": "soon"},
        {"lat": 22.6, "lon": 114, "open": "x"},
    ):
        answer = httpx.get(url, params=bad)
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    # an address the gazetteer knows: a point inside its street, or its district when the
    # city has no street boundaries (as here)
    named = httpx.get(url, params={"address": "粤海街道", "n": 1, "open": "false"}).json()
    found = server.hub.requests.locator.locate(named["from"]["lat"], named["from"]["lon"])
    assert found.district == "南山区" and named["from"]["place"].startswith("南山区")
    if found.street:
        assert found.street == "粤海街道" and named["from"]["place"] == "南山区 · 粤海街道"
    unknown = httpx.get(url, params={"address": "火星基地"})
    assert unknown.status_code == 400 and "no district or street" in unknown.json()["detail"]
    kinds = httpx.get(server.base + "/care/v1/kinds").json()
    assert {"kind": "elderly_canteen", "name": {"zh": "长者饭堂", "en": "Elderly canteen"}} in kinds
    db = f"sqlite:///{tmp_path / 'care.db'}"
    points = tmp_path / "points.csv"
    points.write_text(
        "id,name,kind,lat,lon,hours\na,社康A,community_health_centre,22.54,114.05,24/7\n"
        "b,社康B,community_health_centre,22.60,114.05,24/7\n",
        encoding="utf-8",
    )
    assert run("care", "load", str(points), "--database", db).returncode == 0
    out = run("care", "nearest", "--lat", "22.55", "--lon", "114.05", "--json", "--database", db)
    assert out.returncode == 0, out.stderr
    assert [p["name"] for p in __import__("json").loads(out.stdout)["points"]] == ["社康A", "社康B"]


def test_points_from_geojson_and_from_a_catalog_dataset(tmp_path: Path) -> None:
    import orjson

    from cityhub.auth.principal import OPERATOR
    from cityhub.config import Settings
    from cityhub.store.catalog_sql import AuditFilter

    lon, lat = wgs84_to_gcj02(114.0579, 22.5431)
    geo = tmp_path / "points.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": "g1",
            "name": "社康G",
            "kind": "community_health_centre",
            "hours": "24/7",
            "capacity": 200,
        },
    }
    geo.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [feature]}))
    (point,) = read_points(geo, gcj02=True)
    assert abs(point.lon - 114.0579) < 1e-7 and point.capacity == 200
    broken = tmp_path / "line.geojson"
    broken.write_bytes(
        orjson.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {**feature, "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}
                ],
            }
        )
    )
    with pytest.raises(BadRequestData, match="feature 1: a Point geometry"):
        read_points(broken)
    # a department's register published in the catalog, loaded through it (and audited)
    db = f"sqlite:///{tmp_path / 'city.db'}"
    hub = Hub.open(Settings(database_url=db))
    hub.store.migrate()
    register = tmp_path / "register.csv"
    register.write_text(
        "编号,名称,类型,纬度,经度\nd1,长者饭堂D,elderly_canteen,22.54,114.05\n", encoding="utf-8"
    )
    hub.catalog.create(
        OPERATOR,
        {
            "name": "canteens",
            "org": "civil",
            "title": "长者饭堂名录",
            "share_type": "unconditional",
            "open_type": "open",
        },
    )
    hub.catalog.add_file(OPERATOR, "canteens", register)
    hub.close()
    out = run(
        "care",
        "load",
        "--dataset",
        "canteens",
        "--map",
        "id=编号",
        "--map",
        "name=名称",
        "--map",
        "kind=类型",
        "--map",
        "lat=纬度",
        "--map",
        "lon=经度",
        "--database",
        db,
    )
    assert out.returncode == 0, out.stderr
    hub = Hub.open(Settings(database_url=db))
    try:
        names = [f.point.name for f in hub.care.nearest(22.54, 114.05, "elderly_canteen")]
        assert names == ["长者饭堂D"]
        reads = hub.store.catalog.audit_records(AuditFilter(action="read"), limit=50)
        assert any(r.actor == "cli" and r.rows == 1 for r in reads)
    finally:
        hub.close()
    both = run("care", "load", str(geo), "--dataset", "canteens", "--database", db)
    assert both.returncode == 1 and "one of them" in both.stderr


def test_barthel_index_and_dependency_level(server: Server) -> None:
    from cityhub.care.barthel import ITEMS, assess

    full = {name: max(allowed) for name, (allowed, _, _) in ITEMS.items()}
    assert (assess(full).score, assess(full).level) == (100, "independent")
    # a person who needs help with bathing, dressing, stairs and walking
    helped = {**full, "bathing": 0, "dressing": 5, "stairs": 5, "mobility": 10}
    scored = assess(helped)
    assert scored.score == 100 - 5 - 5 - 5 - 5 and scored.level == "mild"
    assert (
        assess(
            {**full, "transfers": 5, "mobility": 0, "stairs": 0, "bathing": 0, "dressing": 5}
        ).score
        == 55
    )
    assert assess({name: 0 for name in ITEMS}).level_name == {
        "zh": "重度依赖",
        "en": "severely dependent",
    }
    assert (
        assess(
            {
                **{n: 0 for n in ITEMS},
                "feeding": 10,
                "bowels": 10,
                "bladder": 10,
                "grooming": 5,
                "toilet": 5,
                "transfers": 5,
            }
        ).level
        == "moderate"
    )  # 45
    for bad, message in (
        ({**full, "bathing": 10}, "bathing"),
        ({**full, "dancing": 5}, "dancing"),
        ({k: v for k, v in full.items() if k != "stairs"}, "stairs"),
    ):
        with pytest.raises(BadRequestData, match=message):
            assess(bad)
    url = server.base + "/care/v1/assessments/barthel"
    answer = httpx.post(url, json=helped)
    assert answer.status_code == 200 and answer.json()["score"] == 80
    refused = httpx.post(url, json={**helped, "feeding": 7})
    assert refused.status_code == 400 and "feeding" in refused.json()["detail"]
