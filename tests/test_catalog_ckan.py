"""The CKAN action API, driven by the `ckanapi` client from PyPI unchanged, and the DCAT-AP 3
exports parsed by rdflib and checked by pyshacl."""

from __future__ import annotations

import httpx
import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, SearchQueryError, ValidationError
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from cityhub.catalog.dcat import validate
from tests.catalog_city import City, city

__all__ = ["city"]


def test_ckanapi_reads_the_catalogue(city: City) -> None:
    with RemoteCKAN(city.base, apikey=city.keys["transport_staff"][1]) as ckan:
        status = ckan.action.status_show()
        assert "datastore" in status["extensions"] and status["ckan_version"].startswith("2.")
        assert ckan.action.package_list() == ["air-quality", "plate-sightings", "residents"]
        assert ckan.action.package_list(limit=1, offset=1) == ["plate-sightings"]

        air = ckan.action.package_show(id="air-quality")
        assert air["title"] == "空气质量日均值" and air["title_en"] == "Daily air quality"
        assert air["organization"]["title"] == "深圳市生态环境局"
        assert air["share_type_text"] == "无条件共享" and air["grade"] == "general"
        assert {t["name"] for t in air["tags"]} == {"空气", "PM2.5"}
        assert air["num_resources"] == 1 and air["resources"][0]["datastore_active"] is True
        by_id = ckan.action.package_show(id=air["id"])
        assert by_id["name"] == "air-quality"

        found = ckan.action.package_search(q="空气", rows=10)
        assert found["count"] == 1 and found["results"][0]["name"] == "air-quality"
        shared = ckan.action.package_search(
            fq="share_type:conditional", **{"facet.field": ["organization", "grade"]}
        )
        assert [p["name"] for p in shared["results"]] == ["residents"]
        assert shared["facets"]["organization"] == {"civil": 1}
        negated = ckan.action.package_search(fq="-organization:civil", sort="name desc")
        assert [p["name"] for p in negated["results"]] == ["plate-sightings", "air-quality"]
        paged = ckan.action.package_search(sort="name asc", rows=1, start=2)
        assert paged["count"] == 3 and [p["name"] for p in paged["results"]] == ["residents"]
        all_facets = ckan.action.package_search(**{"facet.field": '["share_type"]'})
        items = all_facets["search_facets"]["share_type"]["items"]
        assert {i["name"]: i["count"] for i in items} == {
            "unconditional": 1,
            "conditional": 1,
            "not_shared": 1,
        }

        orgs = ckan.action.organization_list(all_fields=True)
        assert {o["name"]: o["package_count"] for o in orgs} == {"civil": 1, "police": 1, "szeb": 1}
        civil = ckan.action.organization_show(id="civil", include_datasets=True)
        assert civil["title"] == "深圳市民政局" and [p["name"] for p in civil["packages"]] == [
            "residents"
        ]

        rid = air["resources"][0]["id"]
        resource = ckan.action.resource_show(id=rid)
        assert resource["package_id"] == air["id"] and resource["rows"] == 3

        rows = ckan.action.datastore_search(
            resource_id=rid,
            filters={"district": "南山区"},
            sort="pm25 desc",
            fields=["station", "pm25"],
            limit=1,
        )
        assert rows["total"] == 2 and rows["records"] == [
            {"_id": 1, "station": "荔园", "pm25": 23.5}
        ]
        assert [f["id"] for f in rows["fields"]] == ["_id", "station", "pm25"]
        assert {f["id"]: f["type"] for f in rows["fields"]}["pm25"] == "numeric"
        text = ckan.action.datastore_search(resource_id=rid, q="洪湖", offset=0)
        assert [r["station"] for r in text["records"]] == ["洪湖"]
        second = ckan.action.datastore_search(resource_id=rid, limit=1, offset=1)
        assert second["records"][0]["_id"] == 2 and second["total"] == 3


