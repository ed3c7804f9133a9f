"""Results of a survey run on the platform, and their publication.

The estimates are design-based (cityhub.survey.estimate) over the responses that count: flagged
responses (duplicate, too fast, bot) are left out. In sample mode the responses are the
invitees' (each carries its stratum); the design weight N_h/n_h is adjusted for non-response
within the stratum, so each of its r_h respondents weighs N_h/r_h, and the stratum's size N_h
gives the finite-population correction. In open mode every response weighs one.

A Likert block becomes an index: each respondent's mean rating over the block's questions they
answered, shown 0–100 (the scale's low end is 0, its high end 100), with its interval; every
question of the block gets its own index too. Cells of fewer than `min_cell` respondents are
published without figures (disclosure control)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cityhub.errors import BadRequestData
from cityhub.store.survey_sql import StoredResponse, StratumProgress
from cityhub.survey.design import make_design
from cityhub.survey.estimate import Estimate, estimate
from cityhub.survey.form import Form
from cityhub.survey.scale import rescale

MIN_CELL = 10
BY_STRATUM = "stratum"  # the domain is the sample's stratum (a district, say)


@dataclass(frozen=True)
class ResultRequest:
    block: tuple[str, ...]  # rating questions on one scale
    low: float
    high: float
    by: str | None = None  # a select_one question, or "stratum"
    min_cell: int = MIN_CELL
    period: str | None = None  # the period an indicator series is for
    indicator: str | None = None  # the series to publish the index into

    @classmethod
    def from_body(cls, body: Any, form: Form) -> ResultRequest:
        if not isinstance(body, dict):
            raise BadRequestData('send {"block": [questions], "scale": [low, high], "by"?}')
        block, scale = body.get("block"), body.get("scale", [1, 5])
        if not isinstance(block, list) or not block or len(block) > 50:
            raise BadRequestData("block lists 1 to 50 rating questions of the form")
        questions = {q.name: q for q in form.questions}
        for name in block:
            if not isinstance(name, str) or name not in questions:
                raise BadRequestData(f"block: the form has no question {name!r}")
        if (
            not isinstance(scale, list)
            or len(scale) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
            or not scale[0] < scale[1]
        ):
            raise BadRequestData("scale is [low, high] with low below high, e.g. [1, 5]")
        by = body.get("by")
        known = isinstance(by, str) and by in questions and questions[by].kind == "select_one"
        if by is not None and by != BY_STRATUM and not known:
            raise BadRequestData(f"by is {BY_STRATUM!r} or a select_one question of the form")
        min_cell = body.get("min_cell", MIN_CELL)
        if isinstance(min_cell, bool) or not isinstance(min_cell, int) or not 1 <= min_cell <= 1000:
            raise BadRequestData("min_cell must be a whole number from 1 to 1000")
        period, indicator = body.get("period"), body.get("indicator")
        for name, value in (("period", period), ("indicator", indicator)):
            if value is not None and (not isinstance(value, str) or not value):
                raise BadRequestData(f"{name} must be text")
        if (period is None) != (indicator is None):
            raise BadRequestData("indicator and period go together")
        return cls(tuple(block), float(scale[0]), float(scale[1]), by, min_cell, period, indicator)


def _domains(form: Form, responses: list[StoredResponse], by: str | None) -> list[str] | None:
    if by is None:
        return None
    if by == BY_STRATUM:
        return [r.stratum or "" for r in responses]
    question = next(q for q in form.questions if q.name == by)

    def label(name: str) -> str:
        texts = question.choice_labels.get(name) or {}
        return texts.get("zh") or next(iter(texts.values()), name)

    return [label(r.answers.get(by, "")) if r.answers.get(by) else "" for r in responses]


def _collapsed(labels: list[str], answered: dict[str, int]) -> list[str]:
    """Strata with a single respondent cannot give a variance: for the variance they are
    collapsed with the smallest stratum that can (the usual collapsed-strata estimator,
    slightly conservative); their weights stay their own."""
    lonely = {h for h, n in answered.items() if n == 1}
    if not lonely:
        return labels
    able = [h for h, n in answered.items() if n >= 2]
    if not able:
        raise BadRequestData("every stratum has a single respondent: no variance can be given")
    into = min(able, key=lambda h: (answered[h], h))
    return [into if h in lonely else h for h in labels]


def compute(
    form: Form,
    responses: list[StoredResponse],
    strata: list[StratumProgress],
    request: ResultRequest,
) -> list[Estimate]:
    """The block's index and each question's, for everyone and by domain, suppressed below
    the minimum cell. `strata` is the sample's invitations by stratum."""
    counted = [r for r in responses if not r.flags]
    if strata:  # a sample's results are its invitees' answers (not earlier open ones)
        counted = [r for r in counted if r.stratum is not None]
    if len(counted) < 2:
        raise BadRequestData("results need at least two responses that count")
    weights = np.ones(len(counted))
    design_strata = population = None
    if strata:
        sizes = {p.stratum: p for p in strata}
        design_strata = [r.stratum or "" for r in counted]
        answered = {h: sum(1 for d in design_strata if d == h) for h in sizes}
        # each stratum's respondents stand for its N_h units: N_h / r_h each
        weights = np.array([sizes[h].population / answered[h] for h in design_strata])
        present = [h for h, n in answered.items() if n]
        into = dict(zip(present, _collapsed(present, answered), strict=True))
        merged: dict[str, float] = {}
        for h in present:
            merged[into[h]] = merged.get(into[h], 0.0) + sizes[h].population
        design_strata = [into[h] for h in design_strata]
        population = np.array([merged[h] for h in design_strata])
    design = make_design(weights, design_strata, None, population)
    ratings = np.full((len(counted), len(request.block)), np.nan)
    for i, r in enumerate(counted):
        for j, name in enumerate(request.block):
            raw = r.answers.get(name, "")
            try:
                value = float(raw)
            except ValueError:
                continue
            if request.low <= value <= request.high:
                ratings[i, j] = value
    with np.errstate(invalid="ignore"):
        answered = ~np.isnan(ratings)
        score = np.where(
            answered.any(axis=1),
            np.nansum(ratings, axis=1) / np.maximum(answered.sum(axis=1), 1),
            np.nan,
        )
    domains = _domains(form, counted, request.by)
    out: list[Estimate] = []
    columns = [("index", score)] + [(n, ratings[:, j]) for j, n in enumerate(request.block)]
    for name, values in columns:
        for group in [None, domains] if domains is not None else [None]:
            found = estimate(design, name, values, "mean", group)
            out += [rescale(e, request.low, request.high) for e in found if e.by != ""]
    return [e.suppress_below(request.min_cell) for e in out]
