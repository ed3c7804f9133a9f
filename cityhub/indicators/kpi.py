"""An indicator's latest value as an NGSI-LD KeyPerformanceIndicator entity (Smart Data Models
Dashboard/KeyPerformanceIndicator fields: kpiValue, calculationPeriod, currentStanding,
businessTarget, calculationFrequency, category …), so subscriptions and the temporal API see
indicators like any other entity."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cityhub.indicators.assess import Assessment
from cityhub.indicators.definitions import Definition
from cityhub.store.indicator_sql import IndicatorValue

FREQUENCY = {"day": "daily", "month": "monthly", "quarter": "quarterly", "year": "yearly"}
STANDING = {
    "achieved": "very good",
    "on_track": "good",
    "at_risk": "fair",
    "off_track": "bad",
    "no_data": "fair",
}

KPI_TYPE = "KeyPerformanceIndicator"  # Smart Data Models (dataModel.KeyPerformanceIndicator)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kpi_id(city: str, indicator: str, place: str) -> str:
    safe_place = re.sub(r"[^\w-]", "_", place)
    return f"urn:ngsi-ld:KeyPerformanceIndicator:{city}:{indicator}:{safe_place}"


def kpi_entity(
    d: Definition,
    value: IndicatorValue,
    city: str,
    assessment: Assessment | None,
) -> dict[str, Any]:
    def prop(v: Any, **extra: Any) -> dict[str, Any]:
        return {"type": "Property", "value": v, **extra}

    doc: dict[str, Any] = {
        "id": kpi_id(city, d.id, value.place),
        "type": KPI_TYPE,
        "name": {"type": "LanguageProperty", "languageMap": d.name},
        "description": {"type": "LanguageProperty", "languageMap": d.description},
        "category": prop([d.theme] if d.theme else ["quantitative"]),
        "kpiValue": prop(value.value, observedAt=_iso(value.computed_us), unitText=d.unit),
        "calculationPeriod": prop({"from": _iso(value.start_us), "to": _iso(value.end_us)}),
        "calculationFrequency": prop(FREQUENCY[d.periodicity]),
        "calculationMethod": prop(d.kind),
        "dateModified": prop({"@type": "DateTime", "@value": _iso(value.computed_us)}),
        "indicatorId": prop(d.id),
        "period": prop(value.period),
        "area": prop(value.place),
        "references": prop(
            [f"{s.get('scheme', '')} {s.get('ref', '')}".strip() for s in d.standard]
        ),
    }
    if assessment is not None and assessment.period >= value.period[:4]:
        judged = {"observedAt": _iso(assessment.assessed_us)} if assessment.assessed_us else {}
        doc["currentStanding"] = prop(STANDING[assessment.status], **judged)
        target = assessment.target
        doc["businessTarget"] = prop(
            f"{assessment.period}: {assessment.target_kind} {target:g} {d.unit}"
            if target is not None
            else f"{assessment.period}: {assessment.target_kind}"
        )
        doc["assessment"] = prop(assessment.status, **judged)
    return doc
