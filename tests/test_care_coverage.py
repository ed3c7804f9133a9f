"""The 15-minute life circle on a small hand-checked city: residents along one street (one
degree of latitude is R·π/180 m), a facility at one end; the covered shares per area are
exact, the gaps ranked by residents left out, and the sites the location model picks cover
exactly the people it reports — the best choice, as enumerating every choice confirms."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from cityhub.care.coverage import Residents, best_sites, coverage
from cityhub.care.points import EARTH_M
from cityhub.errors import BadRequestData
from tests.test_cli import run

LAT0, LON = 22.5, 114.0
METRE = 180 / (math.pi * EARTH_M)  # degrees of latitude in a metre along a meridian
REACH = 1000.0  # walking metres: 1000 / 1.3 = 769 m in a straight line


def at(metres: float) -> tuple[float, float]:
    return LAT0 + metres * METRE, LON


def city() -> Residents:
    # (metres along the street, people, area)
    rows = [
        (0, 1000, "甲"),
        (500, 2000, "甲"),
        (1000, 1500, "乙"),
        (3000, 500, "乙"),
        (5000, 800, "丙"),
    ]
    return Residents(
        np.array([at(m)[0] for m, _, _ in rows]),
        np.array([LON] * len(rows)),
        np.array([float(p) for _, p, _ in rows]),
        [a for _, _, a in rows],
    )


CANDIDATES = [at(1000), at(3000), at(5000), at(2000)]


def test_covered_shares_are_exact() -> None:
    covered, areas = coverage(city(), [at(0)], REACH)
    assert covered.tolist() == [True, True, False, False, False]
    shares = {a.area: (a.people, a.covered, a.share) for a in areas}
    assert shares == {"甲": (3000, 3000, 1.0), "乙": (2000, 0, 0.0), "丙": (800, 0, 0.0)}
    assert [a.area for a in areas] == ["乙", "丙", "甲"]  # most residents left out first
    # 769 m in a straight line is the edge: 760 m is in, 780 m out
    edge = Residents(
        np.array([at(760)[0], at(780)[0]]), np.array([LON, LON]), np.array([1.0, 1.0]), ["x", "x"]
    )
    assert coverage(edge, [at(0)], REACH)[0].tolist() == [True, False]


@pytest.mark.parametrize("add", [1, 2, 3])
def test_the_location_model_picks_the_best_sites(add: int) -> None:
    residents = city()
    chosen = best_sites(residents, [at(0)], CANDIDATES, REACH, add)
    assert chosen.covered_before == 3000
    sites = [CANDIDATES[j] for j in chosen.chosen]
    covered, _ = coverage(residents, [at(0), *sites], REACH)
    assert chosen.covered_after == residents.people[covered].sum()  # the reported gain is real
    best = max(
        residents.people[coverage(residents, [at(0), *combo], REACH)[0]].sum()
        for combo in itertools.combinations(CANDIDATES, add)
    )
    assert chosen.covered_after == best
    assert {1: 1500, 2: 2300, 3: 2800}[add] == chosen.gained


def test_the_location_model_refuses_impossible_requests() -> None:
    with pytest.raises(BadRequestData, match="add 1 to 4"):
        best_sites(city(), [at(0)], CANDIDATES, REACH, 5)


def test_the_cli_reports_coverage_and_sites(tmp_path: Path) -> None:
    from cityhub.care.points import ServicePoint
    from cityhub.config import Settings
    from cityhub.hub import Hub

    db = f"sqlite:///{tmp_path / 'city.db'}"
    hub = Hub.open(Settings(database_url=db))
    hub.store.migrate()
    lat, lon = at(0)
    hub.care.save(
        [
            ServicePoint(
                "urn:ngsi-ld:PointOfInterest:t:1",
                "日照中心",
                "day_care_centre",
                frozenset({"day_care_centre"}),
                lon,
                lat,
            )
        ]
    )
    hub.close()
    people = tmp_path / "residents.csv"
    people.write_text(
        "lat,lon,people,area\n"
        + "".join(
            f"{at(m)[0]},{LON},{p},{a}\n"
            for m, p, a in (
                (0, 1000, "甲"),
                (500, 2000, "甲"),
                (1000, 1500, "乙"),
                (3000, 500, "乙"),
                (5000, 800, "丙"),
            )
        ),
        encoding="utf-8",
    )
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "lat,lon,name\n"
        + "".join(f"{c[0]},{c[1]},候选{i + 1}\n" for i, c in enumerate(CANDIDATES)),
        encoding="utf-8",
    )
    out = run(
        "care",
        "coverage",
        "--residents",
        str(people),
        "--kind",
        "day_care_centre",
        "--minutes",
        "15",
        "--candidates",
        str(sites),
        "--add",
        "2",
        "--json",
        "--database",
        db,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [(a["area"], a["share"]) for a in doc["areas"]] == [
        ("乙", 0.0),
        ("丙", 0.0),
        ("甲", 1.0),
    ]
    assert doc["siting"]["gained"] == 2300
    assert sorted(c["name"] for c in doc["siting"]["chosen"]) == ["候选1", "候选3"]
    bad = run(
        "care", "coverage", "--residents", str(sites), "--kind", "day_care_centre", "--database", db
    )
    assert bad.returncode == 1 and "needs the columns" in bad.stderr


def test_area_gaps_are_the_covered_share_of_each_areas_grid() -> None:
    from shapely.geometry import box

    from cityhub.care.gaps import area_grid, gaps

    # two 2 km squares side by side at the equator; one centre of service in the west one
    west, east = box(0.0, 0.0, 0.018, 0.018), box(0.018, 0.0, 0.036, 0.018)
    grid = area_grid(["west", "east"], [west, east], spacing_m=100)
    assert grid.areas.count("west") == grid.areas.count("east")
    site = (0.009, 0.009)
    metres = 1000.0
    found = {g.name: g for g in gaps(grid, [site], metres, {"west": 1000})}
    # by hand: the share of the west square within 1000 / 1.3 m of its centre is the disc's
    # area over the square's (the disc lies inside it); none of the east square is reached
    radius = metres / 1.3
    expected = math.pi * radius**2 / (0.018 * EARTH_M * math.pi / 180) ** 2
    assert abs(found["west"].share - expected) < 0.02 and found["east"].share == 0.0
    assert found["west"].left_out == round(1000 * (1 - found["west"].share))
    assert found["east"].people is None and found["east"].left_out is None
