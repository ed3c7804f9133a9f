"""Design-based estimation against a second implementation (samplics' Taylor estimator and
its raking) on textbook designs: simple random sampling, stratified, one-stage cluster,
stratified two-stage with a finite population correction at the first stage, NHANES II's
stratified cluster design, and raking to two margins; then the CLI on any CSV."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cityhub.survey.calibrate import margin, rake, residuals
from cityhub.survey.design import make_design
from cityhub.survey.estimate import estimate
from tests.test_cli import run

warnings.filterwarnings("ignore", message="samplics is archived")
samplics = pytest.importorskip("samplics")
from samplics import PopParam, SampleWeight  # noqa: E402
from samplics.estimation import TaylorEstimator  # noqa: E402

POINT, SE = 1e-6, 1e-4  # absolute on estimates (relative for totals), relative on SEs


def _theirs(param: Any, y: Any, w: Any, **design: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = TaylorEstimator(param)
        fit.estimate(y=y, samp_weight=w, **design)
    return fit.point_est, fit.stderror


def _close(mine: float, theirs: float, relative: bool = False) -> None:
    scale = max(abs(theirs), 1.0) if relative else 1.0
    assert abs(mine - theirs) <= POINT * scale, (mine, theirs)


def _close_se(mine: float, theirs: float) -> None:
    assert abs(mine - theirs) <= SE * abs(theirs), (mine, theirs)


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    n = 1200
    stratum = rng.integers(0, 6, n).astype(str)
    psu = np.array([f"{s}-{rng.integers(0, 10)}" for s in stratum])
    district = rng.choice(["福田区", "南山区", "罗湖区", "宝安区"], n, p=[0.2, 0.3, 0.2, 0.3])
    age = rng.choice(["18-39", "40-59", "60+"], n)
    score = rng.normal(70, 12, n) + stratum.astype(int) + (age == "60+") * 5
    return {
        "n": n, "stratum": stratum, "psu": psu, "district": district, "age": age,
        "score": score, "w": rng.uniform(50, 400, n),
        "answer": rng.choice(["满意", "一般", "不满意"], n, p=[0.5, 0.3, 0.2]),
    }  # fmt: skip


def test_simple_random_sample_with_and_without_fpc(sample: dict[str, Any]) -> None:
    y, n = sample["score"], sample["n"]
    w = np.full(n, 1000.0 / n * 100)
    f = n / 100_000  # the sampling fraction: the weights add up to 100,000
    for population, fpc, deff in ((None, 1.0, 1 / (1 - f)), (np.full(n, 100_000.0), 1 - f, 1.0)):
        design = make_design(w, population=population)
        mine = estimate(design, "score", y, "mean")[0]
        est, se = _theirs(PopParam.mean, y, w, fpc=fpc)
        _close(mine.estimate, est)
        _close_se(mine.se, se)
        # SRS: a design effect of one, or 1 / (1 - f) when the design ignores f and SRSWOR not
        assert mine.deff == pytest.approx(deff, rel=1e-9)


def test_stratified_and_one_stage_cluster_means_totals_proportions(sample: dict[str, Any]) -> None:
    y, w, h, c = sample["score"], sample["w"], sample["stratum"], sample["psu"]
    for name, strata, clusters, theirs_design in (
        ("stratified", list(h), None, {"stratum": h}),
        ("one-stage cluster", None, list(c), {"psu": c}),
        ("stratified cluster", list(h), list(c), {"stratum": h, "psu": c}),
    ):
        design = make_design(w, strata, clusters)
        mean = estimate(design, "score", y, "mean")[0]
        est, se = _theirs(PopParam.mean, y, w, **theirs_design)
        _close(mean.estimate, est)
        _close_se(mean.se, se)
        total = estimate(design, "score", y, "total")[0]
        est, se = _theirs(PopParam.total, y, w, **theirs_design)
        _close(total.estimate, est, relative=True)
        _close_se(total.se, se)
        shares = estimate(design, "answer", y, "proportion", categories=list(sample["answer"]))
        est, se = _theirs(PopParam.prop, sample["answer"], w, **theirs_design)
        for e in shares:
            _close(e.estimate, est[e.level])
            _close_se(e.se, se[e.level])
        assert sum(e.estimate for e in shares) == pytest.approx(1.0, abs=1e-12), name


def test_domains_and_two_stage_with_first_stage_fpc(sample: dict[str, Any]) -> None:
    y, w, h, c = sample["score"], sample["w"], sample["stratum"], sample["psu"]
    psus_per_stratum = {s: len(set(c[h == s])) for s in set(h)}
    population = np.full(sample["n"], 40.0)  # 40 PSUs in every stratum's population
    design = make_design(w, list(h), list(c), population)
    fpc = {s: 1 - psus_per_stratum[s] / 40 for s in sorted(psus_per_stratum)}
    mine = {e.by: e for e in estimate(design, "score", y, "mean", list(sample["district"]))}
    est, se = _theirs(PopParam.mean, y, w, stratum=h, psu=c, fpc=fpc, domain=sample["district"])
    assert set(mine) == set(est)
    for d, e in mine.items():
        _close(e.estimate, est[d])
        _close_se(e.se, se[d])
    totals = {e.by: e for e in estimate(design, "score", y, "total", list(sample["age"]))}
    est, se = _theirs(PopParam.total, y, w, stratum=h, psu=c, fpc=fpc, domain=sample["age"])
    for d, e in totals.items():
        _close(e.estimate, est[d], relative=True)
        _close_se(e.se, se[d])


def test_nhanes_ii_stratified_cluster_design(tmp_path: Path) -> None:
    from samplics import load_nhanes2

    frame = load_nhanes2()["data"]
    path = tmp_path / "nhanes2.csv"
    frame.to_csv(path, index=False)
    done = run(
        "survey", "estimate", str(path), "--weight", "finalwgt", "--strata", "stratid",
        "--cluster", "psuid", "--mean", "zinc", "--proportion", "highbp", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["estimates"]
    for row in found:
        assert set(row) >= {
            "variable",
            "statistic",
            "by",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "deff",
        }
    zinc = next(r for r in found if r["variable"] == "zinc")
    keep = frame["zinc"].notna().to_numpy()
    est, se = _theirs(
        PopParam.mean, frame["zinc"].to_numpy()[keep], frame["finalwgt"].to_numpy()[keep],
        stratum=frame["stratid"].to_numpy()[keep], psu=frame["psuid"].to_numpy()[keep],
    )  # fmt: skip
    # the rows without zinc are a domain in ours and dropped in theirs: same point estimate
    _close(zinc["estimate"], est)
    assert zinc["se"] == pytest.approx(se, rel=0.05)
    assert zinc["ci_low"] < zinc["estimate"] < zinc["ci_high"] and zinc["deff"] > 1
    highbp = {r["level"]: r for r in found if r["variable"] == "highbp"}
    hb = frame["highbp"].astype(str).to_numpy()
    est, se = _theirs(
        PopParam.prop, hb, frame["finalwgt"].to_numpy(),
        stratum=frame["stratid"].to_numpy(), psu=frame["psuid"].to_numpy(),
    )  # fmt: skip
    for level, row in highbp.items():
        _close(row["estimate"], est[level])
        _close_se(row["se"], se[level])


def test_raking_converges_to_both_margins_and_matches_a_second_raking(
    sample: dict[str, Any],
) -> None:
    w = sample["w"]
    districts = {
        "福田区": 1_553_225.0,
        "南山区": 1_795_826.0,
        "罗湖区": 1_143_801.0,
        "宝安区": 4_476_554.0,
    }
    people = sum(districts.values())
    ages = {"18-39": people * 0.52, "40-59": people * 0.33, "60+": people * 0.15}
    margins = [
        margin("district", list(sample["district"]), districts),
        margin("age", list(sample["age"]), ages),
    ]
    raked, rounds = rake(w, margins)
    for m in margins:
        got = np.bincount(m.codes, weights=raked)
        assert np.max(np.abs(got - m.totals)) <= 1e-8 * people, m.name
    assert rounds < 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SampleWeight().rake(
            samp_weight=w,
            control={"district": districts, "age": ages},
            margins={"district": sample["district"], "age": sample["age"]},
            tol=1e-12,
            max_iter=1000,
        )
    assert np.max(np.abs(raked - theirs) / theirs) <= 1e-6
    # the raked mean's linearised SE from residuals on both margins, checked against a dense
    # least-squares fit written out here
    design = make_design(raked, list(sample["stratum"]), list(sample["psu"]))
    y = sample["score"]
    mine = estimate(design, "score", y, "mean", margins=margins)[0]
    mean = float(np.sum(raked * y) / np.sum(raked))
    u = (y - mean) / np.sum(raked)
    x = np.column_stack(
        [(sample["district"] == d).astype(float) for d in districts]
        + [(sample["age"] == a).astype(float) for a in ages]
    )
    root = np.sqrt(raked)
    beta = np.linalg.lstsq(x * root[:, None], u * root, rcond=None)[0]
    e = raked * (u - x @ beta)
    _, se = _theirs(
        PopParam.total, e, np.ones_like(e), stratum=sample["stratum"], psu=sample["psu"]
    )
    _close(mine.estimate, mean)
    _close_se(mine.se, se)
    # an outcome the age margin largely explains is estimated more precisely after raking
    explained = y + 40.0 * (sample["age"] == "60+")
    raked_se = estimate(design, "x", explained, "mean", margins=margins)[0].se
    assert raked_se < estimate(design, "x", explained, "mean")[0].se
    assert raked_se == pytest.approx(mine.se, rel=1e-9)  # what age explains adds no variance
    assert np.allclose(residuals(u, raked, margins), u - x @ beta, atol=1e-12)


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_cli_rakes_estimates_by_domain_and_refuses_bad_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = [
        [f"r{i}", rng.choice(["福田区", "南山区"]), rng.choice(["男", "女"]),
         100 + rng.integers(0, 50), rng.integers(1, 6) if i % 17 else "",
         rng.choice(["满意", "不满意"])]
        for i in range(300)
    ]  # fmt: skip
    data = tmp_path / "responses.csv"
    _write(data, ["id", "district", "sex", "w", "likert", "answer"], rows)
    _write(
        tmp_path / "districts.csv", ["level", "total"], [["福田区", 1553225], ["南山区", 1795826]]
    )
    _write(tmp_path / "sex.csv", ["level", "total"], [["男", 1_800_000], ["女", 1_549_051]])
    done = run(
        "survey", "estimate", str(data), "--weight", "w",
        "--rake", f"district={tmp_path / 'districts.csv'}",
        "--rake", f"sex={tmp_path / 'sex.csv'}", "--mean", "likert", "--total", "likert",
        "--proportion", "answer", "--by", "district", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["estimates"]
    assert {r["by"] for r in found} == {"福田区", "南山区"}
    assert {r["statistic"] for r in found} == {"mean", "total", "proportion"}
    counted = next(r for r in found if r["statistic"] == "mean" and r["by"] == "福田区")
    assert 1 <= counted["estimate"] <= 5 and counted["se"] > 0
    index = run(
        "survey", "estimate", str(data), "--weight", "w", "--mean", "likert",
        "--index", "likert=1-5", "--json",
    )  # fmt: skip
    mean, scaled = json.loads(index.stdout)["estimates"]
    assert scaled["statistic"] == "index"
    assert scaled["estimate"] == pytest.approx((mean["estimate"] - 1) / 4 * 100, rel=1e-12)
    assert scaled["se"] == pytest.approx(mean["se"] * 25, rel=1e-12)
    assert scaled["deff"] == pytest.approx(mean["deff"], rel=1e-12)
    crossed = run(
        "survey", "estimate", str(data), "--weight", "w", "--crosstab", "district,answer", "--json"
    )  # fmt: skip
    tab = json.loads(crossed.stdout)["crosstabs"][0]
    assert tab["rows"] == ["南山区", "福田区"] and tab["columns"] == ["不满意", "满意"]
    assert sum(map(sum, tab["shares"])) == pytest.approx(1.0)
    assert 0 <= tab["rao_scott"]["p_value"] <= 1
    # disclosure control: an estimate or a cell from fewer responses than --min-cell is withheld
    small = run(
        "survey", "estimate", str(data), "--weight", "w", "--mean", "likert", "--by", "district",
        "--crosstab", "district,answer", "--min-cell", "200", "--json",
    )  # fmt: skip
    body = json.loads(small.stdout)
    assert all(
        r["suppressed"] and r["estimate"] is None and r["se"] is None for r in body["estimates"]
    )
    assert all(v is None for row in body["crosstabs"][0]["shares"] for v in row)
    assert sum(map(sum, body["crosstabs"][0]["counts"])) == 300
    kept = run(
        "survey", "estimate", str(data), "--weight", "w", "--mean", "likert", "--min-cell", "100",
        "--json",
    )  # fmt: skip
    assert json.loads(kept.stdout)["estimates"][0]["suppressed"] is False
    printed = run("survey", "estimate", str(data), "--weight", "w", "--crosstab", "district,answer")
    assert "Rao-Scott F" in printed.stdout
    table = run("survey", "estimate", str(data), "--weight", "w", "--mean", "likert")
    assert table.returncode == 0 and "likert" in table.stdout and "deff" in table.stdout
    for args, words in (
        (["--weight", "nope", "--mean", "likert"], "no such column"),
        (["--weight", "w"], "at least one"),
        (["--weight", "w", "--index", "likert=1-3"], "outside the scale"),
        (["--weight", "w", "--index", "likert=5-1"], "LOW below HIGH"),
        (["--weight", "district", "--mean", "likert"], "is not a number"),
        (["--weight", "w", "--strata", "id", "--mean", "likert"], "single PSU"),
        (["--weight", "w", "--rake", f"sex={tmp_path / 'districts.csv'}", "--mean", "likert"],
         "not in the margins"),
    ):  # fmt: skip
        bad = run("survey", "estimate", str(data), *args)
        assert bad.returncode == 1, (args, bad.stdout)
        assert bad.stderr.startswith("error:") and words in bad.stderr, (args, bad.stderr)
        assert bad.stderr.strip().count("\n") == 0


def _rao_scott(shares: Any, cov: Any, r: int, c: int, n: int) -> tuple[float, float]:
    """R's svychisq (statistic "F") written out with dense matrices, on a covariance of the
    cell shares from samplics."""
    k = r * c
    rows, cols = np.divmod(np.arange(k), c)
    x1 = np.column_stack(
        [np.ones(k)] + [rows == i for i in range(1, r)] + [cols == j for j in range(1, c)]
    ).astype(float)
    x12 = np.column_stack(
        [(rows == i) & (cols == j) for i in range(1, r) for j in range(1, c)]
    ).astype(float)
    q, _ = np.linalg.qr(x1)
    cmat = x12 - q @ (q.T @ x12)
    inverse = np.diag(1 / shares)
    denom = cmat.T @ (inverse / n) @ cmat
    numr = cmat.T @ inverse @ cov @ inverse @ cmat
    delta = np.linalg.solve(denom, numr)
    return float(np.trace(delta)), float(np.trace(delta) ** 2 / np.trace(delta @ delta))


def test_crosstab_shares_and_rao_scott_test(sample: dict[str, Any]) -> None:
    from cityhub.survey.crosstab import crosstab

    w, h, c = sample["w"], sample["stratum"], sample["psu"]
    design = make_design(w, list(h), list(c))
    rows, cols = list(sample["district"]), list(sample["answer"])
    mine = crosstab(design, rows, cols)
    cells = np.array([f"{a}|{b}" for a, b in zip(rows, cols, strict=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = TaylorEstimator(PopParam.prop)
        fit.estimate(y=cells, samp_weight=w, stratum=h, psu=c)
    keys = [f"{a}|{b}" for a in mine.rows for b in mine.columns]
    shares = np.array([fit.point_est[key] for key in keys])
    cov = np.array([[fit.covariance[a][b] for b in keys] for a in keys])
    assert np.allclose(mine.shares.ravel(), shares, atol=POINT)
    assert np.allclose(mine.se.ravel(), np.sqrt(np.diag(cov)), rtol=SE)
    table = shares.reshape(len(mine.rows), len(mine.columns))
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    assert mine.pearson == pytest.approx(mine.n * np.sum((table - expected) ** 2 / expected))
    trace, df_num = _rao_scott(shares, cov, len(mine.rows), len(mine.columns), mine.n)
    assert mine.f == pytest.approx(mine.pearson / trace, rel=SE)
    assert mine.df_num == pytest.approx(df_num, rel=SE)
    assert mine.df_den == pytest.approx(df_num * design.degrees_of_freedom, rel=SE)
    assert 0 <= mine.p_value <= 1


def test_under_simple_random_sampling_rao_scott_is_pearson(sample: dict[str, Any]) -> None:
    """Δ is the identity (up to n / (n - 1)) for an equal-weight simple random sample, so the
    correction leaves Pearson's X² on (r - 1)(c - 1) degrees of freedom."""
    from cityhub.survey.crosstab import crosstab

    n = sample["n"]
    design = make_design(np.full(n, 10.0))
    mine = crosstab(design, list(sample["district"]), list(sample["answer"]))
    cells = (len(mine.rows) - 1) * (len(mine.columns) - 1)
    assert mine.df_num == pytest.approx(cells, rel=0.05)
    assert mine.f * cells == pytest.approx(mine.pearson, rel=0.05)


