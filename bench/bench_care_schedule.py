"""Home-care visit scheduling (cityhub.care.routing, OR-Tools):

- Solomon C101 (100 visits, best known 10 vehicles / 828.94): the distance after 2, 10 and 60
  seconds of search (target: within 3% of the best known in at most 60 s);
- a synthetic day of 200 visits for 20 caregivers (meal deliveries that use capacity, nursing
  visits that need a nurse, two-hour windows, two shifts), target: a complete feasible plan in
  under 10 s.

- one instance of each other family (C2, R1, R2, RC1, RC2: c201, r101, r201, rc101, rc201 from
  bench/data/solomon), CITYHUB_SOLOMON_SECONDS (60) each, the distance against the best known.

C101 is read from CITYHUB_SOLOMON_FILE (default ../shared/data/care/solomon_C101.txt)."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from _common import report

from cityhub.care.routing import Carer, Problem, Stop, check, solve
from cityhub.care.solomon import read_solomon

BEST_KNOWN = 828.94
ROOT = Path(__file__).resolve().parents[1]
# One instance of each other family (bench/data/solomon, see its README) and its best known
# solution, fewest vehicles first (SINTEF's published table).
FAMILIES = {
    "c201": (3, 591.56),
    "r101": (19, 1650.80),
    "r201": (4, 1252.37),
    "rc101": (14, 1696.95),
    "rc201": (4, 1406.94),
}
FAMILY_LIMIT_S = float(os.environ.get("CITYHUB_SOLOMON_SECONDS", "60"))


def synthetic_day(visits: int = 200, carers: int = 20, seed: int = 7) -> Problem:
    """Coordinates in minutes of travel on a 40 × 40 minute town; time 0 is 08:00."""
    rng = random.Random(seed)
    depot = Stop("centre", 20, 20, due=660)
    stops = []
    for i in range(visits):
        kind = rng.choices(["meal", "visit", "nursing", "cleaning"], [4, 3, 2, 1])[0]
        start = rng.randrange(0, 480, 30)
        stops.append(
            Stop(
                f"{kind}-{i}",
                rng.uniform(0, 40),
                rng.uniform(0, 40),
                demand=1 if kind == "meal" else 0,
                ready=start,
                due=start + 120,
                service={"meal": 10, "visit": 30, "nursing": 40, "cleaning": 60}[kind],
                skills=frozenset({"nursing"}) if kind == "nursing" else frozenset(),
            )
        )
    team = [
        Carer(f"carer-{i}", capacity=15, start=0 if i % 2 else 120, end=480 if i % 2 else 660,
              skills=frozenset({"nursing"}) if i < 7 else frozenset())
        for i in range(carers)
    ]  # fmt: skip
    return Problem("day-200", depot, stops, team)


def main() -> None:
    path = Path(
        os.environ.get(
            "CITYHUB_SOLOMON_FILE", ROOT.parent / "shared" / "data" / "care" / "solomon_C101.txt"
        )
    )
    if path.is_file():
        problem = read_solomon(path)
        for limit in (2.0, 5.0, 60.0):
            plan = solve(problem, limit)
            ok = not check(problem, plan)
            gap = plan.distance / BEST_KNOWN - 1
            report(
                f"C101 after {limit:g} s: {plan.vehicles} vehicles, gap",
                100 * gap,
                "%",
                "<= 3% in 60 s",
                ok and gap <= 0.03 and plan.vehicles == 10,
            )
            print(f"  distance {plan.distance:.2f} (best known {BEST_KNOWN}), feasible {ok}")
    else:
        print(f"C101 not found at {path}: set CITYHUB_SOLOMON_FILE")
    for name, (vehicles, best) in FAMILIES.items():
        problem = read_solomon(ROOT / "bench" / "data" / "solomon" / f"{name}.txt")
        plan = solve(problem, FAMILY_LIMIT_S)
        ok = not check(problem, plan)
        gap = plan.distance / best - 1
        report(
            f"{name.upper()} after {FAMILY_LIMIT_S:g} s: distance gap",
            100 * gap,
            "%",
            "<= 3%",
            ok and gap <= 0.03,
        )
        print(
            f"  {plan.vehicles} vehicles, distance {plan.distance:.2f} (best known {vehicles} "
            f"vehicles, {best}), feasible {ok}"
        )
    day = synthetic_day()
    started = time.perf_counter()
    plan = solve(day, 5.0)
    seconds = time.perf_counter() - started
    problems = check(day, plan)
    report(
        "200 visits, 20 caregivers: plan",
        seconds,
        "s",
        "< 10 s, complete",
        seconds < 10 and not problems and not plan.unassigned,
    )
    print(
        f"  {plan.vehicles} caregivers, {plan.distance:.0f} minutes of travel, "
        f"{len(plan.unassigned)} visits left out, problems: {problems[:1] or 'none'}"
    )


if __name__ == "__main__":
    main()
