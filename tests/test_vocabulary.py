"""The terms the platform writes its own entities in agree with what a client naming a Smart
Data Models domain's published context gets, type by type."""

from __future__ import annotations

import pytest

from cityhub.citizen.entity import ENTITY_TYPE as REQUEST_TYPE
from cityhub.demo.readings import DEVICE_KINDS
from cityhub.hub import Hub
from cityhub.indicators.kpi import KPI_TYPE
from cityhub.jsonld import smart_data_models

pytestmark = pytest.mark.backend("sqlite")
MODELS = "https://smartdatamodels.org/dataModel."
PLATFORM_TYPES = (*DEVICE_KINDS, "PointOfInterest", KPI_TYPE, REQUEST_TYPE)


@pytest.mark.parametrize("kind", PLATFORM_TYPES)
def test_each_platform_type_is_written_as_its_domains_client_reads_it(hub: Hub, kind: str) -> None:
    vocabulary = hub.contexts.vocabulary
    url = vocabulary.context_url(kind)
    assert url is not None and smart_data_models.domain_for(url) is not None
    as_client = hub.contexts.resolve(url)
    ours = vocabulary.terms(kind)
    domain = smart_data_models.load(smart_data_models.domain_for(url) or "")["@context"]
    terms = [t for part in (domain if isinstance(domain, list) else [domain])
             if isinstance(part, dict) for t in part if not t.startswith("@")]  # fmt: skip
    assert len(terms) > 20
    for term in [*terms, "somethingOfTheCitysOwn"]:
        assert ours.expand(term) == as_client.expand(term), term
    if kind != REQUEST_TYPE:  # requests keep their own type name, in the IssueTracking terms
        assert vocabulary.expand_type(kind).startswith(MODELS)
    assert vocabulary.type_term(vocabulary.expand_type(kind)) == kind
    assert vocabulary.terms_of(vocabulary.expand_type(kind)) is ours


def test_types_no_shipped_domain_defines_stay_in_the_core_vocabulary(hub: Hub) -> None:
    vocabulary = hub.contexts.vocabulary
    for kind in ("District", "BusStop", "NoiseMeter"):
        assert vocabulary.context_url(kind) is None and vocabulary.terms(kind) is vocabulary.core
        iri = vocabulary.expand_type(kind)
        assert iri == hub.contexts.core.expand(kind) and vocabulary.type_term(iri) == kind
    assert vocabulary.of_body({"type": "District"}) is vocabulary.core
    assert vocabulary.of_body({"no": "type"}) is vocabulary.core


def test_each_type_keeps_its_own_domains_meaning_of_a_shared_name(hub: Hub) -> None:
    """`occupancy` is one term for a parking spot and another for a point of interest."""
    vocabulary = hub.contexts.vocabulary
    parking = vocabulary.terms("ParkingSpot").expand("occupancy")
    poi = vocabulary.terms("PointOfInterest").expand("occupancy")
    assert parking != poi and "Parking" in parking
    # the core context still wins where it defines a name (as for any request's context)
    assert vocabulary.terms("ParkingSpot").expand("location") == hub.contexts.core.expand(
        "location"
    )
