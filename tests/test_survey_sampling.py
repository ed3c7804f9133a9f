"""Stratified samples: allocation (proportional, Neyman, the floor of two and the cap of what a
stratum has), a reproducible draw, and weights that add up to the frame, read back by
`survey estimate` with the finite population correction."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from cityhub.errors import BadRequestData
from cityhub.survey.sampling import allocate, draw
from tests.test_cli import run


def test_proportional_allocation_adds_up_and_follows_the_frame() -> None:
    sizes = allocate([1000, 3000, 6000], 100)
    assert sizes == [10, 30, 60]
    uneven = allocate([333, 333, 334], 10)
    assert sum(uneven) == 10 and max(uneven) - min(uneven) <= 1


def test_neyman_allocation_follows_size_times_spread() -> None:
    sizes = allocate([1000, 1000], 90, spread=[1.0, 2.0])
    assert sizes == [30, 60]


def test_every_stratum_gets_two_and_never_more_than_it_has() -> None:
    assert allocate([3, 10_000], 50) == [2, 48]  # proportional would give the small one 0
    assert allocate([1, 10_000], 50) == [1, 49]  # a stratum of one gives its one
    assert allocate([5, 5, 1000], 100, spread=[100.0, 100.0, 1.0]) == [5, 5, 90]  # capped
    with pytest.raises(BadRequestData, match="two each"):
        allocate([10, 10, 10], 5)
    with pytest.raises(BadRequestData, match="sample size"):
        allocate([10, 10], 21)


def test_the_draw_is_reproducible_and_within_strata() -> None:
    strata = ["a"] * 50 + ["b"] * 50
    one = draw(strata, {"a": 5, "b": 7}, seed=11)
    assert np.array_equal(one, draw(strata, {"a": 5, "b": 7}, seed=11))
    assert not np.array_equal(one, draw(strata, {"a": 5, "b": 7}, seed=12))
    assert sum(i < 50 for i in one) == 5 and sum(i >= 50 for i in one) == 7
    assert len(set(one.tolist())) == 12


def test_cli_draws_a_sample_that_estimates_read_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = tmp_path / "register.csv"
    districts = ["福田区"] * 400 + ["南山区"] * 600 + ["大鹏新区"] * 40
    income = [rng.normal(10 if d == "福田区" else 8, 1 if d == "福田区" else 4) for d in districts]
    with frame.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["resident", "district", "income"])
        writer.writerows(
            [f"p{i}", d, f"{x:.2f}"] for i, (d, x) in enumerate(zip(districts, income, strict=True))
        )
    out = tmp_path / "sample.csv"
    done = run("survey", "sample", str(frame), "--strata", "district", "--size", "104",
               "--seed", "2026", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 104
    by = {d: [r for r in rows if r["district"] == d] for d in set(districts)}
    assert {d: len(v) for d, v in by.items()} == {"福田区": 40, "南山区": 60, "大鹏新区": 4}
    assert sum(float(r["_weight"]) for r in rows) == pytest.approx(1040)
    again = tmp_path / "again.csv"
    run("survey", "sample", str(frame), "--strata", "district", "--size", "104",
        "--seed", "2026", "--out", str(again))  # fmt: skip
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    neyman = run("survey", "sample", str(frame), "--strata", "district", "--size", "104",
                 "--neyman", "income", "--seed", "1", "--out", str(tmp_path / "n.csv"))  # fmt: skip
    assert neyman.returncode == 0
    assert "福田区\t400 in the frame\t" in neyman.stdout  # the calmer stratum gets fewer
    estimate = run("survey", "estimate", str(out), "--weight", "_weight", "--strata", "district",
                   "--fpc", "_population", "--total", "income", "--json")  # fmt: skip
    total = json.loads(estimate.stdout)["estimates"][0]
    assert total["ci_low"] < sum(income) < total["ci_high"]
