"""Survey forms and responses in the store (both dialects)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.errors import AlreadyExists
from cityhub.store.repository import Repository


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

    def add_response(self, form_id: str, version: str, answers: dict[str, str], at_us: int) -> int:
        m = self._mark
        (row,) = self._run(
            "INSERT INTO survey_responses (form_id, version, answers, submitted_us) "
            f"VALUES ({m}, {m}, {m}, {m}) RETURNING id",
            (form_id, version, self._json_in(answers), at_us),
            write=True,
        )
        return int(row[0])

    def responses(
        self, form_id: str, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, str, dict[str, str], int]]:
        """(id, version, answers, submitted_us) in submission order, after the id `after`."""
        m = self._mark
        rows = self._run(
            "SELECT id, version, answers, submitted_us FROM survey_responses "
            f"WHERE form_id = {m} AND id > {m} ORDER BY id LIMIT {m}",
            (form_id, after, limit),
        )
        return [(int(r[0]), str(r[1]), self._json_out(r[2]), int(r[3])) for r in rows]
