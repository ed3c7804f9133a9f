"""The home-care register (居家养老服务对象): who receives care, where, and how to reach them.

A client's personal details (name, ID number, phone, address, emergency contact, notes) are
kept together; the serving department and admins read them raw, anyone else who may see a
client at all (an order on the dashboard) reads them masked as the catalog masks personal data:
张*, 138****5678, 440305********1234, the road and ***, coordinates to two decimals. Every read
of a client, raw or masked, is written to the catalog's hash-chained audit under the register's
name `care-register:<department>`, which that department's steward reads with its datasets'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.auth.principal import Principal
from cityhub.care.barthel import assess
from cityhub.catalog.mask import mask_cell, mask_finding
from cityhub.catalog.sensitive import Finding
from cityhub.errors import BadRequestData
from cityhub.store.homecare_sql import ClientRow

# The personal details a client record holds, with the kinds the catalog masks them as.
DETAILS: dict[str, frozenset[str]] = {
    "name": frozenset({"person_name"}),
    "idNumber": frozenset({"id_card"}),
    "phone": frozenset({"mobile"}),
    "address": frozenset({"address"}),
    "contactName": frozenset({"person_name"}),
    "contactPhone": frozenset({"mobile"}),
    "note": frozenset(),
}
OTHER = ("birthYear", "gender", "livesAlone", "services")
SERVICES = ("meal", "visit", "nursing", "cleaning", "bathing", "escort")
MOST_TEXT = 500


def register_id(department: str) -> str:
    """The name the register's reads are audited under."""
    return f"care-register:{department}"


def reads_raw(reader: Principal, department: str) -> bool:
    return reader.is_admin or reader.open_mode or reader.member_of(department)


@dataclass(frozen=True)
class ClientInput:
    details: dict[str, Any]
    lat: float
    lon: float
    district: str | None
    street: str | None
    device: str | None
    device_tenant: str
    care_level: str


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise BadRequestData(f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > MOST_TEXT:
        raise BadRequestData(f"{name} must be text of at most {MOST_TEXT} characters")
    return value.strip()


def _coordinate(body: dict[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequestData(f"{name} must be a number from {low} to {high} (WGS-84)")
    return float(value)


def read_client(body: Any) -> ClientInput:
    """A register entry from JSON; every fault named."""
    if not isinstance(body, dict):
        raise BadRequestData("a client is a JSON object")
    unknown = set(body) - {*DETAILS, *OTHER, "lat", "lon", "district", "street", "device",
                           "deviceTenant", "barthel", "careLevel"}  # fmt: skip
    if unknown:
        raise BadRequestData(f"unknown fields: {', '.join(sorted(unknown))}")
    details: dict[str, Any] = {}
    for name in DETAILS:
        value = _text(body, name, required=name in ("name", "address"))
        if value is not None:
            details[name] = value
    year = body.get("birthYear")
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1890 <= year <= 2010:
            raise BadRequestData("birthYear must be a year from 1890 to 2010")
        details["birthYear"] = year
    if body.get("gender") is not None:
        if body["gender"] not in ("female", "male"):
            raise BadRequestData("gender is female or male")
        details["gender"] = body["gender"]
    if body.get("livesAlone") is not None:
        if not isinstance(body["livesAlone"], bool):
            raise BadRequestData("livesAlone is true or false")
        details["livesAlone"] = body["livesAlone"]
    services = body.get("services", [])
    if not isinstance(services, list) or not all(s in SERVICES for s in services):
        raise BadRequestData(f"services is a list of: {', '.join(SERVICES)}")
    details["services"] = list(dict.fromkeys(services))
    care_level = ""
    if body.get("barthel") is not None:  # the instrument's items: the level follows from them
        graded = assess(body["barthel"])
        details["barthel"] = graded.as_dict()
        care_level = graded.level
    elif body.get("careLevel") is not None:
        raise BadRequestData("careLevel comes from a Barthel assessment: send barthel")
    device = _text(body, "device")
    if device is not None and ":" not in device:
        raise BadRequestData("device is the entity id of the home alarm (urn:ngsi-ld:…)")
    return ClientInput(
        details,
        _coordinate(body, "lat", -90, 90),
        _coordinate(body, "lon", -180, 180),
        _text(body, "district"),
        _text(body, "street"),
        device,
        _text(body, "deviceTenant") or "",
        care_level,
    )


def _masked(name: str, value: str) -> str:
    """A detail masked as the catalog masks its kind. The register knows what each field
    holds, so a number is masked even when it does not pass the catalog's checks."""
    kinds = DETAILS[name]
    if name == "note":
        return "***"
    if "person_name" in kinds:
        return str(mask_cell(value, kinds))
    if "id_card" in kinds and len(value) >= 10:
        return mask_finding(Finding("id_card", 0, len(value), value))
    if "mobile" in kinds and len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if "address" in kinds:
        return mask_finding(Finding("address", 0, len(value), value))
    return "***"


def client_view(c: ClientRow, raw: bool) -> dict[str, Any]:
    """A client as this reader may see them."""
    details = dict(c.doc)
    if not raw:
        for name in DETAILS:
            if name in details:
                details[name] = _masked(name, str(details[name]))
        details.pop("birthYear", None)
    return {
        "id": c.id,
        "department": c.department,
        **details,
        "district": c.district,
        "street": c.street,
        "lat": c.lat if raw else round(c.lat, 2),
        "lon": c.lon if raw else round(c.lon, 2),
        "careLevel": c.care_level,
        "device": c.device if raw else None,
        "active": c.active,
        "masked": not raw,
    }
