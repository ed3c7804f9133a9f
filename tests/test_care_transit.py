"""The nearest search by bus: a hand-made line timed by hand (walk, wait, ride, walk), a ride
only in the line's direction and only when it beats walking, a farther point reached sooner by
bus ranked first, both file formats read (a bad row named), and Shenzhen's published lines."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from cityhub.care.nearest import NearestIndex
from cityhub.care.points import ServicePoint
from cityhub.care.transit import BUS_M_PER_MIN, ROAD, WAIT_MIN, BusNetwork
from cityhub.errors import ConfigurationError

LAT = 22.5
STOPS = [(114.0 + 0.01 * k, LAT) for k in range(11)]  # west to east, about 1 km apart


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((a[0] - b[0]) * 111_320 * k, (a[1] - b[1]) * 110_540)


def walk(m: float) -> float:
    return m * 1.3 / 80


def line() -> BusNetwork:
    return BusNetwork([("1路(西-东)", [f"站{k}" for k in range(11)], STOPS)])


def test_a_ride_is_walk_wait_ride_walk_in_the_lines_direction_only() -> None:
    net = line()
    origin, target = (114.0, LAT + 0.001), (114.08, LAT + 0.001)
    (ride,) = net.rides(origin[1], origin[0], np.array([target[1]]), np.array([target[0]]))
    assert ride is not None and ride.line == "1路(西-东)"
    assert (ride.board, ride.alight, ride.stops) == ("站0", "站8", 8)
    along = sum(metres(STOPS[k], STOPS[k + 1]) for k in range(8))
    by_hand = (walk(metres(origin, STOPS[0])) + WAIT_MIN + along * ROAD / BUS_M_PER_MIN
               + walk(metres(STOPS[8], target)))  # fmt: skip
    assert ride.minutes == pytest.approx(by_hand, rel=0.01)
    assert ride.walk_minutes == pytest.approx(2 * walk(metres(origin, STOPS[0])), rel=0.02)
    (back,) = net.rides(target[1], target[0], np.array([origin[1]]), np.array([origin[0]]))
    assert back is None  # the line runs west to east only
    (far,) = net.rides(LAT + 0.05, 114.0, np.array([target[1]]), np.array([target[0]]))
    assert far is None  # no stop within walking reach of the start


def test_a_farther_point_reached_sooner_by_bus_comes_first() -> None:
    def point(ident: str, lon: float, lat: float) -> ServicePoint:
        return ServicePoint(ident, ident, "clinic", frozenset({"clinic"}), lon, lat, "24/7")

    near_off_line = point("off-line", 114.0, LAT + 0.027)  # 3 km north: 49 minutes on foot
    far_on_line = point("on-line", 114.08, LAT + 0.001)  # 8 km east along the line
    next_door = point("next-door", 114.001, LAT + 0.001)
    index = NearestIndex([near_off_line, far_on_line, next_door], "Asia/Shanghai")
    at = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
    found = index.query(LAT + 0.001, 114.0, "clinic", at, 3, bus=line())
    assert [f.point.id for f in found] == ["next-door", "on-line", "off-line"]
    assert found[0].ride is None  # walking beats the bus
    assert found[1].ride is not None and found[1].fastest < found[2].minutes < found[1].minutes
    without = index.query(LAT + 0.001, 114.0, "clinic", at, 3)
    assert [f.point.id for f in without] == ["next-door", "off-line", "on-line"]


def test_both_file_formats_are_read_and_a_bad_row_is_named(tmp_path: Path) -> None:
    long = tmp_path / "lines.csv"
    rows = ["line,seq,stop,lon,lat", *(f"1路,{k},站{k},{lon},{lat}" for k, (lon, lat)
                                       in reversed(list(enumerate(STOPS))))]  # fmt: skip
    long.write_text("\n".join(rows), encoding="utf-8")
    net = BusNetwork.load(long)
    assert net.lines == ["1路"] and net.names[0] == "站0"  # put in order by seq
    listed = tmp_path / "listed.csv"
    names = str([f"站{k}" for k in range(3)]).replace('"', "'")
    geos = str([f"{lon},{lat}" for lon, lat in STOPS[:3]])
    listed.write_text(f'linename,stationname,stationgeo\n2路,"{names}","{geos}"\n', "utf-8")
    assert BusNetwork.load(listed).stops == 3
    long.write_text("line,seq,stop,lon,lat\n1路,1,站1,114.0,22.5\n1路,x,站2,114.01,22.5\n")
    with pytest.raises(ConfigurationError, match="line 3"):
        BusNetwork.load(long)


def test_shenzhens_published_lines(shared_data: Path) -> None:
    net = BusNetwork.load(shared_data / "mobility" / "shenzhen_bus_lines_stations_pygeo.csv")
    assert len(net.lines) == 2113 and net.stops > 50_000
    first = net._start[0]  # the first line: from its first stop to its last
    last = net._start[1] - 1
    start, end = net._tree.data[first], net._tree.data[last]
    lat0 = math.cos(math.radians(net._lat0))
    ride = net.rides(
        start[1] / 110_540,
        start[0] / (111_320 * lat0),
        np.array([end[1] / 110_540]),
        np.array([end[0] / (111_320 * lat0)]),
    )[0]
    assert ride is not None and ride.minutes < walk(float(np.hypot(*(end - start))))  # fmt: skip


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="22.5" lon="114.0"/><node id="2" lat="22.51" lon="114.0"/>
  <node id="3" lat="22.51" lon="114.01"/><node id="4" lat="22.5" lon="114.01"/>
  <node id="5" lat="22.5" lon="114.005"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="12"><nd ref="1"/><nd ref="5"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
  <way id="13"><nd ref="1"/><nd ref="5"/><tag k="highway" v="footway"/><tag k="foot" v="no"/></way>
</osm>"""


