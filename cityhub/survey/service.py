"""Survey forms published to the platform and responses submitted to them: each response is
checked against the version it answers (skip logic, required questions, types, choices,
constraints) and refused whole, naming every question at fault, or stored whole."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from typing import Any

import orjson

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.catalog.mask import mask_text
from cityhub.catalog.service import CatalogService
from cityhub.errors import AlreadyExists, BadRequestData, Forbidden, ResourceNotFound
from cityhub.store import Store
from cityhub.store.survey_sql import (
    Invitation,
    NewResponse,
    Sample,
    StoredForm,
    StoredResponse,
    StratumProgress,
)
from cityhub.survey import invitations
from cityhub.survey.form import Form, check_response, form_from_doc, parse_xlsform

MAX_ANSWER = 10_000  # characters in one answer
MAX_ANSWERS = 1_000  # answers in one response
# Open collection keeps every response but flags the doubtful ones, which results leave out:
# the same answers from the same client within a day (duplicate), a form filled faster than a
# second per answer (too_fast), a filled-in honeypot field the page hides from people (bot).
DUPLICATE_WINDOW_US = 86_400 * 1_000_000
MIN_SECONDS_PER_ANSWER = 1.0
HONEYPOT = "website"
SAMPLE_RECHECK_S = 5.0
MAX_RESULT_RESPONSES = 2_000_000


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
        self._with_sample: set[str] = set()
        self._without_sample: dict[str, float] = {}  # form -> when last seen without one

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

    def receive(self, form_id: str, body: Any, lang: str, client: str) -> NewResponse:
        """A checked response ready to store: with its invitation's design in sample mode
        (where a valid, unused token is required), with its flags in open mode."""
        stored, answers = self.check(form_id, body, lang)
        at = _now_us()
        base = NewResponse(stored.form_id, stored.version, answers, at)
        if self._sampled(stored.form_id):
            invitation = self._invitation(stored.form_id, body.get("token"))
            return replace(
                base,
                stratum=invitation.stratum,
                weight=invitation.weight,
                token_hash=invitation.token_hash,
            )
        flags = []
        if str(body.get(HONEYPOT) or "").strip():
            flags.append("bot")
        elapsed = body.get("elapsed_s")
        timed = isinstance(elapsed, int | float) and not isinstance(elapsed, bool)
        if timed and elapsed < MIN_SECONDS_PER_ANSWER * len(answers):
            flags.append("too_fast")
        fingerprint = hashlib.sha256(
            orjson.dumps([client, stored.form_id, answers], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()[:32]
        if self.store.surveys.seen_fingerprint(
            stored.form_id, fingerprint, at - DUPLICATE_WINDOW_US
        ):
            flags.append("duplicate")
        return replace(base, flags=tuple(flags), fingerprint=fingerprint)

    def _sampled(self, form_id: str) -> bool:
        """Has the form a sample? A form that has one keeps it (remembered); one without is
        asked again after a few seconds (the store refuses an open response to a sampled
        form in any case)."""
        if form_id in self._with_sample:
            return True
        checked = self._without_sample.get(form_id)
        if checked is not None and time.monotonic() - checked < SAMPLE_RECHECK_S:
            return False
        if self.store.surveys.sample(form_id) is not None:
            self._with_sample.add(form_id)
            return True
        self._without_sample[form_id] = time.monotonic()
        return False

    def _invitation(self, form_id: str, token: Any) -> Invitation:
        if not isinstance(token, str) or not token or len(token) > 200:
            raise Forbidden("this survey takes responses by invitation: send its token")
        found = self.store.surveys.invitation(invitations.token_hash(token))
        if found is None or found[1] != form_id:
            raise Forbidden("this invitation token is not valid for this survey")
        invitation, _, answered = found
        if answered:
            raise AlreadyExists("this invitation has already been answered")
        return invitation

    def store_response(self, response: NewResponse) -> int:
        """Store a received response (on the write path)."""
        return self.store.surveys.add_response(response)

    # -- sample mode --------------------------------------------------------------------------
    def prepare_sample(
        self, catalog: CatalogService, reader: Principal, request: invitations.SampleRequest
    ) -> tuple[Sample, list[Invitation], list[dict[str, Any]]]:
        """Draw a sample of the frame for a form of the reader's department (a read)."""
        stored, _ = self.form(request.form_id)
        policy.check_manage(reader, stored.department, f"form {request.form_id!r}")
        if self.store.surveys.sample(request.form_id) is not None:
            raise AlreadyExists(f"form {request.form_id!r} already has its sample")
        return invitations.prepare(catalog, reader, request)

    def save_sample(self, sample: Sample, invited: list[Invitation]) -> None:
        self.store.surveys.add_sample(sample, invited)
        self._with_sample.add(sample.form_id)

    def progress(self, form_id: str) -> dict[str, Any]:
        """Responses so far: by stratum against the invitations in sample mode."""
        stored, _ = self.form(form_id)
        sample = self.store.surveys.sample(stored.form_id)
        total, flagged = self.store.surveys.open_counts(stored.form_id)
        out: dict[str, Any] = {
            "form_id": stored.form_id,
            "mode": "sample" if sample else "open",
            "responses": total,
            "flagged": flagged,
        }
        if sample is not None:
            strata = [
                {"stratum": p.stratum, "invited": p.invited, "responded": p.responded,
                 "reminded": p.reminded,
                 "rate": round(p.responded / p.invited, 4) if p.invited else None}
                for p in self.store.surveys.progress(stored.form_id)
            ]  # fmt: skip
            invited = sum(int(s["invited"] or 0) for s in strata)
            out.update(
                frame=sample.frame,
                strata_column=sample.strata,
                invited=invited,
                rate=round(total / invited, 4) if invited else None,
                strata=strata,
            )
        return out

    def remind(self, form_id: str, reader: Principal | None, now_us: int | None = None) -> Any:
        """The unanswered invitations due a reminder (each counted as reminded now)."""
        stored, _ = self.form(form_id)
        policy.check_manage(reader, stored.department, f"form {form_id!r}")
        if self.store.surveys.sample(stored.form_id) is None:
            raise BadRequestData(f"form {form_id!r} has no sample: open surveys have no invitees")
        quiet = int(invitations.REMIND_QUIET_DAYS * 86_400 * 1_000_000)
        due = self.store.surveys.remind(stored.form_id, now_us or _now_us(), quiet)
        return [{"unit": u, "stratum": h, "reminders": n} for u, h, n in due]

    def material(
        self, form_id: str
    ) -> tuple[StoredForm, Form, list[StoredResponse], list[StratumProgress]]:
        """What results are computed from: the form, its responses, its sample's strata."""
        stored, form = self.form(form_id)
        found: list[StoredResponse] = []
        while len(found) <= MAX_RESULT_RESPONSES:
            page = self.store.surveys.responses(
                stored.form_id, found[-1].id if found else 0, 50_000
            )
            if not page:
                break
            found += page
        if len(found) > MAX_RESULT_RESPONSES:
            raise BadRequestData(
                f"results are computed over at most {MAX_RESULT_RESPONSES:,} responses: "
                "export them and use cityhub survey estimate"
            )
        return stored, form, found, self.store.surveys.progress(stored.form_id)

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
                    "id": r.id,
                    "version": r.version,
                    "submitted_us": r.submitted_us,
                    "stratum": r.stratum,
                    "weight": r.weight,
                    "flags": list(r.flags),
                    "answers": r.answers
                    if own
                    else {k: (mask_text(v) if k in text else v) for k, v in r.answers.items()},
                }
                for r in rows
            ],
        }
