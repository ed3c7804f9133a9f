"""Home-care visit scheduling as a VRPTW: the Solomon benchmark C101 (best known 10 vehicles,
828.94) solved within 3% by `cityhub care schedule`, the printed plan verified here on its own;
skills and shifts honoured on a small hand-made day; a bad plan named by the checker; a bad
file refused in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cityhub.care.routing import Carer, Plan, Problem, Route, Stop, check, solve
from cityhub.care.solomon import read_solomon
from tests.test_cli import run

BEST_KNOWN_C101 = 828.94


def _verify(path: Path, routes: list[dict[str, object]]) -> float:
    """An independent check of a Solomon plan: each customer once, capacity, windows,
    the depot's horizon; returns the total Euclidean distance."""
    rows = [r.split() for r in path.read_text().splitlines()]
    capacity = float(next(r for r in rows if len(r) == 2 and r[0].isdigit())[1])
    nodes = {int(r[0]): [float(v) for v in r[1:]] for r in rows if len(r) == 7 and r[0].isdigit()}
    seen: list[int] = []
    total = 0.0
    for route in routes:
        at, here, load = 0.0, 0, 0.0
        for ident in [int(str(s)) for s in route["stops"]]:  # type: ignore[attr-defined]
            x, y, demand, ready, due, service = nodes[ident]
            leg = math.dist(nodes[here][:2], (x, y))
            total += leg
            at = max(at + leg, ready)
            assert at <= due + 1e-6, f"customer {ident} reached at {at}, due {due}"
            at += service
            load += demand
            here = ident
            seen.append(ident)
        back = math.dist(nodes[here][:2], nodes[0][:2])
        total += back
        assert at + back <= nodes[0][4] + 1e-6 and load <= capacity
    assert sorted(seen) == sorted(n for n in nodes if n)
    return total


def test_c101_is_solved_within_three_percent_of_the_best_known(shared_data: Path) -> None:
    path = shared_data / "care" / "solomon_C101.txt"
    out = run("care", "schedule", "--solomon", str(path), "--time-limit", "20", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["feasible"] is True and plan["vehicles"] == 10
    assert plan["distance"] <= BEST_KNOWN_C101 * 1.03
    assert abs(_verify(path, plan["routes"]) - plan["distance"]) < 0.01
    text = run("care", "schedule", "--solomon", str(path), "--time-limit", "1")
    assert text.returncode == 0 and "feasible" in text.stdout.splitlines()[-1]


def test_skills_and_shifts_are_honoured() -> None:
    depot = Stop("depot", 0, 0, due=600)
    nursing = frozenset({"nursing"})
    stops = [
        Stop("meal-1", 10, 0, demand=1, ready=0, due=100, service=10),
        Stop("nursing-1", 0, 10, ready=50, due=200, service=30, skills=nursing),
        Stop("visit-1", -10, 0, ready=0, due=300, service=20),
        Stop("nursing-2", 0, -10, ready=300, due=400, service=30, skills=nursing),
    ]
    carers = [
        Carer("aide", capacity=5, start=0, end=250),  # a short shift, no nursing
        Carer("nurse", capacity=5, start=0, end=600, skills=frozenset({"nursing"})),
    ]
    problem = Problem("day", depot, stops, carers)
    plan = solve(problem, time_limit=1)
    assert check(problem, plan) == [] and plan.unassigned == []
    by_carer = {r.carer: r.stops for r in plan.routes}
    assert {"nursing-1", "nursing-2"} <= set(by_carer["nurse"])
    assert not {"nursing-1", "nursing-2"} & set(by_carer.get("aide", []))
    # the checker names what is wrong with a bad plan
    bad = Plan("day", [Route("aide", ["nursing-2", "meal-1", "meal-1"])], [])
    found = " | ".join(check(problem, bad))
    assert "lacks a skill" in found and "planned twice" in found and "after" in found
    assert "not planned" in found


def test_a_bad_file_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("X1\n\nVEHICLE\nNUMBER CAPACITY\n 3 50\n\nCUSTOMER\n 0 1 2 3\n")
    out = run("care", "schedule", "--solomon", str(broken))
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1
    assert "customer line 1 has 4 numbers" in out.stderr
    with pytest.raises(Exception, match="depot"):
        bad = tmp_path / "nodepot.txt"
        bad.write_text("X2\nVEHICLE\n 3 50\nCUSTOMER\n 5 1 2 3 0 10 0\n")
        read_solomon(bad)