def test_walking_follows_the_streets_around_what_cannot_be_crossed(tmp_path: Path) -> None:
    from cityhub.care.streets import StreetNetwork

    path = tmp_path / "city.osm"
    path.write_text(OSM, encoding="utf-8")
    net = StreetNetwork.load(path)
    assert net.nodes == 4  # node 5 lies only on ways nobody may walk
    corner = [(114.0, 22.5), (114.0, 22.51), (114.01, 22.51), (114.01, 22.5)]
    around = sum(metres(corner[k], corner[k + 1]) for k in range(3))
    walked = net.walk_metres(22.5, 114.0, np.array([22.5, 22.51, 22.6]),
                             np.array([114.01, 114.0, 114.0]))  # fmt: skip
    assert walked[0] == pytest.approx(around, rel=0.005)  # not across the motorway
    assert walked[1] == pytest.approx(metres(corner[0], corner[1]), rel=0.005)
    assert walked[2] == math.inf  # 10 km from any street

    # a point straight across the motorway is farther on foot than one up the street
    def point(ident: str, lon: float, lat: float) -> ServicePoint:
        return ServicePoint(ident, ident, "clinic", frozenset({"clinic"}), lon, lat, "24/7")

    index = NearestIndex([point("across", 114.01, 22.5), point("up", 114.0, 22.5095)],
                         "Asia/Shanghai")  # fmt: skip
    at = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
    found = index.query(22.5, 114.0, "clinic", at, 2, streets=net)
    assert [f.point.id for f in found] == ["up", "across"]
    assert found[1].walked_m == pytest.approx(around, rel=0.005)
    assert found[1].minutes == pytest.approx(around / 80, rel=0.005)
    # the life circle's reach along the streets: up the street yes, across the motorway no
    reached = net.reached(np.array([22.5]), np.array([114.0]), np.array([22.5095, 22.5]),
                          np.array([114.0, 114.01]), 1200.0)  # fmt: skip
    assert reached.tolist() == [True, False]
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'/></osm>", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="street network"):
        StreetNetwork.load(bad)


def test_the_citys_files_reach_the_nearest_search(shared_data: Path, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from cityhub.config import Settings
    from cityhub.hub import Hub

    osm = tmp_path / "city.osm"
    osm.write_text(OSM, encoding="utf-8")
    buses = shared_data / "mobility" / "shenzhen_bus_lines_stations_pygeo.csv"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", bus_network=str(buses),
                        street_network=str(osm))  # fmt: skip
    hub = Hub.open(settings)
    try:
        hub.store.migrate()
        kind = "community_health_centre"
        far = ServicePoint("urn:ngsi-ld:PointOfInterest:far", "远处社康", kind,
                           frozenset({kind}), 114.05, 22.61, "24/7")  # fmt: skip
        hub.care.save([far])
        assert hub.care.bus() is not None and hub.care.streets() is not None
        at = dt.datetime(2026, 12, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
        (found,) = hub.care.nearest(22.54, 114.05, "community_health_centre", at, 1)
        assert found.ride is not None and found.fastest < found.minutes  # 8 km: the bus wins
    finally:
        hub.close()


def test_the_life_circle_walks_along_the_streets(tmp_path: Path) -> None:
    from cityhub.care.coverage import Residents, best_sites, coverage
    from cityhub.care.streets import StreetNetwork

    path = tmp_path / "city.osm"
    path.write_text(OSM, encoding="utf-8")
    net = StreetNetwork.load(path)
    homes = Residents(np.array([22.5095, 22.5]), np.array([114.0, 114.01]),
                      np.array([100.0, 300.0]), ["north", "east"])  # fmt: skip
    # a facility at the corner: by straight line both homes are within 1,500 m (× 1.3);
    # along the streets the eastern one is 3.2 km away, round the motorway
    assert coverage(homes, [(22.5, 114.0)], 1500.0)[0].tolist() == [True, True]
    covered, areas = coverage(homes, [(22.5, 114.0)], 1500.0, net)
    assert covered.tolist() == [True, False]
    assert {a.area: a.share for a in areas} == {"north": 1.0, "east": 0.0}
    siting = best_sites(homes, [(22.5, 114.0)], [(22.51, 114.0), (22.5005, 114.01)], 1500.0, 1,
                        streets=net)  # fmt: skip
    assert siting.chosen == [1] and siting.gained == 300.0
