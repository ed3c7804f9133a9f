"""Entity query parameters -> a store filter plus the predicates the broker refines with."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from cityhub.broker.normalize import check_name, check_uri
from cityhub.broker.ql import Predicate, QueryError, compile_q
from cityhub.errors import BadRequestData
from cityhub.geo import GEOMETRY_TYPES, RELATIONS, GeometryError, parse_query_geometry, to_shape
from cityhub.geo import relation_holds as geo_relation_holds
from cityhub.jsonld import TermMap
from cityhub.limits import check_parentheses
from cityhub.patterns import compile_pattern
from cityhub.store.records import Entity, EntityFilter, GeoFilter

LOCATION = "https://uri.etsi.org/ngsi-ld/location"


@dataclass
class EntityQuery:
    flt: EntityFilter = field(default_factory=EntityFilter)
    predicates: list[Predicate] = field(default_factory=list)
    needs_geo_refine: bool = False
    order: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)  # see ordering.py

    def matches(self, entity: Entity) -> bool:
        return all(p(entity) for p in self.predicates)


def parse_type_expression(text: str, tm: TermMap) -> tuple[Callable[[set[str]], bool], set[str]]:
    """`A,B` and `A|B` mean either, `A;B` both, with parentheses. Returns predicate + all types."""
    check_parentheses(text, "type")
    tokens = re.findall(r"[(),;|]|[^(),;|]+", text.replace(" ", ""))
    pos = 0
    mentioned: set[str] = set()

    def fail(message: str) -> BadRequestData:
        return BadRequestData(f"invalid type expression {text!r}: {message}")

    def parse_or() -> Callable[[set[str]], bool]:
        nonlocal pos
        parts = [parse_and()]
        while pos < len(tokens) and tokens[pos] in (",", "|"):
            pos += 1
            parts.append(parse_and())
        return (lambda ts: any(p(ts) for p in parts)) if len(parts) > 1 else parts[0]

    def parse_and() -> Callable[[set[str]], bool]:
        nonlocal pos
        parts = [parse_atom()]
        while pos < len(tokens) and tokens[pos] == ";":
            pos += 1
            parts.append(parse_atom())
        return (lambda ts: all(p(ts) for p in parts)) if len(parts) > 1 else parts[0]

    def parse_atom() -> Callable[[set[str]], bool]:
        nonlocal pos
        if pos >= len(tokens):
            raise fail("unexpected end")
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = parse_or()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise fail("missing ')'")
            pos += 1
            return inner
        if token in "),;|":
            raise fail(f"unexpected {token!r}")
        iri = tm.expand(check_name(token, "entity type"))
        mentioned.add(iri)
        return lambda ts: iri in ts

    predicate = parse_or()
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos]!r}")
    return predicate, mentioned


def parse_georel(text: str) -> tuple[str, float | None, float | None]:
    parts = text.split(";")
    relation = parts[0]
    if relation not in RELATIONS:
        raise BadRequestData(f"invalid georel {relation!r}: use one of {', '.join(RELATIONS)}")
    max_d = min_d = None
    for modifier in parts[1:]:
        m = re.fullmatch(r"(maxDistance|minDistance)==(\d+(\.\d+)?)", modifier)
        if not m or relation != "near":
            raise BadRequestData(f"invalid georel modifier {modifier!r}")
        if m.group(1) == "maxDistance":
            max_d = float(m.group(2))
        else:
            min_d = float(m.group(2))
    if relation == "near" and max_d is None and min_d is None:
        raise BadRequestData("georel near needs maxDistance==N or minDistance==N (metres)")
    return relation, max_d, min_d


def parse_geo(
    georel: str | None,
    geometry: str | None,
    coordinates: Any,
    geoproperty: str | None,
    tm: TermMap,
) -> GeoFilter | None:
    if georel is None and geometry is None and coordinates is None:
        return None
    if not (georel and geometry and coordinates is not None):
        raise BadRequestData("a geo-query needs georel, geometry and coordinates together")
    relation, max_d, min_d = parse_georel(georel)
    if geometry not in GEOMETRY_TYPES:
        raise BadRequestData(f"invalid geometry {geometry!r}: use one of {GEOMETRY_TYPES}")
    if isinstance(coordinates, str):
        try:
            coordinates = orjson.loads(coordinates)
        except orjson.JSONDecodeError as exc:
            raise BadRequestData(f"coordinates are not a JSON array: {coordinates!r}") from exc
    try:
        geom = parse_query_geometry(geometry, coordinates)
    except GeometryError as exc:
        raise BadRequestData(f"invalid geo-query geometry: {exc}") from exc
    attr = tm.expand(check_name(geoproperty)) if geoproperty else LOCATION
    return GeoFilter(relation, geom, attr, max_d, min_d)


def geo_predicate(geo: GeoFilter) -> Predicate:
    query_shape = to_shape(geo.geometry)

    def holds(entity: Entity) -> bool:
        for inst in entity.attrs.get(geo.attr, ()):
            if inst.get("type") != "GeoProperty":
                continue
            if geo_relation_holds(
                geo.relation,
                to_shape(inst["value"]),
                query_shape,
                geo.max_distance,
                geo.min_distance,
            ):
                return True
        return False

    return holds


def build_query(params: Mapping[str, Any], tm: TermMap, exact_geo: bool) -> EntityQuery:
    """Parse GET /entities-style parameters (or a Query body's members) into an EntityQuery."""
    query = EntityQuery()
    ids: tuple[str, ...] | None = None
    any_types: tuple[str, ...] | None = None
    if params.get("id"):
        raw_ids = params["id"]
        id_list = raw_ids.split(",") if isinstance(raw_ids, str) else list(raw_ids)
        ids = tuple(check_uri(i.strip(), "entity id") for i in id_list)
    if params.get("idPattern"):
        pattern = compile_pattern(params["idPattern"], "idPattern")
        query.predicates.append(lambda e: bool(pattern.search(e.id)))
    if params.get("type"):
        type_pred, mentioned = parse_type_expression(params["type"], tm)
        any_types = tuple(sorted(mentioned))
        if "," in params["type"] or "|" in params["type"] or ";" in params["type"]:
            query.predicates.append(lambda e: type_pred(set(e.types)))
    if params.get("attrs"):
        names = [check_name(a.strip()) for a in str(params["attrs"]).split(",")]
        if any(n in ("id", "type", "@id", "@type") for n in names):
            raise BadRequestData("attrs names attributes; id and type are not attributes")
        wanted = {tm.expand(n) for n in names}
        query.predicates.append(lambda e: any(a in e.attrs for a in wanted))
    if params.get("q"):
        try:
            predicate, _ = compile_q(params["q"], tm)
        except QueryError:
            raise
        query.predicates.append(predicate)
    if params.get("scopeQ"):
        from cityhub.broker.scope import compile_scope_query

        query.predicates.append(compile_scope_query(str(params["scopeQ"])))
    geo = parse_geo(
        params.get("georel"),
        params.get("geometry"),
        params.get("coordinates"),
        params.get("geoproperty"),
        tm,
    )
    if geo is not None and not exact_geo:
        query.predicates.append(geo_predicate(geo))
    query.flt = EntityFilter(ids=ids, any_types=any_types, geo=geo)
    if params.get("orderBy"):
        from cityhub.broker.ordering import parse_order

        query.order = parse_order(str(params["orderBy"]), tm)
    return query


def has_selector(params: Mapping[str, Any]) -> bool:
    return any(params.get(k) for k in ("id", "idPattern", "type", "attrs", "q", "georel"))
