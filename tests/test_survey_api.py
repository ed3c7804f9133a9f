"""Surveys over HTTP on both stores: a form published from its XLSForm workbook, read back,
versioned; responses checked on the server (refused whole with every question at fault named,
or stored whole) and read back by the collecting department, masked for others."""

from __future__ import annotations

from pathlib import Path

import httpx
import openpyxl

from tests.conftest import Server
from tests.test_survey_forms import GOOD, QUESTIONS, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _publish(base: str, path: Path, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        base + "/survey/v1/forms",
        content=path.read_bytes(),
        headers={"Content-Type": XLSX, **(headers or {})},
        timeout=30,
    )


def _version(path: Path, version: str) -> Path:
    book = openpyxl.load_workbook(path)
    book["settings"]["C2"] = version
    book.save(path)
    return path


def test_a_form_is_published_read_and_answered(server: Server, tmp_path: Path) -> None:
    base = server.base
    path = workbook(tmp_path / "form.xlsx", QUESTIONS)
    made = _publish(base, path)
    assert made.status_code == 201, made.text
    form = made.json()
    assert form["form_id"] == "sz_satisfaction_2026" and form["version"] == "2026120301"
    why = next(q for q in form["questions"] if q["name"] == "why")
    assert why["relevant"] == "${satisfaction} <= 2" and why["label"]["en"] == "Why not satisfied"
    again = _publish(base, path)
    assert again.status_code == 409 and "another version" in again.json()["detail"]
    shown = httpx.get(base + "/survey/v1/forms/sz_satisfaction_2026").json()
    assert [q["name"] for q in shown["questions"]] == [q[1] for q in QUESTIONS]
    url = base + "/survey/v1/forms/sz_satisfaction_2026/responses"
    stored = httpx.post(url, json={"answers": GOOD})
    assert stored.status_code == 201, stored.text
    refused = httpx.post(
        url,
        json={"answers": {**GOOD, "age": "12", "district": "", "why": "太慢"}},
        params={"lang": "en"},
    )
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    errors = {e["question"]: e["message"] for e in refused.json()["errors"]}
    assert errors == {
        "district": "is required",
        "age": "age must be 16 to 119",
        "why": "was skipped by the form's logic and takes no answer",
    }
    for bad in ({"answers": "x"}, {"answers": {"age": {"n": 1}}}, {"answers": GOOD, "version": 3}):
        assert httpx.post(url, json=bad).status_code == 400
    assert (
        httpx.post(base + "/survey/v1/forms/nope/responses", json={"answers": GOOD}).status_code
        == 404
    )
    # a new version of the form; responses name the version they answer
    _publish(base, _version(path, "2026120302"))
    newer = httpx.post(url, json={"answers": GOOD}).json()
    older = httpx.post(url, json={"answers": GOOD, "version": "2026120301"}).json()
    assert newer["version"] == "2026120302" and older["version"] == "2026120301"
    listed = httpx.get(base + "/survey/v1/forms").json()
    mine = next(f for f in listed if f["form_id"] == "sz_satisfaction_2026")
    assert mine["version"] == "2026120302" and mine["title"] == "2026年深圳市民公共服务满意度调查"
    assert (mine["versions"], mine["responses"]) == (2, 3)
    page = httpx.get(url).json()
    assert [r["version"] for r in page["responses"]] == ["2026120301", "2026120302", "2026120301"]
    assert page["responses"][0]["answers"] == GOOD
    bad_form = tmp_path / "bad.xlsx"
    workbook(bad_form, [["integr", "age", "年龄", "Age", "", "", "", "", ""]])
    refused_form = _publish(base, bad_form)
    assert refused_form.status_code == 400 and "integr" in refused_form.json()["detail"]
    not_xlsx = httpx.post(
        base + "/survey/v1/forms", content=b"a,b\n", headers={"Content-Type": "text/csv"}
    )
    assert not_xlsx.status_code == 400
