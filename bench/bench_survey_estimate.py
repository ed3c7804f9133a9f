"""Survey estimation over 1,000,000 responses in 20 strata of 10 PSUs, raked to two margins
(district and age group), then a mean, a proportion with three answers and a mean by district
(target < 5 s for all of it). Also times `cityhub survey estimate` on the same data as a CSV,
reading included. Responses: CITYHUB_BENCH_RESPONSES (default 1,000,000)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import report

from cityhub.survey.calibrate import margin, rake
from cityhub.survey.design import make_design
from cityhub.survey.estimate import estimate

N = int(os.environ.get("CITYHUB_BENCH_RESPONSES", "1000000"))
TARGET_S = 5.0
DISTRICTS = [
    "福田区",
    "罗湖区",
    "盐田区",
    "南山区",
    "宝安区",
    "龙岗区",
    "龙华区",
    "坪山区",
    "光明区",
    "大鹏新区",
]
AGES = ["18-39", "40-59", "60+"]


def make() -> dict[str, object]:
    rng = np.random.default_rng(12)
    stratum = rng.integers(0, 20, N)
    return {
        "stratum": [f"s{v}" for v in stratum],
        "psu": [f"s{s}-{p}" for s, p in zip(stratum, rng.integers(0, 10, N), strict=True)],
        "district": list(rng.choice(DISTRICTS, N)),
        "age": list(rng.choice(AGES, N, p=[0.5, 0.35, 0.15])),
        "w": rng.uniform(5, 30, N),
        "score": rng.normal(70, 12, N),
        "answer": list(rng.choice(["满意", "一般", "不满意"], N)),
    }


def main() -> None:
    data = make()
    people = 17_560_000.0
    districts = {d: people / len(DISTRICTS) for d in DISTRICTS}
    ages = {"18-39": people * 0.5, "40-59": people * 0.33, "60+": people * 0.17}
    started = time.perf_counter()
    design = make_design(data["w"], data["stratum"], data["psu"])  # type: ignore[arg-type]
    margins = [
        margin("district", data["district"], districts),  # type: ignore[arg-type]
        margin("age", data["age"], ages),  # type: ignore[arg-type]
    ]
    raked, rounds = rake(design.weights, margins)
    design = design.with_weights(raked)
    estimate(design, "score", data["score"], "mean", margins=margins)  # type: ignore[arg-type]
    estimate(design, "answer", data["score"], "proportion", None, margins, data["answer"])  # type: ignore[arg-type]
    estimate(design, "score", data["score"], "mean", data["district"], margins)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    report(
        f"survey estimate, {N:,} responses, raked ({rounds} rounds)",
        seconds,
        "s",
        f"< {TARGET_S:g} s",
        seconds < TARGET_S,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["stratum", "psu", "district", "age", "w", "score", "answer"])
            writer.writerows(
                zip(data["stratum"], data["psu"], data["district"], data["age"], data["w"],  # type: ignore[call-overload]
                    data["score"], data["answer"], strict=True)
            )  # fmt: skip
        for name, totals in (("district", districts), ("age", ages)):
            with (Path(folder) / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows([["level", "total"], *totals.items()])
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "cityhub.cli", "survey", "estimate", str(path), "--weight", "w",
             "--strata", "stratum", "--cluster", "psu", "--rake", f"district={folder}/district.csv",
             "--rake", f"age={folder}/age.csv", "--mean", "score", "--proportion", "answer",
             "--by", "district", "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if done.returncode:
            print(done.stderr)
        report(
            "cityhub survey estimate on the CSV (reading included)",
            seconds,
            "s",
            "(no target)",
            True,
        )


if __name__ == "__main__":
    main()
