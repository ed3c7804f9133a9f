"""The city's request types (Open311 services), its departments and its routing rules.

One JSON file says it all: departments (code, zh/en names, the classifier categories each one
answers for and the keywords that send a message to it before any classifier is asked),
services (Open311 fields plus the owning department and deadlines in working days
per urgency) and the duplicate rules. Shenzhen's ships with the package; a city points
CITYHUB_CITIZEN_SERVICES at its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from cityhub.errors import BadRequestData, ConfigurationError
from cityhub.timeutil import parse_datetime

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
URGENCIES = ("normal", "urgent")


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    department: str | None  # None: routed by the classifier
    deadline_days: dict[str, float]
    response_days: dict[str, float]
    attributes: tuple[dict[str, Any], ...]

    def open311(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.description,
            "metadata": bool(self.attributes),
            "type": "realtime",
            "keywords": ",".join(self.keywords),
            "group": self.group,
        }

    def definition(self) -> dict[str, Any]:
        return {"service_code": self.code, "attributes": [dict(a) for a in self.attributes]}


@dataclass(frozen=True)
class DuplicateRules:
    radius_m: float = 300.0
    window_days: float = 7.0
    min_similarity: float = 0.35


class ServiceCatalog:
    def __init__(self, doc: dict[str, Any]) -> None:
        try:
            self.jurisdiction = str(doc.get("jurisdiction_id", ""))
            # When the service list last changed (Open311 discovery's changeset).
            self.changeset = str(doc.get("changeset", "1970-01-01T00:00:00Z"))
            self.departments = {
                d["code"]: Department(
                    d["code"],
                    d["name"]["zh"],
                    d["name"]["en"],
                    tuple(d.get("categories", ())),
                    tuple(str(k) for k in d.get("keywords", ()) if str(k).strip()),
                )
                for d in doc["departments"]
            }
            self.services = {s["service_code"]: _service(s) for s in doc["services"]}
            rules = doc.get("duplicate_rules") or {}
            self.duplicates = DuplicateRules(**rules)
            self.threshold = float(doc.get("classifier_threshold", 0.5))
            # The 12345 centre: the department (key) that dispatches, merges, closes and
            # follows up requests; the other departments handle what is dispatched to them.
            self.centre = str(doc.get("centre", "hotline"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid service catalog: {exc!r}") from exc
        self.by_category = {c: d.code for d in self.departments.values() for c in d.categories}
        owned = {s.department for s in self.services.values()}
        for department in self.departments.values():
            if not (department.categories or department.keywords or department.code in owned):
                raise ConfigurationError(
                    f"department {department.code} would never receive a request: give it "
                    "classifier categories, keywords or a service"
                )
        for service in self.services.values():
            if service.department and service.department not in self.departments:
                raise ConfigurationError(
                    f"service {service.code} names unknown department {service.department}"
                )

    @classmethod
    def load(cls, path: Path | None = None) -> ServiceCatalog:
        try:
            raw = (
                path.read_bytes()
                if path
                else resources.files("cityhub.citizen")
                .joinpath("data", "services.json")
                .read_bytes()
            )
            doc = orjson.loads(raw)
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read the service catalog {path}: {exc}") from exc
        return cls(doc)

    def service(self, code: str) -> Service:
        service = self.services.get(code)
        if service is None:
            raise UnknownService(f"service_code '{code}' is not provided")
        return service

    def department_for(self, category: str | None) -> str | None:
        return self.by_category.get(category) if category else None

    def department_by_keywords(self, text: str) -> tuple[str, str] | None:
        """The department whose keywords the text names most (and the first of them found);
        None when none is named or two departments are named equally often (the classifier
        decides then)."""
        hits: list[tuple[int, str, str]] = []
        for department in self.departments.values():
            found = [k for k in department.keywords if k in text]
            if found:
                hits.append((len(found), department.code, found[0]))
        if not hits:
            return None
        hits.sort(reverse=True)
        if len(hits) > 1 and hits[0][0] == hits[1][0]:
            return None
        return hits[0][1], hits[0][2]


class UnknownService(BadRequestData):
    status = 404
    title = "Unknown service"


def _service(doc: dict[str, Any]) -> Service:
    attributes = tuple(sorted(doc.get("attributes") or [], key=lambda a: a.get("order", 0)))
    for a in attributes:
        if a.get("datatype") not in DATATYPES:
            raise ValueError(f"attribute {a.get('code')} has datatype {a.get('datatype')}")
    return Service(
        code=str(doc["service_code"]),
        name=str(doc["service_name"]),
        description=str(doc.get("description", "")),
        group=str(doc.get("group", "")),
        keywords=tuple(doc.get("keywords") or ()),
        department=doc.get("department"),
        deadline_days={k: float(v) for k, v in doc["deadline_days"].items()},
        response_days={k: float(v) for k, v in doc["response_days"].items()},
        attributes=attributes,
    )


def check_attributes(service: Service, given: dict[str, list[str]]) -> dict[str, Any]:
    """Validate `attribute[CODE]` values against the service definition; typed values out."""
    known = {a["code"]: a for a in service.attributes}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise BadRequestData(f"unknown attribute(s) for {service.code}: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for code, spec in known.items():
        values = [v for v in given.get(code, []) if v.strip()]
        if not values:
            if spec.get("required") and spec.get("variable", True):
                raise BadRequestData(f"attribute[{code}] is required for {service.code}")
            continue
        out[code] = _typed(spec, values)
    return out


def _typed(spec: dict[str, Any], values: list[str]) -> Any:
    code, datatype = spec["code"], spec["datatype"]
    keys = {str(v["key"]) for v in spec.get("values") or []}
    if datatype == "multivaluelist":
        bad = [v for v in values if v not in keys]
        if bad:
            raise BadRequestData(f"attribute[{code}] has no value {bad[0]!r}")
        return values
    if len(values) > 1:
        raise BadRequestData(f"attribute[{code}] takes one value")
    value = values[0]
    if datatype == "singlevaluelist":
        if value not in keys:
            raise BadRequestData(f"attribute[{code}] has no value {value!r}")
        return value
    if datatype == "number":
        try:
            number = float(value)
        except ValueError as exc:
            raise BadRequestData(f"attribute[{code}] must be a number") from exc
        if number != number or number in (float("inf"), float("-inf")):
            raise BadRequestData(f"attribute[{code}] must be a finite number")
        return number
    if datatype == "datetime":
        try:
            moment = parse_datetime(value)
        except (ValueError, BadRequestData) as exc:
            raise BadRequestData(f"attribute[{code}] must be a W3C datetime") from exc
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    limit = 4000 if datatype == "text" else 500
    if len(value) > limit:
        raise BadRequestData(f"attribute[{code}] is longer than {limit} characters")
    return value
