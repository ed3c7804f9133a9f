"""A request as the operators' API shows it. Reporters' contacts and the raw text only to the
12345 centre and the department handling the request; to other readers the personal data in
the text is masked and the contacts are left out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.catalog.mask import mask_text
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.entity import us_to_iso
from cityhub.store.citizen_sql import RequestRow

TEXT_FIELDS = ("title", "description", "address", "status_notes")


def now_us() -> int:
    moment = dt.datetime.now(dt.UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def deadline_state(row: RequestRow, at_us: int) -> str:
    """ok / warning (less than a fifth of the time left) / overdue / done."""
    if not row.is_open:
        return "done"
    if at_us > row.deadline_us:
        return "overdue"
    span = max(row.deadline_us - row.requested_us, 1)
    return "warning" if (row.deadline_us - at_us) < span / 5 else "ok"


def request_view(
    row: RequestRow,
    catalog: ServiceCatalog,
    reader: Principal | None,
    at_us: int | None = None,
) -> dict[str, Any]:
    """Everything an operator sees of a request; `reader` None is the platform itself."""
    at_us = at_us if at_us is not None else now_us()
    remaining = (row.deadline_us - at_us) / 3_600_000_000
    own = policy.may_see_contacts(reader, row.department, catalog.centre)
    texts = {
        k: (row.doc.get(k) if own else mask_text(row.doc.get(k) or "") or None) for k in TEXT_FIELDS
    }
    return {
        "id": str(row.id),
        "service_code": row.service_code,
        "status": row.status,
        "department": row.department,
        "category": row.category,
        "confidence": row.confidence,
        "urgency": row.urgency,
        "district": row.district,
        "street": row.street,
        "lat": row.lat,
        "long": row.lon,
        "requested": us_to_iso(row.requested_us),
        "updated": us_to_iso(row.updated_us),
        "response_due": us_to_iso(row.response_due_us),
        "deadline": us_to_iso(row.deadline_us),
        "responded": us_to_iso(row.responded_us),
        "resolved": us_to_iso(row.resolved_us),
        "hours_left": round(remaining, 2) if row.is_open else None,
        "deadline_state": deadline_state(row, at_us),
        "escalation": row.escalation,
        "merged_into": str(row.merged_into) if row.merged_into is not None else None,
        "satisfaction": row.satisfaction,
        **texts,
        "attributes": row.doc.get("attributes", {}),
        "routing": row.doc.get("routing", {}),
        "duplicate_candidates": row.doc.get("duplicate_candidates", []),
        "calendar_known": row.doc.get("calendar_known", True),
        "contacts_shown": own,
    }


def sees_contacts(row: RequestRow, catalog: ServiceCatalog, reader: Principal | None) -> bool:
    return policy.may_see_contacts(reader, row.department, catalog.centre)
