"""Forecasts and the goals' assessment are served from stored results while their inputs hold,
remade when the inputs change, and made ahead by the background job; on both stores."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cityhub.api import dashboard as dashboard_api
from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from cityhub.indicators.results import ASSESSMENT, FORECAST, forecast_subject
from cityhub.workers import ServerBusy
from tests.conftest import Server

SPAN = (dt.date(2000, 1, 1), dt.date(2026, 1, 1))


def _gdp(tmp_path: Path, years: range, bump: float = 0.0) -> Path:
    path = tmp_path / "gdp.csv"
    rows = [f"{y},{20000 + 1500 * (y - 2000) + (y % 3) * 400 + bump}" for y in years]
    path.write_text("year,gdp_100m_cny\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _stored(hub: Hub, kind: str, subject: str) -> tuple[str, int] | None:
    found = hub.store.indicators.stored_result(kind, subject)
    return None if found is None else (found.inputs, found.computed_us)


def test_a_forecast_is_stored_served_and_remade_when_its_series_changes(
    hub: Hub, tmp_path: Path
) -> None:
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2020)))
    hub.indicators.compute(["gdp"], *SPAN)
    subject = forecast_subject("gdp", "city", 3, 0.95)
    assert _stored(hub, FORECAST, subject) is None

    first = asyncio.run(hub.analyses.forecast("gdp", "city"))
    made = _stored(hub, FORECAST, subject)
    assert made is not None and len(first["points"]) == 3
    again = asyncio.run(hub.analyses.forecast("gdp", "city"))
    assert again == first and _stored(hub, FORECAST, subject) == made  # served, not remade

    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2021), bump=5000.0))
    hub.indicators.compute(["gdp"], *SPAN)
    remade = asyncio.run(hub.analyses.forecast("gdp", "city"))
    after = _stored(hub, FORECAST, subject)
    assert after is not None and after[0] != made[0]
    assert remade["points"][0]["period"] != first["points"][0]["period"]

    with pytest.raises(BadRequestData, match="no values"):
        asyncio.run(hub.analyses.forecast("gdp", "nowhere"))


def test_concurrent_readers_of_a_stale_forecast_share_one_computation(
    hub: Hub, tmp_path: Path
) -> None:
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2020)))
    hub.indicators.compute(["gdp"], *SPAN)

    async def four() -> list[dict[str, object]]:
        return list(await asyncio.gather(*(hub.analyses.forecast("gdp", "city") for _ in range(4))))

    results = asyncio.run(four())
    assert all(r == results[0] for r in results)
    assert hub.compute.busy == 0


def test_the_assessment_is_stored_and_remade_when_a_target_changes(
    hub: Hub, tmp_path: Path
) -> None:
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2020)))
    hub.indicators.compute(["gdp"], *SPAN)
    hub.indicators.set_target("gdp", "2030", 60000.0, base_period="2015")
    first = asyncio.run(hub.analyses.assessments())
    assert [(a["indicator"], a["target"]) for a in first] == [("gdp", 60000.0)]
    assert first[0]["assessedAt"].endswith("Z")
    made = _stored(hub, ASSESSMENT, "all")
    assert asyncio.run(hub.analyses.assessments()) == first
    assert _stored(hub, ASSESSMENT, "all") == made

    hub.indicators.set_target("gdp", "2030", 90000.0, base_period="2015")
    second = asyncio.run(hub.analyses.assessments())
    assert [a["target"] for a in second] == [90000.0]
    assert _stored(hub, ASSESSMENT, "all") != made

    hub.analyses.max_age = 0.0  # running targets read live data: an old result is remade
    third = asyncio.run(hub.analyses.assessments())
    assert third[0]["target"] == 90000.0
    assert _stored(hub, ASSESSMENT, "all") != made


def test_a_reader_that_cannot_wait_hears_503_and_the_result_is_still_kept(
    hub: Hub, tmp_path: Path
) -> None:
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2020)))
    hub.indicators.compute(["gdp"], *SPAN)
    hub.indicators.set_target("gdp", "2030", 60000.0, base_period="2015")

    async def impatient_then_patient() -> list[dict[str, object]]:
        with pytest.raises(ServerBusy, match="still being made"):
            await hub.analyses.assessments(wait=0.0)  # a large city's assessment, say
        return await hub.analyses.assessments(wait=None)  # the same making, not a new one

    judged = asyncio.run(impatient_then_patient())
    assert [a["target"] for a in judged] == [60000.0]
    assert _stored(hub, ASSESSMENT, "all") is not None


def test_refresh_makes_every_targets_forecast_ahead_of_readers(hub: Hub, tmp_path: Path) -> None:
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, 2020)))
    hub.indicators.compute(["gdp"], *SPAN)
    hub.indicators.set_target("gdp", "2030", 60000.0, base_period="2015")
    hub.indicators.set_target("gdp_growth", "2030", 5.0)  # too short a series: skipped
    asyncio.run(hub.analyses.refresh())
    assert _stored(hub, FORECAST, forecast_subject("gdp", "city", 3, 0.95)) is not None
    assert _stored(hub, ASSESSMENT, "all") is not None


def _upload_and_compute_gdp(http: httpx.Client, body: bytes) -> None:
    r = http.post(
        "/indicators/v1/indicators/gdp/series", content=body, headers={"content-type": "text/csv"}
    )
    assert r.status_code == 201, r.text
    assert http.post("/indicators/v1/compute", json={"indicators": ["gdp"]}).status_code == 200


def test_goal_chart_over_http_carries_the_stored_forecast(server: Server, tmp_path: Path) -> None:
    body = _gdp(tmp_path, range(2000, 2020)).read_bytes()
    with httpx.Client(base_url=server.base, timeout=60) as http:
        _upload_and_compute_gdp(http, body)
        chart = _chart_with_forecast(http, "gdp")
        assert len(chart["forecast"]["points"]) == 3
        api = http.get("/indicators/v1/indicators/gdp/forecast", params={"horizon": 3}).json()
        assert api == chart["forecast"]
        assert http.get("/dashboard/v1/goals/gdp").json()["forecast"] == chart["forecast"]


def _chart_with_forecast(http: httpx.Client, ident: str) -> dict[str, Any]:
    """The goal's chart once its forecast is made (a chart does not wait long for one)."""
    deadline = time.monotonic() + 60
    while True:
        chart: dict[str, Any] = http.get(f"/dashboard/v1/goals/{ident}").json()
        if chart["forecast"] or time.monotonic() > deadline:
            assert chart["forecast"], chart
            return chart
        assert chart["forecastPending"], chart
        time.sleep(0.2)


