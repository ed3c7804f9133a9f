"""Staggered difference-in-differences reproduces the published mpdta results."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cityhub.errors import BadRequestData
from cityhub.indicators.did import balanced_panel, callaway_santanna


@pytest.fixture(scope="module")
def rows(shared_data: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((shared_data / "policy" / "mpdta.csv").open(encoding="utf-8")))


def test_mpdta_reproduces_callaway_santanna(rows: list[dict[str, str]]) -> None:
    panel = balanced_panel(rows, "countyreal", "year", "lemp", "first.treat")
    result = callaway_santanna(panel, bootstrap=199)
    # Callaway & Sant'Anna (2021), never-treated controls, no covariates.
    assert result.aggregate["group"] == pytest.approx(-0.0310, abs=0.002)
    assert result.aggregate["dynamic"] == pytest.approx(-0.0772, abs=0.002)
    assert result.att[(2004, 2004)] == pytest.approx(-0.0105, abs=0.002)
    assert result.att[(2004, 2006)] == pytest.approx(-0.1373, abs=0.002)
    assert result.se["group"] == pytest.approx(0.012, abs=0.004)
    assert result.cohorts == {2004: 20, 2006: 40, 2007: 131}
    body = result.as_dict()
    assert len(body["att_gt"]) == 12 and body["aggregate"]["group"]["se"] > 0


def test_not_yet_treated_controls_use_later_cohorts(rows: list[dict[str, str]]) -> None:
    panel = balanced_panel(rows, "countyreal", "year", "lemp", "first.treat")
    never = callaway_santanna(panel, bootstrap=0)
    later = callaway_santanna(panel, control="notyet", bootstrap=0)
    assert set(later.att) == set(never.att)
    assert later.att[(2004, 2004)] != never.att[(2004, 2004)]
    assert later.aggregate["group"] == pytest.approx(-0.03, abs=0.015)


def test_bad_panels_are_clear_errors(rows: list[dict[str, str]]) -> None:
    with pytest.raises(BadRequestData, match="unbalanced"):
        balanced_panel(rows[1:], "countyreal", "year", "lemp", "first.treat")
    broken = [dict(r) for r in rows]
    broken[3]["lemp"] = "n/a"
    with pytest.raises(BadRequestData, match="must be numbers"):
        balanced_panel(broken, "countyreal", "year", "lemp", "first.treat")
    with pytest.raises(BadRequestData, match="no column"):
        balanced_panel(rows, "county", "year", "lemp", "first.treat")
    treated_only = [r for r in rows if r["first.treat"] != "0"]
    panel = balanced_panel(treated_only, "countyreal", "year", "lemp", "first.treat")
    with pytest.raises(BadRequestData, match="never-treated"):
        callaway_santanna(panel, bootstrap=0)


def test_evaluate_did_command(shared_data: Path) -> None:
    import json

    from tests.test_cli import run

    panel = shared_data / "policy" / "mpdta.csv"
    done = run(
        "evaluate",
        "did",
        str(panel),
        "--unit",
        "countyreal",
        "--time",
        "year",
        "--outcome",
        "lemp",
        "--group",
        "first.treat",
        "--bootstrap",
        "99",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["aggregate"]["group"]["att"] == pytest.approx(-0.0310, abs=0.002)
    wrong = run(
        "evaluate",
        "did",
        str(panel),
        "--unit",
        "county",
        "--time",
        "year",
        "--outcome",
        "lemp",
        "--group",
        "first.treat",
    )
    assert wrong.returncode == 1 and wrong.stderr.startswith("error:") and "county" in wrong.stderr
