"""Participatory budgeting: approval ballots within the budget counted greedy-by-votes, with
invalid and duplicate ballots set aside, a project that does not fit passed over, and ties
to the cheaper project; the CLI over CSV files."""

from __future__ import annotations

import json
from pathlib import Path

from cityhub.survey.budgeting import Project, count
from tests.test_cli import run

PROJECTS = [
    Project("p1", "社区长者饭堂", "福田区", 600_000),
    Project("p2", "口袋公园", "福田区", 500_000),
    Project("p3", "加装电梯", "福田区", 300_000),
    Project("p4", "篮球场翻新", "福田区", 200_000),
    Project("n1", "社康中心夜诊", "南山区", 400_000),
]
BUDGETS = {"福田区": 1_000_000, "南山区": 300_000}


def test_greedy_by_votes_passes_over_what_does_not_fit() -> None:
    ballots = [
        ("v1", ["p1", "p3"]), ("v2", ["p1", "p4"]), ("v3", ["p2", "p3"]), ("v4", ["p2", "p4"]),
        ("v5", ["p1"]), ("v6", ["p2", "p4"]), ("v7", ["p4"]),
    ]  # fmt: skip
    # approvals: p1 3, p2 3, p4 4, p3 2
    result = count(PROJECTS, BUDGETS, ballots)
    futian = result.districts["福田区"]
    assert [p.id for p, _ in futian.chosen] == ["p4", "p2", "p3"]  # p2 before p1: cheaper tie
    assert [p.id for p, _ in futian.passed_over] == ["p1"]  # 600k does not fit in the 0 left
    assert futian.spent == 1_000_000 and futian.left == 0
    assert result.valid == 7 and result.invalid == {}


def test_invalid_and_duplicate_ballots_are_set_aside() -> None:
    ballots = [
        ("v1", ["p1", "p2"]),  # 1.1M over a 1M budget
        ("v2", ["p1", "n1"]),  # two districts
        ("v3", ["p9"]),  # unknown project
        ("v4", []),
        ("v5", ["p3"]),
        ("v5", ["p1"]),  # a second ballot
        ("v6", ["n1"]),  # 400k over Nanshan's 300k
    ]
    result = count(PROJECTS, BUDGETS, ballots)
    assert result.valid == 1
    assert result.invalid == {
        "approvals costing more than the district's budget": 2,
        "projects of more than one district": 1,
        "an empty ballot or an unknown project": 2,
        "a second ballot from the same voter": 1,
    }
    assert [p.id for p, _ in result.districts["福田区"].chosen] == ["p3"]
    assert result.districts["南山区"].chosen == []


def test_cli_counts_a_budget_from_csv_files(tmp_path: Path) -> None:
    (tmp_path / "projects.csv").write_text(
        "id,title,district,cost\n"
        + "".join(f"{p.id},{p.title},{p.district},{p.cost:.0f}\n" for p in PROJECTS),
        encoding="utf-8",
    )
    (tmp_path / "budgets.csv").write_text(
        "district,budget\n福田区,1000000\n南山区,500000\n", encoding="utf-8"
    )
    (tmp_path / "ballots.csv").write_text(
        "voter,projects\na,p1 p3\nb,p1\nc,n1\nd,p2 p4\na,p2\n", encoding="utf-8"
    )
    files = [str(tmp_path / n) for n in ("projects.csv", "budgets.csv", "ballots.csv")]
    done = run("survey", "budget", *files, "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["valid"] == 4 and body["invalid"] == {"a second ballot from the same voter": 1}
    futian = next(d for d in body["districts"] if d["district"] == "福田区")
    # p1 has two approvals; p4, p3 and p2 one each, taken cheapest first while they fit
    assert [p["id"] for p in futian["funded"]] == ["p1", "p4"]
    assert [p["id"] for p in futian["passed_over"]] == ["p3", "p2"]
    assert futian["left"] == 200_000
    text = run("survey", "budget", *files)
    assert "✓ p1 社区长者饭堂" in text.stdout and "does not fit" in text.stdout
    (tmp_path / "budgets.csv").write_text("district,budget\n福田区,lots\n", encoding="utf-8")
    bad = run("survey", "budget", *files)
    assert bad.returncode == 1 and "'lots' is not a number" in bad.stderr
