"""Survey forms from XLSForm (the `survey`, `choices` and `settings` sheets KoboToolbox and ODK
use), read with the reference converter pyxform, and responses checked against them the way
the page checks them: relevance (skip logic), required, the answer's type, the choice lists
and constraints. The server applies the same checks, so a kiosk or an app that skips the page
cannot store what the page would refuse."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityhub.errors import BadRequestData
from cityhub.survey import expressions as ex

# XLSForm types this platform collects (pyxform's names on the left).
KINDS = {
    "text": "text", "integer": "integer", "decimal": "decimal", "select one": "select_one",
    "select all that apply": "select_multiple", "date": "date", "geopoint": "geopoint",
    "note": "note",
}  # fmt: skip
_META = {"start", "end", "today", "deviceid", "username", "phonenumber", "audit", "calculate"}
_INTEGER = re.compile(r"-?\d+")
_GEOPOINT = re.compile(r"(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)(?:\s+-?\d+(?:\.\d+)?){0,2}")


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    labels: dict[str, str]
    choices: tuple[str, ...] = ()
    choice_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    required: ex.Node | None = None
    relevant: ex.Node | None = None
    constraint: ex.Node | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    group_relevant: tuple[ex.Node, ...] = ()  # the relevance of the groups around it
    logic: dict[str, str] = field(default_factory=dict)  # the expressions as written


@dataclass(frozen=True)
class Form:
    form_id: str
    version: str
    title: str
    language: str
    questions: tuple[Question, ...]
    warnings: tuple[str, ...] = ()

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise BadRequestData(f"the form has no question {name!r}")


@dataclass(frozen=True)
class Problem:
    question: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"question": self.question, "message": self.message}


def _texts(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {("zh" if k == "default" else str(k)): str(v) for k, v in raw.items()}
    return {"zh": str(raw)}


def _expression(raw: Any, name: str, what: str) -> ex.Node | None:
    if raw in (None, "", "no", "false()", "false"):
        return None
    if raw in ("yes", "true()", "true"):
        return ex.Node("call", "true")
    try:
        return ex.parse(str(raw))
    except BadRequestData as exc:
        raise BadRequestData(f"question {name!r}, {what} {raw!r}: {exc.detail}") from None


def _walk(children: list[dict[str, Any]], around: tuple[ex.Node, ...], out: list[Question]) -> None:
    for child in children:
        kind, name = str(child.get("type", "")), str(child.get("name", ""))
        bind = child.get("bind", {}) or {}
        if kind in ("group", "repeat"):
            if kind == "repeat":
                raise BadRequestData(f"repeat {name!r}: repeated groups are not supported yet")
            relevant = _expression(bind.get("relevant"), name, "relevant")
            inner = around + ((relevant,) if relevant else ())
            _walk(child.get("children", []), inner, out)
            continue
        if kind in _META or name == "meta":
            continue
        if kind not in KINDS:
            raise BadRequestData(f"question {name!r}: type {kind!r} is not supported")
        choices = [c for c in child.get("choices", []) or []]
        out.append(
            Question(
                name=name,
                kind=KINDS[kind],
                labels=_texts(child.get("label")),
                choices=tuple(str(c["name"]) for c in choices),
                choice_labels={str(c["name"]): _texts(c.get("label")) for c in choices},
                required=_expression(bind.get("required"), name, "required"),
                relevant=_expression(bind.get("relevant"), name, "relevant"),
                constraint=_expression(bind.get("constraint"), name, "constraint"),
                constraint_message=_texts(bind.get("jr:constraintMsg")),
                group_relevant=around,
                logic={
                    k: str(bind[k]) for k in ("required", "relevant", "constraint") if bind.get(k)
                },
            )
        )


MAX_FORM_BYTES = 5 * 1024 * 1024  # an XLSForm workbook; forms are a few kilobytes


def parse_xlsform(data: bytes, filename: str) -> dict[str, Any]:
    """pyxform's JSON of a workbook (its bytes), or BadRequestData with pyxform's message,
    which names the sheet row."""
    import io

    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    if len(data) > MAX_FORM_BYTES:
        raise BadRequestData(f"{filename}: a form may be at most {MAX_FORM_BYTES // 1024} KiB")
    warnings: list[str] = []
    try:  # no path: pyxform reads the bytes and tells the format from them
        doc: dict[str, Any] = parse_file_to_json(
            None, warnings=warnings, file_object=io.BytesIO(data)
        )
    except PyXFormError as exc:
        raise BadRequestData(f"{filename}: {' '.join(str(exc).split())}") from None
    except Exception as exc:
        raise BadRequestData(f"{filename}: not a readable XLSForm ({type(exc).__name__})") from None
    doc["_warnings"] = warnings
    return doc


def form_from_doc(doc: Mapping[str, Any], fallback: str = "form") -> Form:
    """A form from pyxform's JSON (as read from a workbook or as stored)."""
    questions: list[Question] = []
    _walk(list(doc.get("children", [])), (), questions)
    if not questions:
        raise BadRequestData(f"{fallback}: the survey sheet has no questions")
    names = {q.name for q in questions}
    for q in questions:
        for node in (q.required, q.relevant, q.constraint, *q.group_relevant):
            unknown = (ex.references(node) - names) if node else set()
            if unknown:
                raise BadRequestData(
                    f"question {q.name!r} refers to no question {sorted(unknown)[0]!r}"
                )
    return Form(
        form_id=str(doc.get("id_string") or doc.get("name") or fallback),
        version=str(doc.get("version") or ""),
        title=str(doc.get("title") or fallback),
        language=str(doc.get("default_language") or "zh").replace("default", "zh"),
        questions=tuple(questions),
        warnings=tuple(str(w) for w in doc.get("_warnings", [])),
    )


