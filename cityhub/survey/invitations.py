"""Sample mode: a stratified random sample of a frame (a catalog dataset, read through the
catalog so the read is audited and personal data stays masked) becomes single-use invitations.

Each invitation is a random token handed once to the department that draws the sample (its
mailer or interviewers deliver them); the store keeps only the token's SHA-256, the unit's frame
row, its stratum and its design weight N_h / n_h. A response made with a token carries that
design, so estimates need no join with the frame."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cityhub.auth.principal import Principal
from cityhub.catalog.datastore import MAX_LIMIT, RowQuery
from cityhub.catalog.service import CatalogService
from cityhub.errors import BadRequestData
from cityhub.store.survey_sql import Invitation, Sample
from cityhub.timeutil import now_us

MAX_FRAME = 2_000_000  # units read from a frame
MAX_INVITATIONS = 100_000
REMIND_QUIET_DAYS = 3.0  # an unanswered invitation is reminded at most this often


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SampleRequest:
    form_id: str
    frame: str  # catalog dataset key
    strata: str  # its column naming the stratum
    size: int
    seed: int
    neyman: str | None = None  # numeric column for Neyman allocation

    @classmethod
    def from_body(cls, form_id: str, body: Any) -> SampleRequest:
        if not isinstance(body, dict):
            raise BadRequestData('send {"frame", "strata", "size", "seed"}')
        frame, strata, neyman = body.get("frame"), body.get("strata"), body.get("neyman")
        size, seed = body.get("size"), body.get("seed")
        if not isinstance(frame, str) or not frame or not isinstance(strata, str) or not strata:
            raise BadRequestData("frame (a catalog dataset) and strata (its column) are required")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_INVITATIONS:
            raise BadRequestData(f"size must be a whole number from 1 to {MAX_INVITATIONS:,}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise BadRequestData("seed must be a whole number, zero or more")
        if neyman is not None and (not isinstance(neyman, str) or not neyman):
            raise BadRequestData("neyman names a numeric column of the frame")
        return cls(form_id, frame, strata, size, seed, neyman)


def _frame(
    catalog: CatalogService, reader: Principal, request: SampleRequest
) -> tuple[list[str], list[str], list[float]]:
    """(unit ids, strata, Neyman values) of every row of the frame, read page by page."""
    fields = [request.strata] + ([request.neyman] if request.neyman else [])
    units: list[str] = []
    strata: list[str] = []
    values: list[float] = []
    offset = 0
    while True:
        page = catalog.rows(
            reader,
            request.frame,
            RowQuery(fields=fields, limit=MAX_LIMIT, offset=offset),
            include_total=False,
        )
        for record in page.records:
            label = record.get(request.strata)
            if label in (None, ""):
                raise BadRequestData(f"frame row {record['_id']}: {request.strata!r} is empty")
            units.append(str(record["_id"]))
            strata.append(str(label))
            if request.neyman:
                try:
                    values.append(float(record.get(request.neyman)))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    values.append(float("nan"))
        if len(units) > MAX_FRAME:
            raise BadRequestData(f"a frame may have at most {MAX_FRAME:,} rows")
        if len(page.records) < MAX_LIMIT:
            return units, strata, values
        offset += MAX_LIMIT


def prepare(
    catalog: CatalogService, reader: Principal, request: SampleRequest
) -> tuple[Sample, list[Invitation], list[dict[str, Any]]]:
    """Draw the sample: (the sample, the invitations to store, the tokens to hand out)."""
    from cityhub.survey.sampling import allocate, draw, stratum_sd  # numpy: on first use

    units, labels, values = _frame(catalog, reader, request)
    if not units:
        raise BadRequestData(f"the frame {request.frame!r} has no rows")
    counts = Counter(labels)
    names = sorted(counts)
    spread = None
    if request.neyman:
        spread = [
            stratum_sd([v for v, h in zip(values, labels, strict=True) if h == name])
            for name in names
        ]
    sizes = dict(
        zip(names, allocate([counts[h] for h in names], request.size, spread), strict=True)
    )
    rows = draw(labels, sizes, request.seed)
    sample = Sample(
        request.form_id, request.frame, request.strata, request.seed, len(rows),
        now_us(),
    )  # fmt: skip
    invitations, handed = [], []
    for i in rows:
        h = labels[int(i)]
        token = secrets.token_urlsafe(18)
        invitations.append(
            Invitation(token_hash(token), units[int(i)], h, counts[h] / sizes[h], counts[h])
        )
        handed.append({"unit": units[int(i)], "stratum": h, "token": token})
    return sample, invitations, handed