def test_a_goal_chart_answers_while_its_forecast_is_still_being_made(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_api, "CHART_FORECAST_WAIT", 0.0)
    body = _gdp(tmp_path, range(2000, 2020), bump=0.37).read_bytes()  # a series not made yet
    with httpx.Client(base_url=server.base, timeout=60) as http:
        _upload_and_compute_gdp(http, body)
        first = http.get("/dashboard/v1/goals/gdp")
        assert first.status_code == 200, first.text
        pending = first.json()
        assert pending["forecastPending"] and pending["forecast"] is None
        assert pending["values"] and "being made" in pending["forecastNote"]
        made = _chart_with_forecast(http, "gdp")  # the making went on, and is kept
        assert not made["forecastPending"] and len(made["forecast"]["points"]) == 3


def test_a_running_period_is_not_a_forecasts_input(hub: Hub, tmp_path: Path) -> None:
    """This year's value holds a fraction of its observations: the forecast is made from the
    complete years and forecasts this one."""
    this_year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    hub.indicators.load_series("gdp", _gdp(tmp_path, range(2000, this_year + 1)))
    hub.indicators.compute(["gdp"], dt.date(2000, 1, 1), dt.date(this_year + 1, 1, 1))
    stored = [v.period for v in hub.indicators.values("gdp", "city")]
    assert str(this_year) in stored  # the running year was computed ...
    _, periods = hub.indicators.forecast_inputs("gdp", "city")
    assert periods[-1].label == str(this_year - 1)  # ... but is not read as a full one
    ahead = asyncio.run(hub.analyses.forecast("gdp", "city"))
    assert ahead["points"][0]["period"] == str(this_year)
