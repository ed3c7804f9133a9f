"""Personal data is found (ID numbers, phones, bank cards ...) and masked, measured on a labelled
fixture of values and look-alikes; files are profiled as streams and a sharing class suggested."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from cityhub.catalog.classify import profile, suggest
from cityhub.catalog.mask import mask_cell, mask_text
from cityhub.catalog.sensitive import find, valid_bank_card, valid_id_number
from tests.test_cli import run

FIXTURE = Path(__file__).parent / "fixtures" / "sensitive_values.csv"
STRICT = ("id_card", "mobile", "bank_card")


def _fixture() -> list[dict[str, str]]:
    return list(csv.DictReader(FIXTURE.open(encoding="utf-8")))


def test_fixture_precision_and_recall() -> None:
    rows = _fixture()
    assert len(rows) >= 500
    assert sum(r["kind"] == "none" for r in rows) >= 150  # look-alikes and plain text
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for r in rows:
        got = {(f.kind, f.text) for f in find(r["text"])}
        want = {(r["kind"], r["value"])} if r["kind"] != "none" else set()
        for kind, _ in got - want:
            fp[kind] += 1
        for kind, _ in got & want:
            tp[kind] += 1
        for kind, _ in want - got:
            fn[kind] += 1
    report = {}
    for kind in sorted(set(tp) | set(fn)):
        precision = tp[kind] / (tp[kind] + fp[kind])
        recall = tp[kind] / (tp[kind] + fn[kind])
        report[kind] = (precision, recall)
        floor = 0.99 if kind in STRICT else 0.95
        assert precision >= floor and recall >= floor, (kind, precision, recall)
    assert set(STRICT) <= set(report)
    print("precision/recall:", {k: tuple(round(x, 3) for x in v) for k, v in report.items()})


def test_checks_that_cut_look_alikes() -> None:
    valid = next(r["value"] for r in _fixture() if r["kind"] == "id_card")
    assert valid_id_number(valid)
    broken = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert not valid_id_number(broken)
    assert valid_bank_card("6222021234567890128") is valid_bank_card("6222021234567890128")
    assert not valid_bank_card("6222021234567890129") or not valid_bank_card("6222021234567890128")
    assert not valid_bank_card("4111111111111112")  # Luhn fails
    assert valid_bank_card("4111111111111111")  # the Visa test number
    assert not valid_bank_card("9111111111111111" + "1")


def test_masks_keep_the_shape_and_hide_the_middle() -> None:
    ident = next(r["value"] for r in _fixture() if r["kind"] == "id_card")
    assert mask_text(f"身份证{ident}号") == f"身份证{ident[:6]}********{ident[-4:]}号"
    assert mask_text("电话13812345678联系") == "电话138****5678联系"
    assert mask_text("+86 138 1234 5678") == "138****5678"
    assert mask_text("卡号4111111111111111") == "卡号4111********1111"
    assert mask_text("联系人：欧阳明明") == "联系人：欧阳**"
    assert mask_text("座机0755-86001234") == "座机0755-****1234"
    assert mask_text("邮箱li.na@sz.gov.cn") == "邮箱l***@sz.gov.cn"
    assert mask_cell("张伟", frozenset({"person_name"})) == "张*"
    assert mask_cell(22.5430961, frozenset({"coordinates"})) == 22.54
    assert mask_cell(13812345678) == "138****5678"
    assert mask_text("福田区今日PM2.5为35") == "福田区今日PM2.5为35"


def test_no_masked_text_still_holds_the_value() -> None:
    for r in _fixture():
        if r["kind"] in ("id_card", "mobile", "bank_card", "landline", "email"):
            masked = mask_text(r["text"])
            digits = "".join(c for c in r["value"] if c.isdigit())
            assert r["value"] not in masked
            assert digits not in "".join(c for c in masked if c.isdigit() or c == "*")


def test_suggestion_follows_what_the_columns_hold(shared_data: Path) -> None:
    messages = list(
        csv.DictReader((shared_data / "citizen" / "messages_labelled.csv").open(encoding="utf-8"))
    )[:200]
    values = [r for r in _fixture() if r["kind"] in ("mobile", "id_card")]
    people = [
        [m["title"], "张伟" if i % 2 else "李娜", values[i % len(values)]["value"]]
        for i, m in enumerate(messages)
    ]
    found = profile(["标题", "姓名", "证件或电话"], people)
    assert found[0].kinds == []  # real complaint titles are not personal data
    assert found[1].kinds == ["person_name"]
    assert set(found[2].kinds) <= {"mobile", "id_card"} and found[2].kinds
    advice = suggest(found, len(people))
    assert (advice.grade, advice.level, advice.share_type) == ("general", 4, "conditional")
    plain = suggest(profile(["标题"], [[m["title"]] for m in messages]), len(messages))
    assert (plain.level, plain.share_type, plain.open_type) == (1, "unconditional", "open")


@pytest.mark.backend("sqlite")
def test_cli_scans_a_million_rows_as_a_stream(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "residents.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["编号", "姓名", "手机", "街道"])
        for i in range(1_000_000):
            out.writerow([i, "王芳", f"139{i:08d}", "福田街道"])
    scanned = run("catalog", "scan", str(path), "--sample", "5000", "--json")
    assert scanned.returncode == 0, scanned.stderr
    body = json.loads(scanned.stdout)
    assert body["rows"] == 1_000_000 and body["checked"] == 5000
    kinds = {c["column"]: c["kinds"] for c in body["columns"]}
    assert kinds == {"编号": [], "姓名": ["person_name"], "手机": ["mobile"], "街道": []}
    assert body["suggestion"]["shareType"] == "conditional"


@pytest.mark.backend("sqlite")
def test_cli_scan_reads_geojson_and_refuses_bad_files(
    tmp_path: Path, backend: str, shared_data: Path
) -> None:
    districts = shared_data / "geo" / "shenzhen_districts_wgs84.geojson"
    scanned = run("catalog", "scan", str(districts), "--json")
    assert scanned.returncode == 0, scanned.stderr
    body = json.loads(scanned.stdout)
    assert body["rows"] == 10  # one feature per district
    kinds = {c["column"]: c["kinds"] for c in body["columns"]}
    assert kinds["centroid_x"] == ["coordinates"]  # found, but locating a district is not personal
    assert body["suggestion"]["level"] == 1 and body["suggestion"]["openType"] == "open"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for bad in (broken, tmp_path / "missing.csv", tmp_path / "data.docx"):
        if bad.suffix == ".docx":
            bad.write_bytes(b"PK")
        result = run("catalog", "scan", str(bad))
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
