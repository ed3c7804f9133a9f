"""The terms the platform writes and reads its own entities in.

An entity type that a shipped Smart Data Models domain defines (ParkingSpot, AirQualityObserved,
PointOfInterest, KeyPerformanceIndicator…) is written with that domain's context, exactly as a
FIWARE client naming the domain's published context would write it: a client asking for
`type=ParkingSpot` with the Parking context finds the city's parking spots, and their attributes
come back under the models' short names. Each type keeps its own domain's terms, because the
domains do not agree on every name (`occupancy` is one IRI for Parking and another for
PointOfInterest). Citizen requests use the IssueTracking terms (the Open311 names that domain
defines). A type no shipped domain defines (District, a city's own device types) stays in the
core context, and so does anything the platform reads from a device of such a type.
"""

from __future__ import annotations

import threading

from cityhub.jsonld import smart_data_models
from cityhub.jsonld.termmap import TermMap

_MODELS = "https://smartdatamodels.org/dataModel."
# Platform types a domain describes without naming them as its own type.
_AFFINITY = {"Open311ServiceRequest": "IssueTracking"}


class Vocabulary:
    """Per-type term maps: a Smart Data Models domain's terms over the core context."""

    def __init__(self, core: TermMap, core_context: dict[str, object]) -> None:
        self.core = core
        self._core_context = core_context
        self._lock = threading.Lock()
        self._domains: dict[str, TermMap] = {}
        self._type_domain = dict(_AFFINITY)
        for domain in smart_data_models.DOMAINS:
            for term, iri in _definitions(domain).items():
                if term[:1].isupper() and iri == f"{_MODELS}{domain}/{term}":
                    self._type_domain.setdefault(term, domain)
        self._type_terms: dict[str, str] = {}  # expanded type IRI -> its short name

    def context_url(self, type_term: str) -> str | None:
        """The published context a client would name for this type (None: the core alone)."""
        domain = self._type_domain.get(type_term)
        return smart_data_models.published_urls(domain)[0] if domain else None

    def terms(self, type_term: str) -> TermMap:
        """The term map an entity of this type is written and read with."""
        domain = self._type_domain.get(type_term)
        return self.core if domain is None else self._domain(domain)

    def of_body(self, doc: object) -> TermMap:
        """The term map for an entity body the platform writes (by its `type`)."""
        kind = doc.get("type") if isinstance(doc, dict) else None
        return self.terms(kind) if isinstance(kind, str) else self.core

    def expand_type(self, type_term: str) -> str:
        return self.terms(type_term).expand(type_term)

    def type_term(self, type_iri: str) -> str:
        """The short name of a type IRI, in its own domain's terms (core compaction otherwise)."""
        if not self._type_terms:
            names = {self.expand_type(t): t for t in self._type_domain}
            with self._lock:
                self._type_terms = names
        return self._type_terms.get(type_iri) or self.core.compact(type_iri)

    def terms_of(self, type_iri: str) -> TermMap:
        """The term map of an entity whose first type is `type_iri`."""
        return self.terms(self.type_term(type_iri))

    def _domain(self, domain: str) -> TermMap:
        with self._lock:
            found = self._domains.get(domain)
            if found is None:
                found = TermMap()
                found.add_definitions(_definitions(domain))
                # as for a request's context: the core's terms are applied last and win
                found.add_definitions(dict(self._core_context))
                found.vocab = self.core.vocab
                self._domains[domain] = found
            return found


def _definitions(domain: str) -> dict[str, object]:
    context = smart_data_models.load(domain)["@context"]
    if isinstance(context, list):
        merged: dict[str, object] = {}
        for part in context:
            if isinstance(part, dict):
                merged.update(part)
        return merged
    assert isinstance(context, dict)
    return context
