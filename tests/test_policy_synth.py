"""Synthetic control reproduces Abadie & Gardeazabal's Basque Country weights."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cityhub.errors import BadRequestData
from cityhub.indicators.synth import Predictor, SynthPanel, synthetic_control

BASQUE = "Basque Country (Pais Vasco)"
SCHOOL = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high"]
SECTORS = [
    "sec.agriculture",
    "sec.energy",
    "sec.industry",
    "sec.construction",
    "sec.services.venta",
    "sec.services.nonventa",
]


def predictors() -> list[Predictor]:
    """R Synth's basque example: means of the predictors before the terrorism began."""
    chosen = [Predictor(v, tuple(range(1964, 1970))) for v in [*SCHOOL, "invest"]]
    chosen.append(Predictor("gdpcap", tuple(range(1960, 1970))))
    chosen += [Predictor(v, tuple(range(1961, 1970, 2))) for v in SECTORS]
    chosen.append(Predictor("popdens", (1969,)))
    return chosen


@pytest.fixture(scope="module")
def panel(shared_data: Path) -> SynthPanel:
    rows = list(csv.DictReader((shared_data / "policy" / "basque.csv").open(encoding="utf-8")))
    return SynthPanel(rows, "regionname", "year")


def test_basque_weights_and_gap(panel: SynthPanel) -> None:
    result = synthetic_control(
        panel, "gdpcap", BASQUE, 1970, predictors(), range(1960, 1970), placebos=False
    )
    assert result.weights["Cataluna"] == pytest.approx(0.8508, abs=0.02)
    assert result.weights["Madrid (Comunidad De)"] == pytest.approx(0.1492, abs=0.02)
    assert sum(result.weights.values()) == pytest.approx(1.0)
    nineties = [
        gap / synthetic
        for period, gap, synthetic in zip(
            result.periods, result.gap(), result.synthetic, strict=True
        )
        if 1990 <= period <= 1997
    ]
    assert sum(nineties) / len(nineties) == pytest.approx(-0.10, abs=0.02)
    assert result.pre_rmspe < 0.1 < result.post_rmspe


def test_placebos_in_space_give_a_rank_p_value(panel: SynthPanel) -> None:
    result = synthetic_control(
        panel,
        "gdpcap",
        BASQUE,
        1970,
        [Predictor("gdpcap", tuple(range(1960, 1970)))],
        range(1960, 1970),
        starts=1,
    )
    assert len(result.placebo) == 17
    assert result.p_value is not None and 1 / 18 <= result.p_value <= 1
    body = result.as_dict()
    assert body["series"][0]["period"] == 1955 and body["p_value"] == result.p_value


def test_bad_requests_are_clear(panel: SynthPanel) -> None:
    with pytest.raises(BadRequestData, match="not in the panel"):
        synthetic_control(panel, "gdpcap", "Atlantis", 1970, [], range(1960, 1970))
    with pytest.raises(BadRequestData, match="three pre-treatment"):
        synthetic_control(panel, "gdpcap", BASQUE, 1961, [], range(1960, 1970))
    with pytest.raises(BadRequestData, match="no column"):
        synthetic_control(panel, "gdp", BASQUE, 1970, [], range(1960, 1970))
    with pytest.raises(BadRequestData, match="donor"):
        synthetic_control(panel, "gdpcap", BASQUE, 1970, [], range(1960, 1970), donors=["Nowhere"])


def test_evaluate_synth_command(shared_data: Path) -> None:
    import json

    from tests.test_cli import run

    basque = [
        "evaluate",
        "synth",
        str(shared_data / "policy" / "basque.csv"),
        "--unit",
        "regionname",
        "--time",
        "year",
        "--outcome",
        "gdpcap",
        "--treated",
        BASQUE,
        "--treatment",
        "1970",
    ]
    args = [*basque, "--optimize", "1960-1969", "--no-placebo", "--json"]
    for p in predictors():
        step = p.periods[1] - p.periods[0] if len(p.periods) > 1 else 1
        args += ["--predictor", f"{p.variable}={p.periods[0]}-{p.periods[-1]}:{step}"]
    done = run(*args)
    assert done.returncode == 0, done.stderr
    weights = json.loads(done.stdout)["weights"]
    assert weights["Cataluna"] == pytest.approx(0.8508, abs=0.02)
    bad = run(*basque, "--optimize", "sixties")
    assert bad.returncode == 1 and "--optimize" in bad.stderr
