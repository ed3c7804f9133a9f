"""A request as an NGSI-LD entity (type Open311ServiceRequest, after the Smart Data Models
IssueTracking subject), so subscriptions, queries and the map see every request."""

from __future__ import annotations

from typing import Any

from cityhub.catalog.mask import mask_text
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.workflow import open311_status
from cityhub.store.citizen_sql import RequestRow
from cityhub.timeutil import format_utc

ENTITY_TYPE = "Open311ServiceRequest"


def entity_id(request_id: int) -> str:
    return f"urn:ngsi-ld:{ENTITY_TYPE}:{request_id}"


def us_to_iso(us: int | None) -> str | None:
    if us is None:
        return None
    import datetime as dt

    return format_utc(dt.datetime.fromtimestamp(us / 1_000_000, dt.UTC))


def _prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def _time(us: int | None) -> dict[str, Any]:
    return {"type": "Property", "value": {"@type": "DateTime", "@value": us_to_iso(us)}}


def entity_attributes(row: RequestRow, catalog: ServiceCatalog, now_us: int) -> dict[str, Any]:
    """The attributes of the request's entity (normalized NGSI-LD, core @context terms)."""
    service = catalog.services.get(row.service_code)
    doc = row.doc
    attrs: dict[str, Any] = {
        "service_request_id": _prop(str(row.id)),
        "service_code": _prop(row.service_code),
        "service_name": _prop(service.name if service else row.service_code),
        "status": _prop(open311_status(row.status)),
        "workflowStatus": _prop(row.status),
        # The entity is what everyone reads (NGSI-LD, the map, its event stream, subscribers):
        # personal data a citizen typed into the text is masked in it.
        "description": _prop(mask_text(doc.get("description", ""))),
        "urgency": _prop(row.urgency),
        "requested_datetime": _time(row.requested_us),
        "updated_datetime": _time(row.updated_us),
        "expected_datetime": _time(row.deadline_us),
        "overdue": _prop(row.is_open and row.deadline_us < now_us),
        "escalationLevel": _prop(row.escalation),
    }
    optional = {
        "agency_responsible": row.department,
        "category": row.category,
        "district": row.district,
        "street": row.street,
        "address": mask_text(doc.get("address") or ""),
        "status_notes": mask_text(doc.get("status_notes") or ""),
    }
    for name, value in optional.items():
        if value not in (None, ""):
            attrs[name] = _prop(value)
    if row.lat is not None and row.lon is not None:
        attrs["location"] = {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [row.lon, row.lat]},
        }
    if row.merged_into is not None:
        attrs["mergedInto"] = {"type": "Relationship", "object": entity_id(row.merged_into)}
    return attrs
