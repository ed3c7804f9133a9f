"""Stored entities -> NGSI-LD representations (normalized, concise, keyValues, GeoJSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.broker.normalize import ATTRIBUTE_TYPES
from cityhub.jsonld import TermMap
from cityhub.store.records import Entity, Instance

_SYS = ("createdAt", "modifiedAt", "deletedAt")  # deletedAt: on a deletion as notified
_ALWAYS = ("observedAt", "unitCode", "datasetId", "lang")
# Only in notifications with showChanges (cityhub.broker.change_view): never stored.
_PREVIOUS = (
    "previousValue",
    "previousObject",
    "previousLanguageMap",
    "previousJson",
    "previousVocab",
)


@dataclass(frozen=True)
class RenderOptions:
    format: str = "normalized"  # normalized | concise | keyValues
    sys_attrs: bool = False
    attrs: frozenset[str] | None = None  # expanded names to keep (pick/attrs)
    omit: frozenset[str] = frozenset()  # expanded names, or "id"/"type", to drop
    lang: tuple[str, ...] | None = None
    pick_members: frozenset[str] | None = None  # with pick: which of id/type to keep


def choose_language(language_map: dict[str, Any], wanted: tuple[str, ...]) -> tuple[str, Any]:
    for lang in wanted:
        if lang == "*":
            break
        base = lang.split(";")[0].strip()
        if base in language_map:
            return base, language_map[base]
    if "@none" in language_map:
        return "@none", language_map["@none"]
    first = next(iter(language_map))
    return first, language_map[first]


def _simple_value(inst: Instance, tm: TermMap, opts: RenderOptions) -> Any:
    kind = inst.get("type", "Property")
    if kind == "VocabProperty":
        vocab = inst["vocab"]
        return [tm.compact(v) for v in vocab] if isinstance(vocab, list) else tm.compact(vocab)
    if kind == "LanguageProperty" and opts.lang is not None:
        return choose_language(inst["languageMap"], opts.lang)[1]
    return inst.get(ATTRIBUTE_TYPES.get(kind, "value"))


def render_instance(inst: Instance, tm: TermMap, opts: RenderOptions) -> Any:
    kind = inst.get("type", "Property")
    if opts.format == "keyValues":
        return _simple_value(inst, tm, opts)
    out: dict[str, Any] = {"type": kind}
    key = ATTRIBUTE_TYPES.get(kind, "value")
    if kind == "LanguageProperty" and opts.lang is not None:
        lang, text = choose_language(inst["languageMap"], opts.lang)
        out = {"type": "Property", "value": text, "lang": lang}
    elif kind == "VocabProperty":
        out["vocab"] = _simple_value(inst, tm, opts)
    else:
        out[key] = inst.get(key)
    if "objectType" in inst:
        types = [tm.compact(t) for t in inst["objectType"]]
        out["objectType"] = types[0] if len(types) == 1 else types
    for member in (*_ALWAYS, *_PREVIOUS):
        if member in inst and member not in out:
            out[member] = inst[member]
    if "previousVocab" in out:  # a vocab is shown compacted, before and after
        old = out["previousVocab"]
        out["previousVocab"] = (
            [tm.compact(v) for v in old] if isinstance(old, list) else tm.compact(old)
        )
    if opts.sys_attrs:
        for member in _SYS:
            if member in inst:
                out[member] = inst[member]
    for member, sub in inst.items():
        if ":" in member and isinstance(sub, dict):
            out[tm.compact(member)] = render_instance(sub, tm, opts)
    if opts.format == "concise":
        return _concise(out)
    return out


def _concise(out: dict[str, Any]) -> Any:
    kind = out.pop("type")
    if kind == "Property" and "lang" not in out and len(out) == 1:
        value = out["value"]
        if not isinstance(value, dict):
            return value
    if kind == "GeoProperty" and len(out) == 1:
        return out["value"]
    return out


def render_attribute(instances: list[Instance], tm: TermMap, opts: RenderOptions) -> Any:
    if opts.format == "keyValues":
        default = next((i for i in instances if "datasetId" not in i), instances[0])
        return render_instance(default, tm, opts)
    rendered = [render_instance(i, tm, opts) for i in instances]
    return rendered[0] if len(rendered) == 1 else rendered


def render_entity(entity: Entity, tm: TermMap, opts: RenderOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keep_member = opts.pick_members
    if "id" not in opts.omit and (keep_member is None or "id" in keep_member):
        out["id"] = entity.id
    if "type" not in opts.omit and (keep_member is None or "type" in keep_member):
        types = [tm.compact(t) for t in entity.types]
        out["type"] = types[0] if len(types) == 1 else types
    if entity.scope:
        out["scope"] = entity.scope[0] if len(entity.scope) == 1 else entity.scope
    for name, instances in entity.attrs.items():
        if opts.attrs is not None and name not in opts.attrs:
            continue
        if name in opts.omit or not instances:
            continue
        out[tm.compact(name)] = render_attribute(instances, tm, opts)
    if opts.sys_attrs:  # in keyValues too: the entity's own times, not its attributes'
        out["createdAt"] = entity.created_at
        out["modifiedAt"] = entity.modified_at
    return out


def render_feature(
    entity: Entity, tm: TermMap, opts: RenderOptions, geoproperty: str
) -> dict[str, Any]:
    """GeoJSON Feature representation (Accept: application/geo+json)."""
    body = render_entity(entity, tm, opts)
    geometry = None
    for inst in entity.attrs.get(geoproperty, []):
        if inst.get("type") == "GeoProperty":
            geometry = inst["value"]
            break
    properties = {k: v for k, v in body.items() if k != "id"}
    return {"id": entity.id, "type": "Feature", "geometry": geometry, "properties": properties}


def feature_collection(
    entities: list[Entity], tm: TermMap, opts: RenderOptions, geoproperty: str
) -> dict[str, Any]:
    """A query's answer as GeoJSON (Accept: application/geo+json)."""
    return {
        "type": "FeatureCollection",
        "features": [render_feature(e, tm, opts, geoproperty) for e in entities],
    }
