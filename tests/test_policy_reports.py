"""Evaluation reports: one HTML page each, with the chart inline and a plain-language summary
that states the assumptions."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run


def check_page(path: Path, *needles: str) -> None:
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 1
    assert 'src="http' not in page and 'href="http' not in page
    for needle in needles:
        assert needle in page, needle


def test_did_and_synth_reports(shared_data: Path, tmp_path: Path) -> None:
    policy = shared_data / "policy"
    did = run(
        "evaluate",
        "did",
        str(policy / "mpdta.csv"),
        "--unit",
        "countyreal",
        "--time",
        "year",
        "--outcome",
        "lemp",
        "--group",
        "first.treat",
        "--bootstrap",
        "49",
        "--report",
        str(tmp_path / "did.html"),
    )
    assert did.returncode == 0, did.stderr
    check_page(tmp_path / "did.html", "parallel trends", "平行", "-0.0310")
    synth = run(
        "evaluate",
        "synth",
        str(policy / "basque.csv"),
        "--unit",
        "regionname",
        "--time",
        "year",
        "--outcome",
        "gdpcap",
        "--treated",
        "Basque Country (Pais Vasco)",
        "--treatment",
        "1970",
        "--optimize",
        "1960-1969",
        "--predictor",
        "gdpcap=1960-1969",
        "--no-placebo",
        "--report",
        str(tmp_path / "synth.html"),
    )
    assert synth.returncode == 0, synth.stderr
    check_page(tmp_path / "synth.html", "RMSPE", "no donor was affected", "合成对照")


def test_its_report(tmp_path: Path) -> None:
    series = tmp_path / "s.csv"
    series.write_text(
        "t,y\n" + "".join(f"{t:02d},{10 + 0.1 * t - (3 if t >= 20 else 0)}\n" for t in range(30)),
        encoding="utf-8",
    )
    done = run(
        "evaluate",
        "its",
        str(series),
        "--time",
        "t",
        "--value",
        "y",
        "--interruption",
        "20",
        "--report",
        str(tmp_path / "its.html"),
    )
    assert done.returncode == 0, done.stderr
    check_page(tmp_path / "its.html", "Newey-West", "-3.000", "假设")


def test_report_charts_name_their_axes_and_keep_labels_apart() -> None:
    import itertools
    import re

    from cityhub.charts import line_chart, round_ticks

    months = [f"{2020 + m // 12}-{m % 12 + 1:02d}" for m in range(60)]  # 60 monthly periods
    svg = line_chart(
        months,
        {"actual 实际": [float(m) for m in range(60)]},
        "t",
        marker=30,
        x_title="period 时期",
        y_title="requests 件",
    )
    shown = re.findall(r'<text x="([\d.]+)" y="244" font-size="10" text-anchor="middle">', svg)
    xs = [float(x) for x in shown]
    assert len(xs) >= 4  # some labels are shown ...
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 7 * 6  # ... never touching
    assert ">period 时期<" in svg and ">requests 件<" in svg
    assert round_ticks(0.0, 59.0) == [0.0, 20.0, 40.0, 60.0]
    assert round_ticks(3.2, 3.9) == [3.2, 3.4, 3.6, 3.8, 4.0]
