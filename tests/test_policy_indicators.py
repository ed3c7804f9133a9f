"""Policy evaluation on an indicator's stored values: the panel built from the store gives the
same answers as the file it was loaded from, and reproduces the published figures."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from cityhub.errors import BadRequestData
from cityhub.hub import Hub
from cityhub.indicators.synth import Predictor, SynthPanel, synthetic_control
from tests.conftest import Server
from tests.test_cli import run

BASQUE = "Basque Country (Pais Vasco)"
SERIES = "gdp_major_cities"  # a yearly series with one value per place and year


def _columns(source: Path, target: Path, keep: list[str]) -> Path:
    """The columns kept, numbers at the 4 decimals an indicator of 2 decimals stores."""
    with source.open(encoding="utf-8") as handle, target.open("w", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(keep)
        for row in csv.DictReader(handle):
            writer.writerow([_four(row[k]) for k in keep])
    return target


def _four(cell: str) -> str:
    try:
        return cell if float(cell).is_integer() else f"{float(cell):.4f}"
    except ValueError:
        return cell


def _load_basque(hub: Hub, shared: Path, tmp_path: Path) -> list[dict[str, str]]:
    source = shared / "policy" / "basque.csv"
    path = _columns(source, tmp_path / "basque.csv", ["regionname", "year", "gdpcap"])
    hub.indicators.load_series(SERIES, path, "year", "gdpcap", "regionname", "")
    hub.indicators.compute([SERIES], dt.date(1955, 1, 1), dt.date(1997, 12, 31), publish=False)
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_synthetic_control_on_indicator_values_equals_the_file(
    hub: Hub, shared_data: Path, tmp_path: Path
) -> None:
    file_rows = _load_basque(hub, shared_data, tmp_path)
    stored = hub.indicators.panel([SERIES], yearly=True)
    assert len(stored) == len(file_rows)  # 18 regions x 43 years, nothing lost or doubled
    fit = [Predictor("gdpcap", tuple(range(1960, 1970)))]
    from_file = synthetic_control(
        SynthPanel(file_rows, "regionname", "year"),
        "gdpcap",
        BASQUE,
        1970,
        fit,
        tuple(range(1960, 1970)),
        placebos=False,
    ).as_dict()
    from_store = synthetic_control(
        SynthPanel(stored, "place", "period"),
        SERIES,
        BASQUE,
        1970,
        [Predictor(SERIES, p.periods) for p in fit],
        tuple(range(1960, 1970)),
        placebos=False,
    ).as_dict()
    assert from_store["weights"] == pytest.approx(from_file["weights"], abs=1e-6)
    assert from_store["pre_rmspe"] == pytest.approx(from_file["pre_rmspe"], rel=1e-6)
    assert [r["gap"] for r in from_store["series"]] == pytest.approx(
        [r["gap"] for r in from_file["series"]], abs=1e-6
    )


def test_monthly_indicator_is_refused_for_panel_methods(hub: Hub) -> None:
    with pytest.raises(BadRequestData, match="yearly"):
        hub.indicators.panel(["requests_received"], yearly=True)
    with pytest.raises(BadRequestData, match="compute it first"):
        hub.indicators.panel(["gdp"])


@pytest.mark.backend("sqlite")
def test_cli_evaluates_an_indicator(shared_data: Path, tmp_path: Path, backend: str) -> None:
    db = f"sqlite:///{tmp_path / 'eval.db'}"
    source = _columns(
        shared_data / "policy" / "basque.csv", tmp_path / "b.csv", ["regionname", "year", "gdpcap"]
    )
    assert run("indicators", "load", SERIES, str(source), "--time-column", "year",
               "--value-column", "gdpcap", "--place-column", "regionname",
               "--database", db).returncode == 0  # fmt: skip
    assert run("indicators", "compute", SERIES, "--since", "1955-01-01", "--until",
               "1997-12-31", "--database", db).returncode == 0  # fmt: skip
    common = ["--treated", BASQUE, "--treatment", "1970", "--optimize", "1960-1969",
              "--no-placebo", "--json"]  # fmt: skip
    by_indicator = run("evaluate", "synth", "--indicator", SERIES, "--predictor",
                       f"{SERIES}=1960-1969", *common, "--database", db)  # fmt: skip
    by_file = run("evaluate", "synth", str(source), "--unit", "regionname", "--time", "year",
                  "--outcome", "gdpcap", "--predictor", "gdpcap=1960-1969", *common)  # fmt: skip
    assert by_indicator.returncode == 0, by_indicator.stderr
    mine, theirs = json.loads(by_indicator.stdout), json.loads(by_file.stdout)
    assert mine["weights"] == pytest.approx(theirs["weights"], abs=1e-6)
    its = run("evaluate", "its", "--indicator", SERIES, "--place", BASQUE, "--interruption",
              "1970", "--json", "--database", db)  # fmt: skip
    assert its.returncode == 0, its.stderr
    assert json.loads(its.stdout)["pre_periods"] == 15  # 1955-1969
    both = run("evaluate", "did", str(source), "--indicator", SERIES, "--database", db)
    assert both.returncode != 0 and "not both" in both.stderr
    assert "Traceback" not in both.stderr and len(both.stderr.strip().splitlines()) == 1
    monthly = run(
        "evaluate", "synth", "--indicator", "requests_received", *common, "--database", db
    )
    assert monthly.returncode != 0 and "yearly" in monthly.stderr


def test_api_did_on_indicator_values_reproduces_mpdta(server: Server, shared_data: Path) -> None:
    rows = list(csv.DictReader((shared_data / "policy" / "mpdta.csv").open(encoding="utf-8")))
    body = "year,county,lemp\n" + "".join(
        f"{r['year']},{r['countyreal']},{_four(r['lemp'])}\n" for r in rows
    )
    adopted = {r["countyreal"]: int(r["first.treat"]) for r in rows if r["first.treat"] != "0"}
    with httpx.Client(base_url=server.base, timeout=120) as api:
        loaded = api.post(
            f"/indicators/v1/indicators/{SERIES}/series",
            params={"time_column": "year", "value_column": "lemp", "place_column": "county"},
            content=body.encode(),
            headers={"content-type": "text/csv"},
        )
        assert loaded.status_code == 201, loaded.text
        computed = api.post(
            "/indicators/v1/compute",
            json={"indicators": [SERIES], "since": "2003-01-01", "until": "2007-12-31"},
        )
        assert computed.status_code == 200, computed.text
        r = api.post(
            "/evaluate/v1/did",
            json={"indicator": SERIES, "adopted": adopted, "bootstrap": 0},
        )
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["aggregate"]["group"]["att"] == pytest.approx(-0.0310, abs=0.002)
        missing = api.post("/evaluate/v1/did", json={"indicator": SERIES})
        assert missing.status_code == 400
        assert missing.headers["content-type"].startswith("application/problem+json")
