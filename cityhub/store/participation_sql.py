"""Proposals, their supports and comments in the store (both dialects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityhub.errors import AlreadyExists, ResourceNotFound
from cityhub.store.repository import Repository

_COLUMNS = (
    "id, title, body, category, department, district, street, author, status, supports, "
    "created_us, threshold_us, answer_due_us, answered_us, answer, doc"
)
SORTS = {  # the orders a list may take (never SQL from a caller)
    "supports": "supports DESC, id DESC",
    "newest": "id DESC",
    "due": "answer_due_us IS NULL, answer_due_us, id",
}


@dataclass
class ProposalRow:
    id: int
    title: str
    body: str
    category: str
    department: str | None
    district: str | None
    street: str | None
    author: str
    status: str  # open, accepted, in_study, rejected
    supports: int
    created_us: int
    threshold_us: int | None = None  # when supports reached the threshold
    answer_due_us: int | None = None
    answered_us: int | None = None
    answer: str = ""
    doc: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProposalFilter:
    district: str | None = None
    status: str | None = None
    department: str | None = None
    overdue_at_us: int | None = None  # unanswered with a deadline before this moment
    sort: str = "supports"


@dataclass(frozen=True)
class Comment:
    id: int
    proposal_id: int
    author: str
    official: bool
    text: str
    created_us: int


def _row(r: tuple[Any, ...], doc: dict[str, Any]) -> ProposalRow:
    return ProposalRow(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6], str(r[7]), str(r[8]),
        int(r[9]), int(r[10]), r[11], r[12], r[13], str(r[14]), doc,
    )  # fmt: skip


class ParticipationRepository(Repository):
    def add_proposal(self, p: ProposalRow) -> int:
        m = self._mark
        (row,) = self._run(
            f"INSERT INTO proposals ({_COLUMNS.split(', ', 1)[1]}) VALUES "
            f"({', '.join([m] * 15)}) RETURNING id",
            (
                p.title, p.body, p.category, p.department, p.district, p.street, p.author,
                p.status, p.supports, p.created_us, p.threshold_us, p.answer_due_us,
                p.answered_us, p.answer, self._json_in(p.doc),
            ),
            write=True,
        )  # fmt: skip
        return int(row[0])

    def proposal(self, ident: int) -> ProposalRow:
        m = self._mark
        rows = self._run(f"SELECT {_COLUMNS} FROM proposals WHERE id = {m}", (ident,))
        if not rows:
            raise ResourceNotFound(f"proposal {ident} was not found")
        return _row(rows[0], self._json_out(rows[0][15]))

    def proposals(self, flt: ProposalFilter, limit: int, offset: int = 0) -> list[ProposalRow]:
        m = self._mark
        where, params = self._equal(flt, ("district", "status", "department"))
        if flt.overdue_at_us is not None:
            where.append(f"answered_us IS NULL AND answer_due_us < {m}")
            params.append(flt.overdue_at_us)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._run(
            f"SELECT {_COLUMNS} FROM proposals {clause}ORDER BY {SORTS[flt.sort]} "
            f"LIMIT {m} OFFSET {m}",
            (*params, limit, offset),
        )
        return [_row(r, self._json_out(r[15])) for r in rows]

    def support(
        self, ident: int, supporter: str, at_us: int, threshold: int, due_us: int
    ) -> ProposalRow:
        """Add one support (one per supporter); the first to reach the threshold starts the
        answer deadline. In one transaction, so two supporters never both start it."""
        m = self._mark
        with self._transaction() as conn:
            found = conn.execute(
                f"SELECT status FROM proposals WHERE id = {m}", (ident,)
            ).fetchall()
            if not found:
                raise ResourceNotFound(f"proposal {ident} was not found")
            added = conn.execute(
                "INSERT INTO proposal_supports (proposal_id, supporter, created_us) "
                f"VALUES ({m}, {m}, {m}) ON CONFLICT DO NOTHING RETURNING 1",
                (ident, supporter, at_us),
            ).fetchall()
            if not added:
                raise AlreadyExists("you already support this proposal")
            conn.execute(
                "UPDATE proposals SET supports = supports + 1, "
                f"threshold_us = CASE WHEN threshold_us IS NULL AND supports + 1 >= {m} "
                f"THEN {m} ELSE threshold_us END, "
                f"answer_due_us = CASE WHEN answer_due_us IS NULL AND supports + 1 >= {m} "
                f"AND answered_us IS NULL THEN {m} ELSE answer_due_us END WHERE id = {m}",
                (threshold, at_us, threshold, due_us, ident),
            )
            (row,) = conn.execute(
                f"SELECT {_COLUMNS} FROM proposals WHERE id = {m}", (ident,)
            ).fetchall()
        return _row(row, self._json_out(row[15]))

    def answer(self, ident: int, status: str, text: str, at_us: int, author: str) -> None:
        """The department's answer: the status, the text, and an official comment."""
        m = self._mark
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE proposals SET status = {m}, answer = {m}, "
                f"answered_us = coalesce(answered_us, {m}) WHERE id = {m}",
                (status, text, at_us, ident),
            )
            conn.execute(
                "INSERT INTO proposal_comments (proposal_id, author, official, text, created_us) "
                f"VALUES ({m}, {m}, {m}, {m}, {m})",
                (ident, author, True, text, at_us),
            )

    def add_comment(self, ident: int, author: str, text: str, at_us: int) -> int:
        m = self._mark
        (row,) = self._run(
            "INSERT INTO proposal_comments (proposal_id, author, official, text, created_us) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}) RETURNING id",
            (ident, author, False, text, at_us),
            write=True,
        )
        return int(row[0])

    def comments(self, ident: int, limit: int = 500) -> list[Comment]:
        m = self._mark
        rows = self._run(
            "SELECT id, proposal_id, author, official, text, created_us FROM proposal_comments "
            f"WHERE proposal_id = {m} ORDER BY id LIMIT {m}",
            (ident, limit),
        )
        return [
            Comment(int(r[0]), int(r[1]), str(r[2]), bool(r[3]), str(r[4]), int(r[5])) for r in rows
        ]