def test_a_survey_index_becomes_an_indicator_a_goal_can_target(tmp_path: Path) -> None:
    """survey → indicator → goal: the weighted index for the city and each district is
    written as a series, loaded into the shipped indicator, and judged against a target."""
    rng = np.random.default_rng(21)
    rows = [
        [rng.choice(["福田区", "南山区"]), 100 + rng.integers(0, 50), rng.integers(1, 6)]
        for _ in range(400)
    ]
    data = tmp_path / "responses.csv"
    _write(data, ["district", "w", "satisfaction"], rows)
    series = tmp_path / "index.csv"
    done = run(
        "survey", "estimate", str(data), "--weight", "w", "--index", "satisfaction=1-5",
        "--by", "district", "--series", str(series), "--period", "2025", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    by = {r["by"]: r["estimate"] for r in json.loads(done.stdout)["estimates"]}
    with series.open(encoding="utf-8") as handle:
        written = {r["place"]: float(r["estimate"]) for r in csv.DictReader(handle)}
    assert set(written) == {"city", "福田区", "南山区"}
    assert min(by.values()) <= written["city"] <= max(by.values())
    db = f"sqlite:///{tmp_path / 'city.db'}"
    ident = "public_satisfaction_index"
    assert run("indicators", "load", ident, str(series), "--database", db).returncode == 0
    computed = run("indicators", "compute", ident, "--since", "2025-01-01", "--until", "2025-12-31",
                   "--database", db)  # fmt: skip
    assert computed.returncode == 0, computed.stderr
    shown = run("indicators", "show", ident, "--place", "福田区", "--json", "--database", db)
    values = json.loads(shown.stdout)["values"]
    assert values[0]["value"] == pytest.approx(by["福田区"], abs=1e-3)  # stored rounded
    target = f"{by['福田区'] - 1:.1f}"
    assert run("targets", "set", ident, "2025", target, "--place", "福田区",
               "--database", db).returncode == 0  # fmt: skip
    judged = json.loads(run("targets", "assess", ident, "--json", "--database", db).stdout)
    assert [(j["place"], j["status"]) for j in judged if j["place"] == "福田区"] in (
        [("福田区", "on_track")],
        [("福田区", "at_risk")],
        [("福田区", "achieved")],
    )
    bad = run("survey", "estimate", str(data), "--weight", "w", "--mean", "satisfaction",
              "--series", str(series))  # fmt: skip
    assert bad.returncode == 1 and "--period" in bad.stderr
