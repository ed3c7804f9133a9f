"""Participatory budgeting: approval ballots within the budget, counted by the rule most
cities use ("greedy by votes"): projects are taken in order of approvals (ties: the cheaper,
then the earlier id) while they fit in what is left of their district's budget; a project
that does not fit is passed over and the count goes on to the next.

A ballot approves any projects of one district whose costs add up to no more than that
district's budget; a ballot over the budget, naming an unknown project or mixing districts is
set aside and counted as invalid; a voter's second ballot is set aside as a duplicate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    district: str
    cost: float


@dataclass
class DistrictResult:
    district: str
    budget: float
    chosen: list[tuple[Project, int]] = field(default_factory=list)  # with approvals
    passed_over: list[tuple[Project, int]] = field(default_factory=list)
    spent: float = 0.0

    @property
    def left(self) -> float:
        return self.budget - self.spent


@dataclass
class Count:
    districts: dict[str, DistrictResult]
    valid: int = 0
    invalid: dict[str, int] = field(default_factory=dict)  # reason -> ballots


def count(
    projects: Iterable[Project],
    budgets: Mapping[str, float],
    ballots: Iterable[tuple[str, list[str]]],
) -> Count:
    """Count approval ballots (voter, approved project ids) and fill each district's budget."""
    catalogue = {p.id: p for p in projects}
    approvals = dict.fromkeys(catalogue, 0)
    seen: set[str] = set()
    result = Count({d: DistrictResult(d, float(b)) for d, b in budgets.items()})

    def set_aside(reason: str) -> None:
        result.invalid[reason] = result.invalid.get(reason, 0) + 1

    for voter, chosen in ballots:
        if voter in seen:
            set_aside("a second ballot from the same voter")
            continue
        seen.add(voter)
        picked = list(dict.fromkeys(chosen))
        if not picked or any(p not in catalogue for p in picked):
            set_aside("an empty ballot or an unknown project")
            continue
        districts = {catalogue[p].district for p in picked}
        if len(districts) != 1:
            set_aside("projects of more than one district")
            continue
        district = districts.pop()
        if sum(catalogue[p].cost for p in picked) > budgets.get(district, 0.0) + 1e-9:
            set_aside("approvals costing more than the district's budget")
            continue
        result.valid += 1
        for p in picked:
            approvals[p] += 1
    order = sorted(catalogue.values(), key=lambda p: (-approvals[p.id], p.cost, p.id))
    for project in order:
        votes = approvals[project.id]
        tally = result.districts.get(project.district)
        if tally is None or votes == 0:
            continue
        if project.cost <= tally.left + 1e-9:
            tally.chosen.append((project, votes))
            tally.spent += project.cost
        else:
            tally.passed_over.append((project, votes))
    return result
