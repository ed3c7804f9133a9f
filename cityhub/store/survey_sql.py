"""Survey forms and responses in the store (both dialects)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.errors import AlreadyExists, Forbidden
from cityhub.store.repository import Repository


@dataclass(frozen=True)
class NewResponse:
    form_id: str
    version: str
    answers: dict[str, str]
    at_us: int
    stratum: str | None = None  # a sampled unit's stratum and design weight
    weight: float | None = None
    flags: tuple[str, ...] = ()  # duplicate, too_fast, bot (kept, left out of results)
    fingerprint: str = ""
    token_hash: str | None = None  # the invitation it answers


@dataclass(frozen=True)
class StoredResponse:
    id: int
    version: str
    answers: dict[str, str]
    submitted_us: int
    stratum: str | None
    weight: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Sample:
    form_id: str
    frame: str  # the catalog dataset the units were drawn from
    strata: str  # its column naming each unit's stratum
    seed: int
    size: int
    created_us: int


@dataclass(frozen=True)
class StratumProgress:
    stratum: str
    invited: int
    responded: int
    reminded: int
    population: int  # N_h, the stratum's units in the frame


@dataclass(frozen=True)
class Invitation:
    token_hash: str
    unit: str  # the frame row (the catalog's _id)
    stratum: str
    weight: float  # N_h / n_h
    population: int  # N_h


@dataclass(frozen=True)
class StoredForm:
    form_id: str
    version: str
    title: str
    definition: dict[str, Any]
    department: str
    created_us: int


class SurveyRepository(Repository):
    def add_form(self, form: StoredForm) -> None:
        m = self._mark
        with self._transaction() as conn:
            found = conn.execute(
                f"SELECT 1 FROM survey_forms WHERE form_id = {m} AND version = {m}",
                (form.form_id, form.version),
            ).fetchall()
            if found:
                raise AlreadyExists(
                    f"form {form.form_id!r} already has version {form.version!r}: "
                    "give the new one another version in its settings sheet"
                )
            conn.execute(
                "INSERT INTO survey_forms (form_id, version, title, definition, department, "
                f"created_us) VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                (
                    form.form_id, form.version, form.title, self._json_in(form.definition),
                    form.department, form.created_us,
                ),
            )  # fmt: skip

    def form(self, form_id: str, version: str | None = None) -> StoredForm | None:
        """A version of a form, or its latest (the last published)."""
        m = self._mark
        if version is None:
            rows = self._run(
                "SELECT form_id, version, title, definition, department, created_us "
                f"FROM survey_forms WHERE form_id = {m} ORDER BY created_us DESC, version DESC "
                "LIMIT 1",
                (form_id,),
            )
        else:
            rows = self._run(
                "SELECT form_id, version, title, definition, department, created_us "
                f"FROM survey_forms WHERE form_id = {m} AND version = {m}",
                (form_id, version),
            )
        if not rows:
            return None
        r = rows[0]
        return StoredForm(
            str(r[0]), str(r[1]), str(r[2]), self._json_out(r[3]), str(r[4]), int(r[5])
        )

    def forms(self) -> list[tuple[str, str, str, int, int]]:
        """(form_id, latest version, title, versions, responses) of every form."""
        rows = self._run(
            "SELECT f.form_id, f.version, f.title, f.created_us, "
            "(SELECT count(*) FROM survey_forms g WHERE g.form_id = f.form_id), "
            "(SELECT count(*) FROM survey_responses r WHERE r.form_id = f.form_id) "
            "FROM survey_forms f WHERE NOT EXISTS (SELECT 1 FROM survey_forms n "
            "WHERE n.form_id = f.form_id AND (n.created_us > f.created_us OR "
            "(n.created_us = f.created_us AND n.version > f.version))) ORDER BY f.form_id"
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[4]), int(r[5])) for r in rows]

    def add_response(self, response: NewResponse) -> int:
        """Store a checked response; one made with an invitation uses it up in the same
        transaction (a token already used is refused and nothing is stored)."""
        m = self._mark
        with self._transaction() as conn:
            # an open response is stored only while the form has no sample (checked here, in
            # the write, so a sample drawn a moment ago is never missed)
            rows = conn.execute(
                "INSERT INTO survey_responses (form_id, version, answers, submitted_us, stratum, "
                "weight, flags, fingerprint) "
                f"SELECT {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m} "
                + (
                    ""
                    if response.token_hash is not None
                    else f"WHERE NOT EXISTS (SELECT 1 FROM survey_samples WHERE form_id = {m}) "
                )
                + "RETURNING id",
                (
                    response.form_id, response.version, self._json_in(response.answers),
                    response.at_us, response.stratum, response.weight,
                    ",".join(response.flags), response.fingerprint,
                    *(() if response.token_hash is not None else (response.form_id,)),
                ),
            ).fetchall()  # fmt: skip
            if not rows:
                raise Forbidden("this survey takes responses by invitation: send its token")
            (row,) = rows
            ident = int(row[0])
            if response.token_hash is not None:
                used = conn.execute(
                    f"UPDATE survey_invitations SET response_id = {m} WHERE token_hash = {m} "
                    f"AND form_id = {m} AND response_id IS NULL RETURNING 1",
                    (ident, response.token_hash, response.form_id),
                ).fetchall()
                if not used:
                    raise AlreadyExists("this invitation has already been answered")
        return ident

    def seen_fingerprint(self, form_id: str, fingerprint: str, since_us: int) -> bool:
        """Has a response with this fingerprint come in since `since_us`?"""
        m = self._mark
        rows = self._run(
            f"SELECT 1 FROM survey_responses WHERE form_id = {m} AND fingerprint = {m} "
            f"AND submitted_us >= {m} LIMIT 1",
            (form_id, fingerprint, since_us),
        )
        return bool(rows)

    # -- samples and invitations ------------------------------------------------------------
    def add_sample(self, sample: Sample, invitations: list[Invitation]) -> None:
        m = self._mark
        with self._transaction() as conn:
            if conn.execute(
                f"SELECT 1 FROM survey_samples WHERE form_id = {m}", (sample.form_id,)
            ).fetchall():
                raise AlreadyExists(f"form {sample.form_id!r} already has its sample")
            conn.execute(
                "INSERT INTO survey_samples (form_id, frame, strata, seed, size, created_us) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                (sample.form_id, sample.frame, sample.strata, sample.seed, sample.size,
                 sample.created_us),
            )  # fmt: skip
            cur = conn.cursor()
            cur.executemany(
                "INSERT INTO survey_invitations (token_hash, form_id, unit, stratum, weight, "
                f"population) VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                [
                    (i.token_hash, sample.form_id, i.unit, i.stratum, i.weight, i.population)
                    for i in invitations
                ],
            )

    def sample(self, form_id: str) -> Sample | None:
        m = self._mark
        rows = self._run(
            "SELECT form_id, frame, strata, seed, size, created_us FROM survey_samples "
            f"WHERE form_id = {m}",
            (form_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return Sample(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5]))

    def invitation(self, token_hash: str) -> tuple[Invitation, str, bool] | None:
        """(the invitation, its form, whether it has been answered)."""
        m = self._mark
        rows = self._run(
            "SELECT token_hash, unit, stratum, weight, population, form_id, response_id "
            f"FROM survey_invitations WHERE token_hash = {m}",
            (token_hash,),
        )
        if not rows:
            return None
        r = rows[0]
        found = Invitation(str(r[0]), str(r[1]), str(r[2]), float(r[3]), int(r[4]))
        return found, str(r[5]), r[6] is not None

    def progress(self, form_id: str) -> list[StratumProgress]:
        """A sample's invitations by stratum."""
        m = self._mark
        rows = self._run(
            "SELECT stratum, count(*), count(response_id), "
            "sum(CASE WHEN reminders > 0 THEN 1 ELSE 0 END), max(population) "
            f"FROM survey_invitations WHERE form_id = {m} GROUP BY stratum ORDER BY stratum",
            (form_id,),
        )
        return [
            StratumProgress(str(r[0]), int(r[1]), int(r[2]), int(r[3] or 0), int(r[4]))
            for r in rows
        ]

    def open_counts(self, form_id: str) -> tuple[int, int]:
        """(responses, flagged responses) of a form."""
        m = self._mark
        (row,) = self._run(
            "SELECT count(*), sum(CASE WHEN flags <> '' THEN 1 ELSE 0 END) "
            f"FROM survey_responses WHERE form_id = {m}",
            (form_id,),
        )
        return int(row[0]), int(row[1] or 0)

    def remind(self, form_id: str, now_us: int, quiet_us: int) -> list[tuple[str, str, int]]:
        """Invitations still unanswered and not reminded in the last `quiet_us`: each is
        counted as reminded now; (unit, stratum, reminders so far) for the mailer."""
        m = self._mark
        with self._transaction() as conn:
            rows = conn.execute(
                "UPDATE survey_invitations SET reminders = reminders + 1, "
                f"reminded_us = {m} WHERE form_id = {m} AND response_id IS NULL "
                f"AND (reminded_us IS NULL OR reminded_us < {m}) "
                "RETURNING unit, stratum, reminders",
                (now_us, form_id, now_us - quiet_us),
            ).fetchall()
        return sorted((str(r[0]), str(r[1]), int(r[2])) for r in rows)

    def responses(self, form_id: str, after: int = 0, limit: int = 1000) -> list[StoredResponse]:
        """Responses in submission order, after the id `after`."""
        m = self._mark
        rows = self._run(
            "SELECT id, version, answers, submitted_us, stratum, weight, flags "
            "FROM survey_responses "
            f"WHERE form_id = {m} AND id > {m} ORDER BY id LIMIT {m}",
            (form_id, after, limit),
        )
        return [
            StoredResponse(
                int(r[0]), str(r[1]), self._json_out(r[2]), int(r[3]),
                None if r[4] is None else str(r[4]), None if r[5] is None else float(r[5]),
                tuple(f for f in str(r[6]).split(",") if f),
            )
            for r in rows
        ]  # fmt: skip
