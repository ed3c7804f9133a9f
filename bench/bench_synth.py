"""Synthetic control fit with 40 donors (target < 2 s), and the Basque example as published.

The 40-donor panel is generated from a two-factor model (30 pre-treatment and 10 post periods,
10 predictors); the treated unit is a convex mix of four donors, so a good fit exists. Three
runs each; medians.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from _common import median, report

from cityhub.indicators.synth import Predictor, SynthPanel, synthetic_control

BASQUE = Path(__file__).resolve().parents[2] / "shared" / "data" / "policy" / "basque.csv"


def factor_panel(donors: int = 40, periods: int = 40, seed: int = 1) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(donors, 2))
    factors = np.cumsum(rng.normal(size=(periods, 2)), axis=0)
    outcome = 10 + loadings @ factors.T + rng.normal(scale=0.2, size=(donors, periods))
    mix = np.zeros(donors)
    mix[:4] = [0.4, 0.3, 0.2, 0.1]
    treated = mix @ outcome + np.r_[np.zeros(30), -1.0 * np.ones(periods - 30)]
    rows: list[dict[str, object]] = []
    for unit, series in [*((f"d{i}", outcome[i]) for i in range(donors)), ("treated", treated)]:
        for t, y in enumerate(series):
            rows.append({"unit": unit, "t": t, "y": y})
    return rows


def main() -> None:
    panel = SynthPanel(factor_panel(), "unit", "t")
    spans = [tuple(range(3 * i, 3 * i + 3)) for i in range(10)]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = synthetic_control(
            panel,
            "y",
            "treated",
            30,
            [Predictor("y", s) for s in spans],
            range(0, 30),
            placebos=False,
        )
        times.append(time.perf_counter() - start)
    seconds = median(times)
    report("synthetic control, 40 donors", seconds, "s", "< 2 s", seconds < 2)
    top = sorted(result.weights.items(), key=lambda kv: -kv[1])[:4]
    print(f"  weights {[(k, round(v, 2)) for k, v in top]}; pre-RMSPE {result.pre_rmspe:.3f}")
    rows = list(csv.DictReader(BASQUE.open(encoding="utf-8")))
    basque = SynthPanel(rows, "regionname", "year")
    start = time.perf_counter()
    fit = synthetic_control(
        basque,
        "gdpcap",
        "Basque Country (Pais Vasco)",
        1970,
        [Predictor("gdpcap", tuple(range(1960, 1970)))],
        range(1960, 1970),
    )
    print(f"  Basque with 17 placebos: {time.perf_counter() - start:.2f} s, p={fit.p_value}")


if __name__ == "__main__":
    main()