@dataclass(frozen=True)
class BudgetRound:
    id: int
    title: str
    department: str
    opens_us: int
    closes_us: int
    budgets: dict[str, float]  # district -> amount
    projects: list[dict[str, Any]]  # id, title, district, cost
    created_us: int


class BudgetRepository(Repository):
    def add_round(self, r: BudgetRound) -> int:
        m = self._mark
        (row,) = self._run(
            "INSERT INTO pb_rounds (title, department, opens_us, closes_us, budgets, projects, "
            f"created_us) VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}) RETURNING id",
            (r.title, r.department, r.opens_us, r.closes_us, self._json_in(r.budgets),
             self._json_in(r.projects), r.created_us),
            write=True,
        )  # fmt: skip
        return int(row[0])

    def round(self, ident: int) -> BudgetRound:
        m = self._mark
        rows = self._run(
            "SELECT id, title, department, opens_us, closes_us, budgets, projects, created_us "
            f"FROM pb_rounds WHERE id = {m}",
            (ident,),
        )
        if not rows:
            raise ResourceNotFound(f"budget round {ident} was not found")
        r = rows[0]
        return BudgetRound(
            int(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), self._json_out(r[5]),
            self._json_out(r[6]), int(r[7]),
        )  # fmt: skip

    def cast(self, ident: int, voter: str, projects: list[str], at_us: int) -> None:
        """One ballot per voter: a second is refused and the first stands."""
        m = self._mark
        added = self._run(
            "INSERT INTO pb_ballots (round_id, voter, projects, cast_us) "
            f"VALUES ({m}, {m}, {m}, {m}) ON CONFLICT DO NOTHING RETURNING 1",
            (ident, voter, self._json_in(projects), at_us),
            write=True,
        )
        if not added:
            raise AlreadyExists("you have already voted in this round")

    def ballots(self, ident: int) -> list[tuple[str, list[str]]]:
        m = self._mark
        rows = self._run(
            f"SELECT voter, projects FROM pb_ballots WHERE round_id = {m} ORDER BY cast_us, voter",
            (ident,),
        )
        return [(str(r[0]), list(self._json_out(r[1]))) for r in rows]

    def turnout(self, ident: int) -> int:
        m = self._mark
        (row,) = self._run(f"SELECT count(*) FROM pb_ballots WHERE round_id = {m}", (ident,))
        return int(row[0])
