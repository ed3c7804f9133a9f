"""Proposals: a citizen proposes (title, text, district), classified to the responsible
department and located as hotline messages are; others support it (one support per key) and
comment; the department answers in public with a status. A proposal whose supports reach the
threshold must be answered within a number of working days, counted as the hotline counts them.

Who wrote a proposal or a comment is never shown (keys are not names); texts are shown with
personal data masked to everyone but the author and the responsible department."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.catalog.mask import mask_text
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.places import Locator
from cityhub.citizen.router import ClassifierRegistry
from cityhub.citizen.workdays import add_working_days
from cityhub.errors import AlreadyExists, BadRequestData, Forbidden
from cityhub.store import Store
from cityhub.store.participation_sql import SORTS, Comment, ProposalFilter, ProposalRow
from cityhub.timeutil import iso_local, now_us

ANSWERS = ("accepted", "in_study", "rejected")
STATUSES = ("open", *ANSWERS)
MAX_TITLE = 120
MAX_TEXT = 4000
MAX_COMMENT = 2000


def _text(body: dict[str, Any], key: str, most: int, least: int = 1) -> str:
    value = body.get(key)
    if not isinstance(value, str) or len(value.strip()) < least:
        raise BadRequestData(f"{key} is required (text of {least} to {most} characters)")
    if len(value.strip()) > most:
        raise BadRequestData(f"{key} is longer than {most} characters")
    return value.strip()


@dataclass(frozen=True)
class Rules:
    threshold: int = 100  # supports that oblige an answer
    answer_days: int = 15  # working days to answer once the threshold is reached


class ProposalService:
    def __init__(
        self,
        store: Store,
        catalog: ServiceCatalog,
        locator: Locator,
        classifiers: ClassifierRegistry,
        timezone: str,
        rules: Rules = Rules(),
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.locator = locator
        self.classifiers = classifiers
        self.timezone = timezone
        self.rules = rules

    def prepare(self, author: Principal, body: Any, at_us: int | None = None) -> ProposalRow:
        """A new proposal, checked, classified and located (a read; `submit` stores it)."""
        if not isinstance(body, dict):
            raise BadRequestData('send {"title", "text", "district"?}')
        title = _text(body, "title", MAX_TITLE, 2)
        text = _text(body, "text", MAX_TEXT, 5)
        district = body.get("district")
        if district is not None and not isinstance(district, str):
            raise BadRequestData("district must be text")
        place = self.locator.locate(None, None, f"{district or ''}{title}{text}")
        if district:
            named = self.locator.gazetteer.find(district)
            if named.district is None:
                raise BadRequestData(f"district {district!r} is not a district of this city")
            if named.district != place.district:
                place = named
        routing = self.classifiers.classify([f"{title}。{title}。{text}"])[0]
        named_dept = self.catalog.department_by_keywords(f"{title}{text}")
        confident = routing.confidence is not None and routing.confidence >= self.catalog.threshold
        department, why = self.catalog.centre, "the 12345 centre (no department recognised)"
        if named_dept is not None:
            department, why = named_dept[0], f"keyword {named_dept[1]}"
        elif confident and self.catalog.department_for(routing.category):
            department = self.catalog.department_for(routing.category) or department
            why = f"classifier {routing.confidence}"
        return ProposalRow(
            id=0,
            title=title,
            body=text,
            category=routing.category or "",
            department=department,
            district=place.district,
            street=place.street,
            author=author.actor,
            status="open",
            supports=0,
            created_us=at_us or now_us(),
            doc={"routing": why, "place_source": place.source},
        )

    def submit(self, row: ProposalRow) -> ProposalRow:
        row.id = self.store.participation.add_proposal(row)
        return row

    def get(self, ident: int) -> ProposalRow:
        return self.store.participation.proposal(ident)

    def find(self, flt: ProposalFilter, limit: int = 50, offset: int = 0) -> list[ProposalRow]:
        if flt.sort not in SORTS:
            raise BadRequestData(f"sort must be one of {', '.join(SORTS)}")
        if flt.status is not None and flt.status not in STATUSES:
            raise BadRequestData(f"status must be one of {', '.join(STATUSES)}")
        return self.store.participation.proposals(flt, limit, offset)

    def support(self, ident: int, supporter: Principal, at_us: int | None = None) -> ProposalRow:
        at = at_us or now_us()
        moment = dt.datetime.fromtimestamp(at / 1e6, dt.UTC)
        due = add_working_days(moment, self.rules.answer_days, self.timezone)
        row = self.store.participation.proposal(ident)
        if row.status in ("accepted", "rejected"):
            raise AlreadyExists(f"proposal {ident} has been answered: it takes no more support")
        return self.store.participation.support(
            ident, supporter.actor, at, self.rules.threshold, int(due.timestamp() * 1e6)
        )

    def comment(self, ident: int, author: Principal, body: Any) -> int:
        if not isinstance(body, dict):
            raise BadRequestData('send {"text"}')
        text = _text(body, "text", MAX_COMMENT)
        self.store.participation.proposal(ident)
        return self.store.participation.add_comment(ident, author.actor, text, now_us())

    def answer(
        self, ident: int, reader: Principal, body: Any, at_us: int | None = None
    ) -> ProposalRow:
        """The responsible department (or the 12345 centre) answers with a status; `in_study`
        may be followed by a final answer, `accepted` and `rejected` are final."""
        if not isinstance(body, dict):
            raise BadRequestData('send {"status", "text"}')
        status = body.get("status")
        if status not in ANSWERS:
            raise BadRequestData(f"status must be one of {', '.join(ANSWERS)}")
        text = _text(body, "text", MAX_TEXT, 2)
        row = self.store.participation.proposal(ident)
        if not (
            policy.may_manage(reader, row.department)
            or policy.may_manage(reader, self.catalog.centre)
        ):
            raise Forbidden(f"proposal {ident} is answered by department '{row.department}'")
        if row.status in ("accepted", "rejected"):
            raise AlreadyExists(f"proposal {ident} has its final answer ({row.status})")
        self.store.participation.answer(
            ident, str(status), text, at_us or now_us(), reader.department or reader.actor
        )
        return self.store.participation.proposal(ident)

    # -- views --------------------------------------------------------------------------------
    def _at(self, us: int) -> str:
        return iso_local(us, self.timezone)

    def _own(self, reader: Principal | None, row: ProposalRow) -> bool:
        if reader is None or reader.open_mode or reader.is_admin:
            return True
        if reader.actor == row.author and not reader.is_anonymous:
            return True
        return reader.member_of(row.department) or reader.member_of(self.catalog.centre)

    def view(
        self, row: ProposalRow, reader: Principal | None, at_us: int | None = None
    ) -> dict[str, Any]:
        own = self._own(reader, row)

        def shown(text: str) -> str:
            return text if own else mask_text(text)

        dept = self.catalog.departments.get(row.department or "")
        now = at_us or now_us()
        return {
            "id": row.id,
            "title": shown(row.title),
            "text": shown(row.body),
            "category": row.category,
            "department": row.department,
            "department_name": {"zh": dept.name_zh, "en": dept.name_en} if dept else None,
            "district": row.district,
            "street": row.street,
            "status": row.status,
            "supports": row.supports,
            "threshold": self.rules.threshold,
            "created": self._at(row.created_us),
            "threshold_reached": self._at(row.threshold_us) if row.threshold_us else None,
            "answer_due": self._at(row.answer_due_us) if row.answer_due_us else None,
            "overdue": bool(
                row.answer_due_us and row.answered_us is None and row.answer_due_us < now
            ),
            "answered": self._at(row.answered_us) if row.answered_us else None,
            "answer": row.answer,
            "masked": not own,
        }

    def comment_view(self, c: Comment, row: ProposalRow, reader: Principal | None) -> Any:
        own = self._own(reader, row) or (reader is not None and reader.actor == c.author)
        return {
            "id": c.id,
            "official": c.official,
            "by": c.author if c.official else "citizen",
            "text": c.text if own or c.official else mask_text(c.text),
            "created": self._at(c.created_us),
        }
