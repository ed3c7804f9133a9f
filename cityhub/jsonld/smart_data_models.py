"""The Smart Data Models domain contexts shipped with cityhub (CC BY 4.0; see
contexts/smart-data-models/README.md), found by the URLs they are published at, so FIWARE-style
clients that name them are answered without a download."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson

DOMAINS = (
    "Environment",
    "Parking",
    "WasteManagement",
    "Transportation",
    "Streetlighting",
    "IssueTracking",
    "PointOfInterest",
    "Weather",
    "Building",
    "KeyPerformanceIndicator",
)
_PUBLISHED = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.{}/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.{}/main/context.jsonld",
    "https://smart-data-models.github.io/dataModel.{}/context.jsonld",
)
_FILES = {url.format(domain): domain for domain in DOMAINS for url in _PUBLISHED}


def published_urls(domain: str) -> list[str]:
    return [url.format(domain) for url in _PUBLISHED]


def domain_for(url: str) -> str | None:
    """The shipped domain a context URL names, or None."""
    return _FILES.get(url.split("#", 1)[0])


def load(domain: str) -> dict[str, Any]:
    text = (
        resources.files("cityhub.jsonld")
        .joinpath("contexts", "smart-data-models", f"dataModel.{domain}.jsonld")
        .read_bytes()
    )
    doc = orjson.loads(text)
    assert isinstance(doc, dict)
    return doc
