"""Participatory budgeting rounds: a department sets a budget per district, the projects with
their costs and a voting phase; citizens cast one approval ballot each (any key) while the
phase is open, approving projects of one district whose costs fit its budget; when the phase
closes the count fills each district's budget by votes (cityhub.survey.budgeting, "greedy by
votes"). A ballot that breaks a rule is refused when it is cast, saying which rule, so every
stored ballot counts; the tally is shown only once voting has closed."""

from __future__ import annotations

import math
from typing import Any

from cityhub.auth.principal import Principal
from cityhub.errors import BadRequestData, Forbidden
from cityhub.store import Store
from cityhub.store.participation_sql import BudgetRound
from cityhub.survey.budgeting import Project, count
from cityhub.timeutil import iso_local, now_us, parse_datetime

MAX_DISTRICTS = 100
MAX_PROJECTS = 500


def _moment(body: dict[str, Any], key: str, zone: str) -> int:
    try:
        return int(parse_datetime(body.get(key), zone).timestamp() * 1_000_000)  # type: ignore[arg-type]
    except ValueError as exc:
        raise BadRequestData(f"{key} must be an ISO 8601 date-time ({exc})") from None


def _amount(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequestData(f"{what} must be a positive number")
    if value <= 0:
        raise BadRequestData(f"{what} must be a positive number")
    return float(value)


class BudgetService:
    def __init__(self, store: Store, timezone: str) -> None:
        self.store = store
        self.timezone = timezone

    def prepare(self, reader: Principal, body: Any) -> BudgetRound:
        if not isinstance(body, dict):
            raise BadRequestData('send {"title", "opens", "closes", "budgets", "projects"}')
        title = body.get("title")
        if not isinstance(title, str) or not 2 <= len(title.strip()) <= 200:
            raise BadRequestData("title is required (2 to 200 characters)")
        opens, closes = (
            _moment(body, "opens", self.timezone),
            _moment(body, "closes", self.timezone),
        )
        if closes <= opens:
            raise BadRequestData("voting must close after it opens")
        budgets = body.get("budgets")
        if not isinstance(budgets, dict) or not 1 <= len(budgets) <= MAX_DISTRICTS:
            raise BadRequestData(
                f'budgets gives 1 to {MAX_DISTRICTS} districts: {{"福田区": 5000000}}'
            )
        amounts = {str(d): _amount(v, f"the budget of {d}") for d, v in budgets.items()}
        projects = body.get("projects")
        if not isinstance(projects, list) or not 1 <= len(projects) <= MAX_PROJECTS:
            raise BadRequestData(f"projects lists 1 to {MAX_PROJECTS} projects")
        seen: set[str] = set()
        clean = []
        for number, p in enumerate(projects, start=1):
            if not isinstance(p, dict):
                raise BadRequestData(f"project {number}: an object with id, title, district, cost")
            ident, name, district = p.get("id"), p.get("title"), p.get("district")
            if not isinstance(ident, str) or not ident or len(ident) > 50 or ident in seen:
                raise BadRequestData(
                    f"project {number}: id must be unique text (1 to 50 characters)"
                )
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                raise BadRequestData(f"project {ident}: title is required")
            if district not in amounts:
                raise BadRequestData(f"project {ident}: district {district!r} has no budget")
            cost = _amount(p.get("cost"), f"project {ident}'s cost")
            seen.add(ident)
            clean.append({"id": ident, "title": name.strip(), "district": district, "cost": cost})
        department = reader.department if reader.in_a_department else "city"
        return BudgetRound(0, title.strip(), department, opens, closes, amounts, clean, now_us())

    def create(self, r: BudgetRound) -> BudgetRound:
        ident = self.store.budgets.add_round(r)
        return self.store.budgets.round(ident)

    def cast(self, ident: int, voter: Principal, body: Any, at_us: int | None = None) -> None:
        """Check the ballot against the round's rules, then store it (one per key)."""
        r = self.store.budgets.round(ident)
        at = at_us or now_us()
        if not r.opens_us <= at < r.closes_us:
            raise Forbidden(
                f"voting is open from {self._at(r.opens_us)} to {self._at(r.closes_us)}"
            )
        chosen = body.get("projects") if isinstance(body, dict) else None
        if not isinstance(chosen, list) or not chosen or len(chosen) > MAX_PROJECTS:
            raise BadRequestData('send {"projects": [project ids you approve]}')
        catalogue = {p["id"]: p for p in r.projects}
        picked = list(dict.fromkeys(str(c) for c in chosen))
        unknown = [p for p in picked if p not in catalogue]
        if unknown:
            raise BadRequestData(f"no project {unknown[0]!r} in this round")
        districts = {catalogue[p]["district"] for p in picked}
        if len(districts) != 1:
            raise BadRequestData("approve projects of one district only")
        district = districts.pop()
        cost = sum(catalogue[p]["cost"] for p in picked)
        if cost > r.budgets[district] + 1e-9:
            raise BadRequestData(
                f"the projects you approve cost {cost:,.0f}, more than {district}'s budget "
                f"of {r.budgets[district]:,.0f}"
            )
        self.store.budgets.cast(ident, voter.actor, picked, at)

    def view(self, ident: int, at_us: int | None = None) -> dict[str, Any]:
        r = self.store.budgets.round(ident)
        at = at_us or now_us()
        phase = "upcoming" if at < r.opens_us else "voting" if at < r.closes_us else "closed"
        out: dict[str, Any] = {
            "id": r.id,
            "title": r.title,
            "department": r.department,
            "opens": self._at(r.opens_us),
            "closes": self._at(r.closes_us),
            "phase": phase,
            "budgets": r.budgets,
            "projects": r.projects,
            "ballots": self.store.budgets.turnout(ident),
            "rule": "greedy by votes: projects in order of approvals (ties: the cheaper, then "
            "the smaller id) while they fit in what is left of their district's budget",
        }
        if phase == "closed":
            tally = count(
                [Project(p["id"], p["title"], p["district"], p["cost"]) for p in r.projects],
                r.budgets,
                self.store.budgets.ballots(ident),
            )
            out["result"] = {
                d.district: {
                    "budget": d.budget,
                    "spent": d.spent,
                    "funded": [{"id": p.id, "approvals": v} for p, v in d.chosen],
                    "not_funded": [{"id": p.id, "approvals": v} for p, v in d.passed_over],
                }
                for d in tally.districts.values()
            }
        return out

    def _at(self, us: int) -> str:
        return iso_local(us, self.timezone)
