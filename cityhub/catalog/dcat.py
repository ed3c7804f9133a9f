"""The catalogue as DCAT-AP 3.0 (RDF built with rdflib; Turtle and JSON-LD), and its check
against the shipped SHACL shapes with pyshacl.

Governance fields travel in DCAT terms where DCAT has them (dct:accessRights from the EU
access-right table) and in cityhub's own vocabulary where it has not (share type, grade).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from cityhub.store.catalog_sql import DatasetRecord, VersionRecord
from cityhub.timeutil import iso_local

EU = "http://publications.europa.eu/resource/authority/"
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
CHUB = Namespace("https://cityhub.example/ns/catalog#")
FREQUENCY = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "annual": "ANNUAL",
    "irregular": "IRREG",
    "never": "NEVER",
}
THEMES = {  # words departments use -> EU data theme
    "environment": "ENVI", "环境": "ENVI", "生态": "ENVI", "air": "ENVI",
    "transport": "TRAN", "交通": "TRAN", "mobility": "TRAN",
    "economy": "ECON", "经济": "ECON", "finance": "ECON", "财政": "ECON",
    "government": "GOVE", "政务": "GOVE", "public sector": "GOVE",
    "health": "HEAL", "卫生": "HEAL", "医疗": "HEAL",
    "society": "SOCI", "社会": "SOCI", "population": "SOCI", "人口": "SOCI", "民政": "SOCI",
    "energy": "ENER", "能源": "ENER",
    "education": "EDUC", "教育": "EDUC", "culture": "EDUC", "文化": "EDUC",
    "science": "TECH", "科技": "TECH",
    "agriculture": "AGRI", "农业": "AGRI",
    "justice": "JUST", "安全": "JUST", "公共安全": "JUST",
    "regions": "REGI", "城市": "REGI", "city": "REGI", "城市管理": "REGI", "urban": "REGI",
}  # fmt: skip
ACCESS = {"public": "PUBLIC", "restricted": "RESTRICTED", "non_public": "NON_PUBLIC"}
DCATAP = Namespace("http://data.europa.eu/r5r/")
THEME_SCHEME = URIRef(f"{EU}data-theme")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
STABLE = URIRef(f"{EU}planned-availability/STABLE")  # the datastore serves it while it exists
# The platform's own terms for data shared between departments (政务数据共享), which no public
# licence document names.
GOV_RESTRICTED = URIRef("urn:cityhub:licence:gov-restricted")


# English labels of the EU and ADMS vocabulary entries the exports use.
LABELS = {
    "data-theme/ENVI": "Environment", "data-theme/TRAN": "Transport",
    "data-theme/ECON": "Economy and finance", "data-theme/GOVE": "Government and public sector",
    "data-theme/HEAL": "Health", "data-theme/SOCI": "Population and society",
    "data-theme/ENER": "Energy", "data-theme/EDUC": "Education, culture and sport",
    "data-theme/TECH": "Science and technology",
    "data-theme/AGRI": "Agriculture, fisheries, forestry and food",
    "data-theme/JUST": "Justice, legal system and public safety",
    "data-theme/REGI": "Regions and cities", "planned-availability/STABLE": "stable",
    "publishertype/LocalAuthority": "Local Authority",
    "licencetype/Attribution": "Attribution", "licencetype/PublicDomain": "Public domain",
    "licencetype/ShareAlike": "Share-alike",
    "licencetype/OtherRestrictiveClauses": "Other restrictive clauses",
}  # fmt: skip
LICENCE_TYPES = {
    "cc-by-4.0": "Attribution",
    "cc0-1.0": "PublicDomain",
    "odc-by": "Attribution",
    "odc-odbl": "ShareAlike",
    "gov-restricted": "OtherRestrictiveClauses",
}


def _typed(g: Graph, node: URIRef, kind: URIRef) -> URIRef:
    """A controlled-vocabulary or document IRI with the class DCAT-AP gives its range (the
    exports carry it, so a validator needs no vocabulary downloads); a concept with its label."""
    g.add((node, RDF.type, kind))
    if kind == SKOS.Concept:
        key = "/".join(str(node).rsplit("/", 2)[-2:])
        g.add((node, SKOS.prefLabel, Literal(LABELS.get(key, key), lang="en")))
    return node


def _date_time(us: int, tz: str) -> Literal:
    return Literal(iso_local(us, tz), datatype=XSD.dateTime)


def access_right(d: DatasetRecord) -> str:
    if d.share_type == "not_shared":
        return ACCESS["non_public"]
    if d.share_type == "unconditional" and d.open_type == "open":
        return ACCESS["public"]
    return ACCESS["restricted"]


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                       ("gsp", GSP), ("chub", CHUB), ("skos", SKOS),
                       ("dcatap", DCATAP)):  # fmt: skip
        g.bind(prefix, ns)
    return g


def _agent(g: Graph, base: str, org: str, doc: dict[str, Any]) -> URIRef:
    agent = URIRef(f"{base}/organization/{org}")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, Literal(doc.get("title") or org, lang="zh")))
    if doc.get("title_en"):
        g.add((agent, FOAF.name, Literal(doc["title_en"], lang="en")))
    g.add((agent, DCTERMS.identifier, Literal(org)))
    g.add((agent, DCTERMS.type, _typed(g, LOCAL_AUTHORITY, SKOS.Concept)))
    return agent


def add_dataset(
    g: Graph,
    base: str,
    d: DatasetRecord,
    org_doc: dict[str, Any],
    v: VersionRecord | None,
    tz: str,
) -> URIRef:
    doc = d.doc
    node = URIRef(f"{base}/dataset/{d.name}")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(d.id)))
    title = doc.get("title") or d.name
    g.add((node, DCTERMS.title, Literal(title, lang="zh")))
    if doc.get("title_en"):
        g.add((node, DCTERMS.title, Literal(doc["title_en"], lang="en")))
    g.add((node, DCTERMS.description, Literal(doc.get("description") or title, lang="zh")))
    if doc.get("description_en"):
        g.add((node, DCTERMS.description, Literal(doc["description_en"], lang="en")))
    g.add((node, DCTERMS.publisher, _agent(g, base, d.org, org_doc)))
    for word in doc.get("keywords") or []:
        g.add((node, DCAT.keyword, Literal(word, lang="zh")))
    for theme in doc.get("themes") or []:
        code = THEMES.get(theme.lower())
        if code:
            concept = _typed(g, URIRef(f"{EU}data-theme/{code}"), SKOS.Concept)
            g.add((concept, SKOS.inScheme, THEME_SCHEME))
            g.add((node, DCAT.theme, concept))
        else:
            g.add((node, DCAT.keyword, Literal(theme, lang="zh")))
    if doc.get("frequency") in FREQUENCY:
        frequency = URIRef(f"{EU}frequency/{FREQUENCY[doc['frequency']]}")
        g.add((node, DCTERMS.accrualPeriodicity, _typed(g, frequency, DCTERMS.Frequency)))
    rights = URIRef(f"{EU}access-right/{access_right(d)}")
    g.add((node, DCTERMS.accessRights, _typed(g, rights, DCTERMS.RightsStatement)))
    g.add((node, DCTERMS.issued, _date_time(d.created_us, tz)))
    g.add((node, DCTERMS.modified, _date_time(d.modified_us, tz)))
    temporal = doc.get("temporal") or {}
    if temporal:
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        for key, term in (("start", DCAT.startDate), ("end", DCAT.endDate)):
            if temporal.get(key):
                g.add((period, term, Literal(temporal[key], datatype=XSD.date)))
        g.add((node, DCTERMS.temporal, period))
    if doc.get("spatial"):
        w, s, e, n = doc["spatial"]
        place = BNode()
        g.add((place, RDF.type, DCTERMS.Location))
        wkt = f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"
        g.add((place, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
        centre = f"POINT({(w + e) / 2} {(s + n) / 2})"
        g.add((place, DCAT.centroid, Literal(centre, datatype=GSP.wktLiteral)))
        g.add((node, DCTERMS.spatial, place))
    # Whom to ask: the contact given, or else the department that publishes the dataset.
    contact = BNode()
    g.add((contact, RDF.type, VCARD.Kind))
    if doc.get("contact"):
        g.add((contact, VCARD.fn, Literal(doc["contact"])))
    else:
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(org_doc.get("title") or d.org, lang="zh")))
    g.add((node, DCAT.contactPoint, contact))
    g.add((node, CHUB.shareType, Literal(d.share_type)))
    g.add((node, CHUB.openType, Literal(d.open_type)))
    g.add((node, CHUB.grade, Literal(d.grade)))
    if d.level is not None:
        g.add((node, CHUB.level, Literal(d.level)))
    if v is not None:
        _distributions(g, base, node, d, v, tz)
    return node


def _distributions(
    g: Graph, base: str, node: URIRef, d: DatasetRecord, v: VersionRecord, tz: str
) -> None:
    from cityhub.catalog.metadata import LICENSE_TITLES, LICENSES

    licence_id = d.doc.get("license") or "gov-restricted"
    licence = URIRef(LICENSES.get(licence_id) or GOV_RESTRICTED)
    _typed(g, licence, DCTERMS.LicenseDocument)
    g.add((licence, DCTERMS.title, Literal(LICENSE_TITLES.get(licence_id, licence_id))))
    kind = LICENCE_TYPES.get(licence_id, "OtherRestrictiveClauses")
    licence_type = URIRef(f"http://purl.org/adms/licencetype/{kind}")
    g.add((licence, DCTERMS.type, _typed(g, licence_type, SKOS.Concept)))
    access = URIRef(f"{base}/api/3/action/datastore_search?resource_id={d.resource_id}")
    title = d.doc.get("title") or d.name
    for fmt, code, media in (("csv", "CSV", "text/csv"), ("json", "JSON", "application/json")):
        dist = URIRef(f"{base}/dataset/{d.name}/distribution/{fmt}")
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{title} ({code})", lang="zh")))
        what = f"{title}：第 {v.version} 版（{v.rows} 行）的 {code} 文件，个人信息按读者权限脱敏"
        g.add((dist, DCTERMS.description, Literal(what, lang="zh")))
        g.add((dist, DCAT.accessURL, access))
        download = f"{base}/catalog/v1/datasets/{d.name}/download?format={fmt}"
        g.add((dist, DCAT.downloadURL, URIRef(download)))
        file_type = URIRef(f"{EU}file-type/{code}")
        g.add((dist, DCTERMS.format, _typed(g, file_type, DCTERMS.MediaTypeOrExtent)))
        iana = URIRef(f"https://www.iana.org/assignments/media-types/{media}")
        g.add((dist, DCAT.mediaType, _typed(g, iana, DCTERMS.MediaType)))
        g.add((dist, DCTERMS.modified, _date_time(v.created_us, tz)))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCATAP.availability, _typed(g, STABLE, SKOS.Concept)))
        g.add((node, DCAT.distribution, dist))


def catalogue(
    base: str,
    city: str,
    datasets: list[tuple[DatasetRecord, dict[str, Any], VersionRecord | None]],
    tz: str,
) -> Graph:
    g = new_graph()
    node = URIRef(f"{base}/catalog")
    g.add((node, RDF.type, DCAT.Catalog))
    g.add((node, DCTERMS.title, Literal(f"{city}城市数据目录", lang="zh")))
    g.add((node, DCTERMS.title, Literal(f"{city} city data catalogue", lang="en")))
    g.add((node, DCTERMS.description, Literal(f"{city}各部门共享与开放的数据集", lang="zh")))
    g.add(
        (
            node,
            DCTERMS.description,
            Literal(f"Datasets shared and opened by {city}'s departments", lang="en"),
        )
    )
    g.add((node, FOAF.homepage, _typed(g, URIRef(f"{base}/"), FOAF.Document)))
    chinese = _typed(g, URIRef(f"{EU}language/ZHO"), DCTERMS.LinguisticSystem)
    g.add((node, DCTERMS.language, chinese))
    g.add((node, DCAT.themeTaxonomy, _typed(g, THEME_SCHEME, SKOS.ConceptScheme)))
    g.add((THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
    if datasets:  # the catalogue's dates: its first dataset's listing, its latest change
        g.add((node, DCTERMS.issued, _date_time(min(d.created_us for d, _, _ in datasets), tz)))
        latest = max(d.modified_us for d, _, _ in datasets)
        g.add((node, DCTERMS.modified, _date_time(latest, tz)))
    publisher = _agent(
        g, base, "city", {"title": f"{city}市人民政府", "title_en": f"{city} government"}
    )
    g.add((node, DCTERMS.publisher, publisher))
    for d, org_doc, v in datasets:
        g.add((node, DCAT.dataset, add_dataset(g, base, d, org_doc, v, tz)))
    return g


CONTEXT = {
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "vcard": str(VCARD),
    "gsp": str(GSP), "chub": str(CHUB), "xsd": str(XSD), "skos": str(SKOS),
    "dcatap": str(DCATAP),
}  # fmt: skip


def serialise(g: Graph, fmt: str) -> bytes:
    if fmt == "ttl":
        return g.serialize(format="turtle").encode()
    return g.serialize(format="json-ld", context=CONTEXT, auto_compact=True).encode()


def shapes() -> Graph:
    text = (
        resources.files("cityhub.catalog")
        .joinpath("data", "dcat_ap_3_shapes.ttl")
        .read_text(encoding="utf-8")
    )
    return Graph().parse(data=text, format="turtle")


def validate(g: Graph) -> tuple[bool, str]:
    """(conforms, report text) of a graph against the DCAT-AP 3 shapes."""
    from pyshacl import validate as shacl

    conforms, _, report = shacl(g, shacl_graph=shapes(), inference="none")
    return bool(conforms), str(report)
