"""Interrupted time series: known effects recovered, HAC errors under autocorrelation, and a
real air-quality series."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from cityhub.errors import BadRequestData
from cityhub.indicators.its import interrupted_time_series


def ar1_series(n: int, start: int, level: float, slope: float, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = rho * noise[i - 1] + rng.normal(scale=1.0)
    t = np.arange(n)
    after = t >= start
    return 50 + 0.2 * t + level * after + slope * (t - start) * after + noise


def test_known_level_and_slope_changes_are_recovered() -> None:
    estimates = [
        interrupted_time_series(ar1_series(120, 60, -5.0, -0.3, 0.5, seed), 60).coefficients
        for seed in range(30)
    ]
    assert np.mean([e["level_change"] for e in estimates]) == pytest.approx(-5.0, abs=0.5)
    assert np.mean([e["slope_change"] for e in estimates]) == pytest.approx(-0.3, abs=0.05)


def test_hac_errors_widen_under_autocorrelation_and_keep_coverage() -> None:
    covered = 0
    for seed in range(60):
        result = interrupted_time_series(ar1_series(120, 60, -5.0, 0.0, 0.6, seed), 60)
        low = result.coefficients["level_change"] - 1.96 * result.std_errors["level_change"]
        high = result.coefficients["level_change"] + 1.96 * result.std_errors["level_change"]
        covered += low <= -5.0 <= high
    assert covered / 60 >= 0.8  # near the nominal 95 % despite AR(1) errors
    no_lag = interrupted_time_series(ar1_series(120, 60, -5.0, 0.0, 0.6, 1), 60, lags=0)
    with_lag = interrupted_time_series(ar1_series(120, 60, -5.0, 0.0, 0.6, 1), 60)
    assert with_lag.std_errors["level_change"] > no_lag.std_errors["level_change"]


def test_monthly_pm25_with_seasonality(shared_data: Path) -> None:
    path = shared_data / "environment" / "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv"
    monthly: dict[str, list[float]] = defaultdict(list)
    for row in csv.DictReader(path.open(encoding="utf-8")):
        value = float(row["pm25_ugm3"])
        if row["city"] == "Shenzhen" and value > 0:  # zeros are missing values
            monthly[row["date"][:7]].append(value)
    series = [float(np.mean(monthly[m])) for m in sorted(monthly)]
    assert len(series) == 36
    result = interrupted_time_series(series, 24, season=12)
    body = result.as_dict()
    assert np.isfinite(body["effects"]["level_change"]["estimate"])
    assert body["effects"]["level_change"]["se"] > 0
    assert len(body["counterfactual"]) == 36


def test_bad_series_are_refused() -> None:
    with pytest.raises(BadRequestData, match="pre-interruption"):
        interrupted_time_series([1.0] * 20, 5)
    with pytest.raises(BadRequestData, match="after"):
        interrupted_time_series([1.0] * 20, 19)
    with pytest.raises(BadRequestData, match="gaps"):
        interrupted_time_series([1.0, float("nan")] * 10, 12)


def test_evaluate_its_command(tmp_path: Path) -> None:
    import json

    from tests.test_cli import run

    path = tmp_path / "series.csv"
    values = ar1_series(48, 30, -6.0, 0.0, 0.3, 4)
    path.write_text(
        "month,value\n"
        + "".join(f"{2020 + i // 12}-{i % 12 + 1:02d},{v}\n" for i, v in enumerate(values)),
        encoding="utf-8",
    )
    its = ["evaluate", "its", str(path), "--time", "month", "--value", "value"]
    done = run(*its, "--interruption", "2022-07", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["effects"]["level_change"]["estimate"] == pytest.approx(
        -6, abs=2
    )
    missing = run(*its, "--interruption", "1999-01")
    assert missing.returncode == 1 and "interruption" in missing.stderr
