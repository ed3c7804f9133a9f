"""Indicators on real data (official PM2.5, GDP, budget figures), targets, forecasts, KPI
entities, the API and the CLI, on both stores."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from cityhub.api import http
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.hub import Hub
from cityhub.indicators.forecast import backtest, forecast_series
from cityhub.indicators.periods import parse_period
from cityhub.jsonld import smart_data_models
from cityhub.timeutil import parse_datetime
from tests.conftest import Server
from tests.test_cli import run

DEMO = Path(__file__).resolve().parents[1] / "cityhub" / "demo" / "data"


def us(text: str) -> int:
    return int(parse_datetime(text).timestamp() * 1_000_000)


def _pm25(shared: Path, city: str, year: str) -> list[float]:
    path = shared / "environment" / "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv"
    with path.open(encoding="utf-8") as handle:
        return [
            float(r["pm25_ugm3"])
            for r in csv.DictReader(handle)
            if r["city"] == city and r["date"].startswith(year) and float(r["pm25_ugm3"]) > 0
        ]


def test_official_pm25_annual_mean_and_good_days_match_the_file(
    hub: Hub, shared_data: Path
) -> None:
    path = shared_data / "environment" / "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv"
    loaded = hub.indicators.load_series("pm25_official_daily", path)
    assert loaded > 9000  # zeros are gaps, not readings
    hub.indicators.compute(
        ["pm25_official_annual", "good_air_days_share_official"],
        dt.date(2015, 1, 1),
        dt.date(2015, 12, 31),
        publish=False,
    )
    days = _pm25(shared_data, "Shenzhen", "2015")
    annual = {v.period: v.value for v in hub.indicators.values("pm25_official_annual", "city")}
    assert annual["2015"] == pytest.approx(sum(days) / len(days), abs=1e-3)
    good = {v.period: v for v in hub.indicators.values("good_air_days_share_official", "city")}
    assert good["2015"].value == pytest.approx(
        100 * sum(d <= 75 for d in days) / len(days), abs=1e-3
    )
    assert good["2015"].observations == len(days)
    guangzhou = hub.indicators.values("pm25_official_annual", "Guangzhou")
    gz = _pm25(shared_data, "Guangzhou", "2015")
    assert {v.period: v.value for v in guangzhou}["2015"] == pytest.approx(
        sum(gz) / len(gz), abs=1e-3
    )


def test_gdp_growth_and_open_sdg_progress_from_nbs_figures(hub: Hub, shared_data: Path) -> None:
    path = shared_data / "economy" / "shenzhen_gdp_annual_2001_2017_nbs.csv"
    with path.open(encoding="utf-8") as handle:
        gdp = {int(r["year"]): float(r["gdp_100m_cny"]) for r in csv.DictReader(handle)}
    hub.indicators.load_series("gdp", path)
    hub.indicators.compute(
        ["gdp_growth"], dt.date(2001, 1, 1), dt.date(2017, 12, 31), publish=False
    )
    growth = {v.period: v.value for v in hub.indicators.values("gdp_growth", "city")}
    assert growth["2017"] == pytest.approx((gdp[2017] / gdp[2016] - 1) * 100, abs=1e-4)
    assert "2001" not in growth  # no year before the first
    now = us("2026-11-25T12:00:00+08:00")
    results = {
        (a.indicator, a.period): a for a in hub.indicators.assess(["gdp", "gdp_growth"], now)
    }
    growth_2017 = results[("gdp_growth", "2017")]
    assert growth_2017.status == "achieved" and growth_2017.method == "final"  # 15.4 % ≥ 6 %
    sdg = results[("gdp", "2030")]
    observed = (gdp[2017] / gdp[2010]) ** (1 / 7) - 1
    required = (50000 / gdp[2010]) ** (1 / 20) - 1
    assert sdg.method == "open_sdg"
    assert sdg.numbers["ratio"] == pytest.approx(observed / required, abs=1e-3)
    assert sdg.status == "on_track"
    # judged on figures nine years old: the standing says so (the 2017 final one needs no note)
    assert sdg.numbers["staleSince"] == "2017" and sdg.numbers["staleDays"] > 8 * 365
    assert "数据截至2017" in sdg.explanation["zh"] and "data as of 2017" in sdg.explanation["en"]
    assert "staleSince" not in growth_2017.numbers
    fresh = next(
        a
        for a in hub.indicators.assess(["gdp"], us("2018-06-30T12:00:00+08:00"))
        if a.period == "2030"
    )
    assert "staleSince" not in fresh.numbers  # 2017's figure is current in mid-2018
    hub.indicators.set_target("gdp", "2030", 200000.0, base_period="2010")
    harder = next(a for a in hub.indicators.assess(["gdp"], now) if a.period == "2030")
    assert harder.status in ("at_risk", "off_track") and harder.numbers["ratio"] < 0.95


def test_running_year_is_projected_with_a_forecast(hub: Hub, shared_data: Path) -> None:
    path = shared_data / "environment" / "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv"
    hub.indicators.load_series("pm25_official_daily", path)
    hub.indicators.set_target("pm25_official_annual", "2015", 200.0)  # surely met
    hub.indicators.set_target("pm25_official_annual", "2015", 5.0, place="Guangzhou")
    mid_year = us("2015-06-30T18:00:00+08:00")
    results = {a.place: a for a in hub.indicators.assess(["pm25_official_annual"], mid_year)}
    easy, hard = results["city"], results["Guangzhou"]
    assert easy.method == "projection" and easy.status == "on_track"
    assert easy.numbers["observedPeriods"] == 6 and easy.numbers["forecastPeriods"] == 6
    assert (
        easy.numbers["projectedLower"]
        <= easy.numbers["projected"]
        <= easy.numbers["projectedUpper"]
    )
    assert easy.numbers["backtest"]  # every figure behind the status is shown
    assert hard.status == "off_track"


def test_budget_execution_is_held_to_time_elapsed(hub: Hub) -> None:
    for ident in (
        "budget_revenue_cumulative",
        "budget_revenue_plan",
        "budget_expenditure_cumulative",
        "budget_expenditure_plan",
    ):
        hub.indicators.load_series(ident, DEMO / "demo_fiscal_monthly.csv")
    hub.indicators.compute(
        ["budget_revenue_execution"], dt.date(2026, 1, 1), dt.date(2026, 10, 31), publish=False
    )
    values = {v.period: v.value for v in hub.indicators.values("budget_revenue_execution")}
    with (DEMO / "demo_fiscal_monthly.csv").open() as handle:
        october = next(r for r in csv.DictReader(handle) if r["month"] == "2026-10")
    expected = 100 * float(october["revenue_ytd"]) / float(october["revenue_plan"])
    assert values["2026-10"] == pytest.approx(expected, abs=1e-3)
    a = next(
        x
        for x in hub.indicators.assess(
            ["budget_revenue_execution"], us("2026-11-25T12:00:00+08:00")
        )
    )
    assert a.method == "elapsed"
    assert a.numbers["expected"] == pytest.approx(100 * 304 / 365, abs=0.01)
    gap = expected - 100 * 304 / 365
    assert a.numbers["gapPoints"] == pytest.approx(gap, abs=0.01)
    assert a.status == ("on_track" if gap >= 0 else "at_risk" if gap >= -5 else "off_track")


def test_backtest_prefers_a_seasonal_method_on_a_seasonal_series() -> None:
    rng = np.random.default_rng(7)
    months = np.arange(72)
    y = 50 + 10 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 1, 72)
    periods = [parse_period(f"{2018 + m // 12}-{m % 12 + 1:02d}") for m in months]
    result = forecast_series(list(y), periods, 12, holidays=False)
    scores = result.backtest
    assert result.method != "naive"
    assert scores[result.method]["mase"] < scores["naive"]["mase"]
    assert result.periods[0] == "2024-01" and len(result.mean) == 12
    assert all(
        lo <= m <= hi for lo, m, hi in zip(result.lower, result.mean, result.upper, strict=True)
    )
    truth = 50 + 10 * np.sin(2 * np.pi * np.arange(72, 84) / 12)
    assert float(np.mean(np.abs(np.array(result.mean) - truth))) < 3
    # the naive method on a random walk is hard to beat: its MASE is near 1
    walk = np.cumsum(rng.normal(0, 1, 60)) + 100
    assert backtest(walk, 1, 3, 5, None, ("naive",))["naive"]["mase"] == pytest.approx(1, abs=0.8)


def test_bad_input_is_refused_and_nothing_is_stored(hub: Hub, tmp_path: Path) -> None:
    with pytest.raises(ResourceNotFound):
        hub.indicators.values("no_such_indicator")
    good = tmp_path / "gdp.csv"
    good.write_text("year,gdp_100m_cny\n2016,100\n2017,110\n", encoding="utf-8")
    hub.indicators.load_series("gdp", good)
    bad = tmp_path / "bad.csv"
    bad.write_text("year,gdp_100m_cny\n2016,100\n2017,一百一十\n", encoding="utf-8")
    with pytest.raises(BadRequestData, match="line 3"):
        hub.indicators.load_series("gdp", bad)
    assert [p[2] for p in hub.store.indicators.series_points("gdp")] == [100.0, 110.0]
    with pytest.raises(BadRequestData, match="4 past values"):
        forecast_series([1.0, 2.0, 3.0], [parse_period(str(y)) for y in (2001, 2002, 2003)], 2)
    with pytest.raises(BadRequestData, match="period"):
        hub.indicators.set_target("gdp", "2026-13", 1.0)
    with pytest.raises(BadRequestData):
        hub.indicators.load_series("pm25_annual_mean", good)  # computed, not uploaded


def test_indicators_api_uploads_computes_publishes_and_assesses(server: Server) -> None:
    body = "year,gdp_100m_cny\n" + "".join(
        f"{y},{1000 * 1.08 ** (y - 2010):.2f}\n" for y in range(2010, 2018)
    )
    # KPIs are written in the Smart Data Models KeyPerformanceIndicator terms; a client names them
    kpi_context = smart_data_models.published_urls("KeyPerformanceIndicator")[0]
    link = {"Link": http.context_link(kpi_context)}
    with httpx.Client(base_url=server.base, timeout=60, headers=link) as api:
        r = api.post(
            "/indicators/v1/indicators/gdp/series",
            content=body.encode(),
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["points"] == 8
        r = api.post("/indicators/v1/compute", json={"indicators": ["gdp_growth"]})
        assert r.status_code == 200 and r.json()["computed"]["gdp_growth"] == 7
        values = api.get("/indicators/v1/indicators/gdp_growth/values").json()
        assert all(v["value"] == pytest.approx(8.0, abs=0.01) for v in values)
        kpis = api.get(
            "/ngsi-ld/v1/entities",
            params={"type": "KeyPerformanceIndicator", "q": 'indicatorId=="gdp_growth"'},
        ).json()
        assert kpis and kpis[0]["kpiValue"]["value"] == pytest.approx(8.0, abs=0.01)
        assert kpis[0]["calculationPeriod"]["value"]["from"].startswith("2016-12-31T16:00:00")
        r = api.post(
            "/indicators/v1/indicators/gdp/targets",
            json={"period": "2030", "value": 3000, "base_period": "2010"},
        )
        assert r.status_code == 201
        found = api.get("/indicators/v1/assessments", params={"indicator": "gdp"}).json()
        assert any(a["period"] == "2030" and a["method"] == "open_sdg" for a in found)
        unjudged = api.get(
            "/ngsi-ld/v1/entities",
            params={"type": "KeyPerformanceIndicator", "q": 'indicatorId=="gdp";area=="city"'},
        ).json()
        assert "assessment" not in unjudged[0]  # reading the assessments changes nothing
        published = api.post("/indicators/v1/assessments", json={"indicator": "gdp"})
        assert published.status_code == 200, published.text
        judged = api.get(
            "/ngsi-ld/v1/entities",
            params={"type": "KeyPerformanceIndicator", "q": 'indicatorId=="gdp";area=="city"'},
        ).json()
        assert judged[0]["assessment"]["value"] in {a["status"] for a in found}
        assert "observedAt" in judged[0]["currentStanding"]
        assert "currentStanding" not in kpis[0]  # computing alone does not judge
        fc = api.get("/indicators/v1/indicators/gdp/forecast", params={"horizon": 2}).json()
        assert [p["period"] for p in fc["points"]] == ["2018", "2019"]
        missing = api.get("/indicators/v1/indicators/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        bad = api.post(
            "/indicators/v1/indicators/gdp/series",
            content=b"year,gdp_100m_cny\n2018,abc\n",
            headers={"content-type": "text/csv"},
        )
        assert bad.status_code == 400 and "not a number" in bad.json()["detail"]
        assert (
            api.get("/indicators/v1/indicators/gdp/forecast", params={"horizon": "0"}).status_code
            == 400
        )


@pytest.mark.backend("sqlite")
def test_cli_lists_computes_and_assesses(tmp_path: Path, backend: str) -> None:
    db = f"sqlite:///{tmp_path / 'city.db'}"
    listed = run("indicators", "list", "--json", "--database", db)
    assert listed.returncode == 0 and "pm25_annual_mean" in listed.stdout
    # at 80 columns every id is printed whole on its own line (to be copied)
    ids = {d["id"] for d in json.loads(listed.stdout)}
    narrow = subprocess.run(
        [sys.executable, "-m", "cityhub.cli", "indicators", "list", "--database", db],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert narrow.returncode == 0, narrow.stderr
    assert ids <= {line.strip() for line in narrow.stdout.splitlines()}
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    csv_path = tmp_path / "gdp.csv"
    csv_path.write_text(
        "年份,地区生产总值\n2015,100\n2016,108\n2017,117\n2018,121\n2019,130\n", encoding="utf-8"
    )
    loaded = run(
        "indicators",
        "load",
        "gdp",
        str(csv_path),
        "--time-column",
        "年份",
        "--value-column",
        "地区生产总值",
        "--database",
        db,
    )
    assert loaded.returncode == 0, loaded.stderr
    done = run("indicators", "compute", "gdp_growth", "--database", db)
    assert done.returncode == 0 and "computed" in done.stdout, done.stderr
    shown = run("indicators", "show", "gdp_growth", "--json", "--database", db)
    assert '"2017"' in shown.stdout
    assessed = run("targets", "assess", "gdp_growth", "--json", "--database", db)
    assert assessed.returncode == 0 and '"achieved"' in assessed.stdout
    unknown = run("indicators", "show", "nope", "--database", db)
    assert unknown.returncode == 1 and len(unknown.stderr.strip().splitlines()) == 1
    # Four growth rates: too short to backtest, and the output says so (no empty table).
    short = run("indicators", "forecast", "gdp_growth", "--database", db)
    assert short.returncode == 0, short.stderr
    assert "too short to backtest" in short.stdout and "MASE" not in short.stdout


def test_a_quantity_never_negative_is_not_forecast_below_zero() -> None:
    from cityhub.indicators.forecast import forecast_series
    from cityhub.indicators.periods import parse_period

    periods = [parse_period(f"2025-{m:02d}") for m in range(1, 13)]
    spiky = [2.0, 0.0, 9.0, 1.0, 0.5, 12.0, 0.0, 3.0, 0.2, 14.0, 1.0, 0.0]  # PM2.5-like, near 0
    ahead = forecast_series(spiky, periods, 6, methods=("naive",))
    assert min(ahead.lower) >= 0.0 and min(ahead.mean) >= 0.0
    assert any("cut at 0" in note for note in ahead.notes)
    growth = [v - 6.0 for v in spiky]  # a growth rate may be negative: nothing is cut
    free = forecast_series(growth, periods, 6, methods=("naive",))
    assert min(free.lower) < 0.0 and not any("cut at 0" in note for note in free.notes)