def read_form(path: Path) -> Form:
    """A form from an XLSForm workbook file; every problem is a BadRequestData naming the row
    or the question."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadRequestData(f"{path.name}: {exc.strerror}") from None
    return form_from_doc(parse_xlsform(data, path.name), path.stem)


def _type_problem(q: Question, value: str) -> str | None:
    if q.kind == "integer" and not _INTEGER.fullmatch(value):
        return "must be a whole number"
    if q.kind == "decimal":
        try:
            float(value)
        except ValueError:
            return "must be a number"
    if q.kind == "select_one" and value not in q.choices:
        return f"{value!r} is not one of its choices"
    if q.kind == "select_multiple":
        wrong = [v for v in value.split() if v not in q.choices]
        if wrong:
            return f"{wrong[0]!r} is not one of its choices"
    if q.kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
    if q.kind == "geopoint":
        match = _GEOPOINT.fullmatch(value)
        if not match or abs(float(match.group(1))) > 90 or abs(float(match.group(2))) > 180:
            return "must be 'latitude longitude' in degrees"
    return None


def check_response(form: Form, answers: Mapping[str, str], lang: str = "zh") -> list[Problem]:
    """What is wrong with a response, question by question (empty when it may be stored)."""
    known = {q.name for q in form.questions}
    problems = [
        Problem(name, "is not a question of this form") for name in answers if name not in known
    ]
    values = {k: str(v).strip() for k, v in answers.items()}
    for q in form.questions:
        value = values.get(q.name, "")
        relevant = all(ex.holds(n, values) for n in q.group_relevant) and (
            q.relevant is None or ex.holds(q.relevant, values)
        )
        if q.kind == "note":
            if value:
                problems.append(Problem(q.name, "is a note and takes no answer"))
            continue
        if not relevant:
            if value:
                problems.append(
                    Problem(q.name, "was skipped by the form's logic and takes no answer")
                )
            continue
        if not value:
            if q.required is not None and ex.holds(q.required, values):
                problems.append(Problem(q.name, "is required"))
            continue
        wrong = _type_problem(q, value)
        if wrong:
            problems.append(Problem(q.name, wrong))
        elif q.constraint is not None and not ex.holds(q.constraint, values, value):
            message = q.constraint_message.get(lang) or next(
                iter(q.constraint_message.values()), ""
            )
            problems.append(Problem(q.name, message or "does not meet the form's constraint"))
    return problems
