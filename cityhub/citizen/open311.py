"""Open311 GeoReport v2 documents: requests, services and errors as the spec names them, in
JSON or XML."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from cityhub.catalog.mask import mask_text
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.workflow import open311_status
from cityhub.store.citizen_sql import RequestRow

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# The element that wraps each item of a list, by the list's root element.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def w3c(us: int | None, tz: str) -> str | None:
    """A W3C datetime with the city's offset, e.g. 2026-11-25T10:30:00+08:00."""
    if us is None:
        return None
    return dt.datetime.fromtimestamp(us // 1_000_000, ZoneInfo(tz)).isoformat()


def request_document(row: RequestRow, catalog: ServiceCatalog, tz: str) -> dict[str, Any]:
    """A request as Open311's public GET shows it: personal data in its text masked."""
    service = catalog.services.get(row.service_code)
    department = catalog.departments.get(row.department or "")
    doc = row.doc
    return {
        "service_request_id": str(row.id),
        "status": open311_status(row.status),
        "status_notes": mask_text(doc.get("status_notes") or "") or None,
        "service_name": service.name if service else row.service_code,
        "service_code": row.service_code,
        "description": mask_text(doc.get("description") or doc.get("title") or ""),
        "agency_responsible": department.name_zh if department else None,
        "service_notice": doc.get("service_notice"),
        "requested_datetime": w3c(row.requested_us, tz),
        "updated_datetime": w3c(row.updated_us, tz),
        "expected_datetime": w3c(row.deadline_us, tz),
        "address": mask_text(doc.get("address") or "") or None,
        "address_id": doc.get("address_id") or None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": doc.get("media_url") or None,
        # cityhub extensions (the spec allows more fields)
        "district": row.district,
        "street": row.street,
        "workflow_status": row.status,
    }


def discovery(base_url: str, catalog: ServiceCatalog) -> dict[str, Any]:
    changeset = catalog.changeset
    return {
        "changeset": changeset,
        "contact": "12345",
        "key_service": "API keys are issued by the city: cityhub keys create",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base_url,
                "changeset": changeset,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def errors(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]


def to_xml(root: str, content: Any) -> bytes:
    """Serialise a JSON-shaped document with the spec's element names."""
    element = ET.Element(root)
    _fill(element, content)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _fill(element: ET.Element, content: Any) -> None:
    if isinstance(content, list):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for item in content:
            _fill(ET.SubElement(element, item_name), item)
    elif isinstance(content, dict):
        for key, value in content.items():
            _fill(ET.SubElement(element, key), value)
    elif isinstance(content, bool):
        element.text = "true" if content else "false"
    elif content is not None:
        element.text = xml_text(str(content))


# Characters XML 1.0 cannot carry (C0 controls but tab, newline and return; surrogates; FFFE/F).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text an XML document can hold: characters XML forbids are dropped."""
    return _XML_ILLEGAL.sub("", text)
