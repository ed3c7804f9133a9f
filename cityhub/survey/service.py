"""Survey forms published to the platform and responses submitted to them: each response is
checked against the version it answers (skip logic, required questions, types, choices,
constraints) and refused whole, naming every question at fault, or stored whole."""

from __future__ import annotations

import time
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.catalog.mask import mask_text
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.store import Store
from cityhub.store.survey_sql import StoredForm
from cityhub.survey.form import Form, check_response, form_from_doc, parse_xlsform

MAX_ANSWER = 10_000  # characters in one answer
MAX_ANSWERS = 1_000  # answers in one response


def _now_us() -> int:
    return time.time_ns() // 1000


def describe(form: Form, stored: StoredForm | None = None) -> dict[str, Any]:
    """A form as the collection page and apps read it."""
    return {
        "form_id": form.form_id,
        "version": form.version,
        "title": form.title,
        "language": form.language,
        "department": stored.department if stored else None,
        "questions": [
            {
                "name": q.name,
                "type": q.kind,
                "label": q.labels,
                "choices": [{"name": c, "label": q.choice_labels.get(c, {})} for c in q.choices],
                **q.logic,
                "constraint_message": q.constraint_message,
            }
            for q in form.questions
        ],
        "warnings": list(form.warnings),
    }


class SurveyService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._forms: dict[tuple[str, str], Form] = {}  # parsed versions (they never change)

    def prepare(self, data: bytes, filename: str, department: str) -> tuple[StoredForm, Form]:
        """A new version of a form read from its XLSForm workbook, ready to `save` (reading it
        is CPU work, done before the write path)."""
        doc = parse_xlsform(data, filename)
        form = form_from_doc(doc, filename)
        if not form.version:
            raise BadRequestData(
                f"{filename}: give the form a version (the settings sheet's version column)"
            )
        return StoredForm(form.form_id, form.version, form.title, doc, department, _now_us()), form

    def save(self, stored: StoredForm, form: Form) -> tuple[StoredForm, Form]:
        """Store a prepared version (on the write path); the same version twice is refused."""
        self.store.surveys.add_form(stored)
        self._forms[(form.form_id, form.version)] = form
        return stored, form

    def form(self, form_id: str, version: str | None = None) -> tuple[StoredForm, Form]:
        stored = self.store.surveys.form(form_id, version)
        if stored is None:
            what = f"version {version!r} of form" if version else "form"
            raise ResourceNotFound(f"{what} {form_id!r} was not found")
        key = (stored.form_id, stored.version)
        if key not in self._forms:
            self._forms[key] = form_from_doc(stored.definition, form_id)
        return stored, self._forms[key]

    def check(self, form_id: str, body: Any, lang: str = "zh") -> tuple[StoredForm, dict[str, str]]:
        """The form version and the answers, or BadRequestData listing every problem."""
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            raise BadRequestData('send {"answers": {"question": "answer", …}}')
        version = body.get("version")
        if version is not None and not isinstance(version, str):
            raise BadRequestData("version must be text")
        raw = body["answers"]
        if len(raw) > MAX_ANSWERS:
            raise BadRequestData(f"at most {MAX_ANSWERS} answers in one response")
        answers: dict[str, str] = {}
        for name, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float | None):
                raise BadRequestData(f"the answer to {name!r} must be text or a number")
            text = "" if value is None else str(value).strip()
            if len(text) > MAX_ANSWER:
                raise BadRequestData(
                    f"the answer to {name!r} is longer than {MAX_ANSWER} characters"
                )
            if text:
                answers[str(name)] = text
        stored, form = self.form(form_id, version)
        problems = check_response(form, answers, lang)
        if problems:
            names = ", ".join(p.question for p in problems[:5])
            raise BadRequestData(
                f"{len(problems)} answer(s) refused: {names}",
                errors=[p.as_dict() for p in problems],
            )
        return stored, answers

    def store_response(self, stored: StoredForm, answers: dict[str, str]) -> int:
        """Store a checked response (on the write path)."""
        return self.store.surveys.add_response(stored.form_id, stored.version, answers, _now_us())

    def responses(
        self, form_id: str, reader: Principal | None, after: int = 0, limit: int = 1000
    ) -> dict[str, Any]:
        """Responses in order; free-text answers masked for readers outside the form's
        department (personal data stays with the department that collects it)."""
        stored, form = self.form(form_id)
        own = policy.may_manage(reader, stored.department)
        text = {q.name for q in form.questions if q.kind == "text"}
        rows = self.store.surveys.responses(form_id, after, limit)
        return {
            "form_id": form_id,
            "masked": not own,
            "responses": [
                {
                    "id": rid,
                    "version": version,
                    "submitted_us": at,
                    "answers": answers
                    if own
                    else {k: (mask_text(v) if k in text else v) for k, v in answers.items()},
                }
                for rid, version, answers, at in rows
            ],
        }