def test_ckanapi_gets_ckan_errors(city: City) -> None:
    with RemoteCKAN(city.base) as ckan:
        with pytest.raises(NotFound):
            ckan.action.package_show(id="no-such-dataset")
        with pytest.raises(NotAuthorized):
            ckan.action.datastore_search(resource_id="plate-sightings")
        with pytest.raises(ValidationError):
            ckan.action.datastore_search(resource_id="air-quality", filters={"nope": 1})
        with pytest.raises(ValidationError):
            ckan.action.package_show()
        with pytest.raises(SearchQueryError):
            ckan.action.package_search(fq="colour:red")


def test_both_action_paths_answer_with_the_envelope(city: City) -> None:
    with httpx.Client(base_url=city.base, timeout=20) as http:
        for prefix in ("/api/action", "/api/3/action"):
            r = http.get(f"{prefix}/package_list")
            body = r.json()
            assert r.status_code == 200 and body["success"] is True
            assert body["help"].endswith("help_show?name=package_list")
        missing = http.get("/api/3/action/package_show?id=nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["__type"] == "Not Found Error"
        unknown = http.get("/api/3/action/package_purge")
        assert unknown.status_code == 400 and unknown.json()["success"] is False
        broken = http.post(
            "/api/3/action/package_search",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 409 and broken.json()["success"] is False


@pytest.mark.parametrize("path", ["/catalog.ttl", "/catalog.jsonld"])
def test_dcat_catalogue_parses_and_conforms_to_dcat_ap_3(city: City, path: str) -> None:
    text = httpx.get(city.base + path, timeout=20).text
    g = Graph().parse(data=text, format="turtle" if path.endswith("ttl") else "json-ld")
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 3
    air = URIRef(city.base + "/dataset/air-quality")
    assert (air, DCTERMS.title, Literal("空气质量日均值", lang="zh")) in g
    assert (
        air,
        DCAT.theme,
        URIRef("http://publications.europa.eu/resource/authority/data-theme/ENVI"),
    ) in g
    rights = {str(o).rsplit("/", 1)[-1] for o in g.objects(None, DCTERMS.accessRights)}
    assert rights == {"PUBLIC", "RESTRICTED", "NON_PUBLIC"}
    assert len(set(g.objects(air, DCAT.distribution))) == 2
    conforms, report = validate(g)
    assert conforms, report


def test_one_dataset_exports_and_the_shapes_catch_a_broken_record(city: City) -> None:
    text = httpx.get(city.base + "/dataset/residents.ttl", timeout=20).text
    g = Graph().parse(data=text, format="turtle")
    node = URIRef(city.base + "/dataset/residents")
    assert (node, RDF.type, DCAT.Dataset) in g
    assert validate(g)[0]
    for dist in list(g.objects(node, DCAT.distribution)):
        g.remove((dist, DCAT.accessURL, None))
    g.remove((node, DCTERMS.title, None))
    conforms, report = validate(g)
    assert not conforms and "accessURL" in report and "title" in report
    missing = httpx.get(city.base + "/dataset/nope.jsonld", timeout=20)
    assert missing.status_code == 404


def test_export_types_every_range_and_fills_the_recommended_properties(city: City) -> None:
    g = Graph().parse(data=httpx.get(city.base + "/catalog.ttl", timeout=20).text, format="turtle")
    assert validate(g)[0]
    catalog = URIRef(city.base + "/catalog")
    assert (catalog, DCAT.themeTaxonomy, None) in g
    assert (catalog, DCTERMS.issued, None) in g and (catalog, DCTERMS.modified, None) in g
    for dataset in g.subjects(RDF.type, DCAT.Dataset):
        assert (dataset, DCAT.contactPoint, None) in g  # the department when no contact is given
    availability = URIRef("http://data.europa.eu/r5r/availability")
    for dist in g.subjects(RDF.type, DCAT.Distribution):
        for prop in (DCTERMS.description, DCTERMS.license, availability):
            assert (dist, prop, None) in g, (dist, prop)
        licence = g.value(dist, DCTERMS.license)
        assert (licence, RDF.type, DCTERMS.LicenseDocument) in g
    # A licence left untyped (as the export once was) breaks the range rule.
    for licence in set(g.objects(None, DCTERMS.license)):
        g.remove((licence, RDF.type, None))
    conforms, report = validate(g)
    assert not conforms and "LicenseDocument" in report
