"""/evaluate/v1 against a real server: the published numbers over HTTP, reports, and errors."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server


@pytest.mark.backend("sqlite")  # no store involved: one backend is enough
def test_did_synth_and_its_over_http(server: Server, shared_data: Path) -> None:
    policy = shared_data / "policy"
    keep = ("countyreal", "year", "lemp", "first.treat")  # the test server takes 256 KB bodies
    mpdta = [
        {k: row[k] for k in keep}
        for row in csv.DictReader((policy / "mpdta.csv").open(encoding="utf-8"))
    ]
    basque = [
        {k: row[k] for k in ("regionname", "year", "gdpcap")}
        for row in csv.DictReader((policy / "basque.csv").open(encoding="utf-8"))
    ]
    with httpx.Client(base_url=server.base + "/evaluate/v1", timeout=60) as api:
        did = api.post(
            "/did",
            json={
                "rows": mpdta,
                "unit": "countyreal",
                "time": "year",
                "outcome": "lemp",
                "group": "first.treat",
                "bootstrap": 49,
            },
        )
        assert did.status_code == 200, did.text
        assert did.json()["aggregate"]["group"]["att"] == pytest.approx(-0.0310, abs=0.002)
        synth = api.post(
            "/synth",
            params={"format": "html"},
            json={
                "rows": basque,
                "unit": "regionname",
                "time": "year",
                "outcome": "gdpcap",
                "treated": "Basque Country (Pais Vasco)",
                "treatment": 1970,
                "optimize": list(range(1960, 1970)),
                "placebos": False,
                "predictors": [{"variable": "gdpcap", "periods": list(range(1960, 1970))}],
            },
        )
        assert synth.status_code == 200 and synth.headers["content-type"].startswith("text/html")
        assert "<svg" in synth.text and "RMSPE" in synth.text
        series = [
            {"month": f"{i:02d}", "y": 5 + 0.1 * i - (2 if i >= 20 else 0)} for i in range(36)
        ]
        its = api.post(
            "/its", json={"rows": series, "time": "month", "value": "y", "interruption": "20"}
        )
        assert its.json()["effects"]["level_change"]["estimate"] == pytest.approx(-2, abs=0.01)
        bad = api.post(
            "/did",
            json={
                "rows": mpdta[1:],
                "unit": "countyreal",
                "time": "year",
                "outcome": "lemp",
                "group": "first.treat",
            },
        )
        assert bad.status_code == 400 and "unbalanced" in bad.json()["detail"]
        assert api.post("/synth", json={"rows": []}).status_code == 400
        assert (
            api.post(
                "/its", json={"rows": series, "time": "month", "value": "y", "interruption": "99"}
            ).status_code
            == 400
        )
