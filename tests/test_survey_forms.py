"""XLSForm forms: the expression language, reading forms (and each kind of error, named by
row or question), and responses checked against skip logic, required questions, types,
choices and constraints; the CLI over both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cityhub.errors import BadRequestData
from cityhub.survey import expressions as ex
from cityhub.survey.form import check_response, read_form
from tests.test_cli import run

SURVEY = ["type", "name", "label::zh", "label::en", "required", "relevant", "constraint",
          "constraint_message::zh", "constraint_message::en"]  # fmt: skip
QUESTIONS = [
    ["select_one district", "district", "所在区", "District", "yes", "", "", "", ""],
    ["integer", "age", "年龄", "Age", "yes", "", ". >= 16 and . < 120",
     "年龄应在16到119岁之间", "age must be 16 to 119"],
    ["select_one sat", "satisfaction", "总体满意度", "Overall satisfaction", "yes", "", "", "", ""],
    ["text", "why", "不满意的原因", "Why not satisfied", "yes", "${satisfaction} <= 2", "", "", ""],
    ["select_multiple svc", "services", "使用过的服务", "Services used", "", "", "", "", ""],
    ["text", "phone", "联系电话", "Phone", "", "selected(${services}, 'clinic')",
     "regex(., '1[3-9][0-9]{9}')", "请填写11位手机号", "an 11-digit mobile number"],
    ["date", "visited", "最近一次办事日期", "Last visit", "", "", "", "", ""],
    ["geopoint", "where", "位置", "Location", "", "", "", "", ""],
    ["note", "thanks", "谢谢参与", "Thank you", "", "", "", "", ""],
]  # fmt: skip
CHOICES = [
    ["district", "futian", "福田区", "Futian"], ["district", "nanshan", "南山区", "Nanshan"],
    *[["sat", str(i), str(i), str(i)] for i in range(1, 6)],
    ["svc", "clinic", "社康中心", "Clinic"], ["svc", "bus", "公交", "Bus"],
]  # fmt: skip


def workbook(path: Path, survey: list[list[str]], choices: list[list[str]] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in [SURVEY, *survey]:
        sheet.append(row)
    options = book.create_sheet("choices")
    for row in [["list_name", "name", "label::zh", "label::en"], *(choices or CHOICES)]:
        options.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(
        ["2026年深圳市民公共服务满意度调查", "sz_satisfaction_2026", "2026120301", "zh"]
    )
    book.save(path)
    return path


@pytest.fixture
def form_file(tmp_path: Path) -> Path:
    return workbook(tmp_path / "form.xlsx", QUESTIONS)


GOOD = {"district": "futian", "age": "35", "satisfaction": "4", "services": "bus",
        "visited": "2026-11-20", "where": "22.5431 114.0579"}  # fmt: skip


@pytest.mark.parametrize(
    "text,answers,current,expected",
    [
        ("${a} >= 16 and ${a} < 120", {"a": "35"}, "", True),
        ("${a} >= 16", {}, "", False),  # unanswered: an order with nothing is false
        ("${a} = 'yes' or ${b} != 2", {"a": "no", "b": "3"}, "", True),
        ("selected(${s}, 'bus') and count-selected(${s}) = 2", {"s": "bus clinic"}, "", True),
        ("string-length(.) <= 5", {}, "深圳湾公园", True),
        ("regex(., '[0-9]{6}')", {}, "518000", True),
        ("regex(., '[0-9]{6}')", {}, "51800", False),
        ("if(${a} > 10, 'big', 'small') = 'big'", {"a": "11"}, "", True),
        ("(${a} + 2) * 3 div 2 = 6", {"a": "2"}, "", True),
        ("not(${a} = 1) and -${a} < 0", {"a": "2"}, "", True),
        ("${a} mod 2 = 1", {"a": "7"}, "", True),
    ],
)
def test_expressions(text: str, answers: dict[str, str], current: str, expected: bool) -> None:
    assert ex.holds(ex.parse(text), answers, current) is expected


@pytest.mark.parametrize(
    "text,words",
    [
        ("${a} >=", "expected more"),
        ("(${a} > 1", r"expected \)"),
        ("system(${a})", "unknown function"),
        ("${a} > 1 2", "unexpected"),
        ("${a} ; 1", "cannot read"),
        ("", "empty"),
        ("(" * 500 + "1" + ")" * 500, "nests more than"),  # no recursion error, no 500
        ("-" * 500 + "1", "nests more than"),
    ],
)
def test_bad_expressions_are_refused(text: str, words: str) -> None:
    with pytest.raises(BadRequestData, match=words):
        ex.parse(text)


def test_a_form_is_read_with_its_logic(form_file: Path) -> None:
    form = read_form(form_file)
    assert form.form_id == "sz_satisfaction_2026" and form.version == "2026120301"
    assert form.title == "2026年深圳市民公共服务满意度调查"
    kinds = {q.name: q.kind for q in form.questions}
    assert kinds == {"district": "select_one", "age": "integer", "satisfaction": "select_one",
                     "why": "text", "services": "select_multiple", "phone": "text",
                     "visited": "date", "where": "geopoint", "thanks": "note"}  # fmt: skip
    district = form.question("district")
    assert district.choices == ("futian", "nanshan")
    assert district.labels == {"zh": "所在区", "en": "District"}
    assert district.choice_labels["futian"]["zh"] == "福田区"


def test_responses_are_checked_question_by_question(form_file: Path) -> None:
    form = read_form(form_file)
    assert check_response(form, GOOD) == []

    def problems(answers: dict[str, Any], lang: str = "zh") -> dict[str, str]:
        return {p.question: p.message for p in check_response(form, answers, lang)}

    assert problems({k: v for k, v in GOOD.items() if k != "district"}) == {
        "district": "is required"
    }
    assert problems({**GOOD, "age": "12"}) == {"age": "年龄应在16到119岁之间"}
    assert problems({**GOOD, "age": "12"}, "en") == {"age": "age must be 16 to 119"}
    assert problems({**GOOD, "satisfaction": "1"}) == {"why": "is required"}  # skip logic on
    assert problems({**GOOD, "why": "排队太久"}) == {
        "why": "was skipped by the form's logic and takes no answer"
    }
    assert problems({**GOOD, "services": "clinic", "phone": "12345"}) == {
        "phone": "请填写11位手机号"
    }
    assert problems({**GOOD, "services": "clinic", "phone": "13912345678"}) == {}
    assert problems({**GOOD, "age": "thirty"}) == {"age": "must be a whole number"}
    assert problems({**GOOD, "district": "luohu"}) == {
        "district": "'luohu' is not one of its choices"
    }
    assert problems({**GOOD, "services": "bus taxi"}) == {
        "services": "'taxi' is not one of its choices"
    }
    assert problems({**GOOD, "visited": "20/11/2026"}) == {"visited": "must be a date (YYYY-MM-DD)"}
    assert problems({**GOOD, "where": "222.5 114.0"}) == {
        "where": "must be 'latitude longitude' in degrees"
    }
    assert problems({**GOOD, "thanks": "ok"}) == {"thanks": "is a note and takes no answer"}
    assert problems({**GOOD, "salary": "1"}) == {"salary": "is not a question of this form"}


@pytest.mark.parametrize(
    "survey,choices,words",
    [
        ([["integr", "age", "年龄", "Age", "", "", "", "", ""]], None, "integr"),
        ([["select_one nolist", "q", "问", "Q", "", "", "", "", ""]], None, "nolist"),
        ([["integer", "age", "年龄", "Age", "", "${agee} > 1", "", "", ""]], None, "agee"),
        ([["integer", "age", "年龄", "Age", "", "", ". >>= 3", "", ""]], None, "'age'"),
        ([["integer", "age", "年龄", "Age", "", "", "", "", ""],
          ["integer", "age", "年龄", "Age", "", "", "", "", ""]], None, "age"),
        ([["begin_repeat", "kids", "子女", "Children", "", "", "", "", ""],
          ["integer", "kid_age", "年龄", "Age", "", "", "", "", ""],
          ["end_repeat", "", "", "", "", "", "", "", ""]], None, "repeat"),
    ],
)  # fmt: skip
def test_each_kind_of_form_error_is_named(
    tmp_path: Path, survey: list[list[str]], choices: list[list[str]] | None, words: str
) -> None:
    path = workbook(tmp_path / "bad.xlsx", survey, choices)
    with pytest.raises(BadRequestData) as caught:
        read_form(path)
    assert words in caught.value.detail
    done = run("survey", "form", str(path))
    assert done.returncode == 1 and done.stderr.startswith("error:")
    assert done.stderr.strip().count("\n") == 0


def test_cli_lists_a_form_and_checks_responses(form_file: Path, tmp_path: Path) -> None:
    shown = run("survey", "form", str(form_file))
    assert shown.returncode == 0, shown.stderr
    assert "sz_satisfaction_2026" in shown.stdout and "why  text" in shown.stdout
    assert "skip logic" in shown.stdout and "futian, nanshan" in shown.stdout
    responses = tmp_path / "responses.csv"
    header = ",".join(GOOD)
    rows = [",".join(GOOD.values()), ",".join({**GOOD, "age": "12"}.values())]
    responses.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    checked = run("survey", "check", str(form_file), str(responses), "--lang", "en")
    assert checked.returncode == 1
    assert checked.stdout.strip() == "row 3: age age must be 16 to 119"
    good = tmp_path / "good.csv"
    good.write_text("\n".join([header, rows[0]]) + "\n", encoding="utf-8")
    assert run("survey", "check", str(form_file), str(good)).returncode == 0


@pytest.mark.parametrize("suffix", ["sav", "dta"])
def test_exports_carry_the_forms_labels_and_mask_free_text(
    form_file: Path, tmp_path: Path, suffix: str
) -> None:
    import pyreadstat

    responses = tmp_path / "responses.csv"
    rows = [
        {**GOOD, "satisfaction": "1", "why": "排队太久，我的电话13912345678",
         "services": "clinic bus", "phone": "13912345678"},
        {**GOOD, "district": "nanshan", "services": ""},
    ]  # fmt: skip
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(r.get(h, "")) for h in header) for r in rows]
    responses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / f"survey.{suffix}"
    done = run("survey", "export", str(form_file), str(responses), "--out", str(out))
    assert done.returncode == 0, done.stderr
    reader = pyreadstat.read_sav if suffix == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(out))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["district"] == "所在区" and labels["services_clinic"] == "使用过的服务: 社康中心"
    assert meta.variable_value_labels["district"] == {1.0: "福田区", 2.0: "南山区"}
    assert meta.variable_value_labels["satisfaction"][5.0] == "5"  # a scale keeps its numbers
    assert list(frame["district"]) == [1, 2] and list(frame["satisfaction"]) == [1, 4]
    assert frame["services_clinic"].iloc[0] == 1 and frame["services_bus"].iloc[0] == 1
    assert frame["services_clinic"].isna().iloc[1]  # unanswered is missing, not "no"
    text = " ".join(str(v) for v in frame["why"]) + " ".join(str(v) for v in frame["phone"])
    assert "13912345678" not in text  # free text masked on the way out
    assert "thanks" not in frame.columns  # a note is no variable
    english = tmp_path / f"english.{suffix}"
    run("survey", "export", str(form_file), str(responses), "--out", str(english), "--lang", "en")
    _, meta = reader(str(english))
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))["district"] == "District"
    bad = run("survey", "export", str(form_file), str(responses), "--out", str(tmp_path / "x.pdf"))
    assert bad.returncode == 1 and ".sav, .dta" in bad.stderr
