"""Common NGSI-LD URI parameters: options, limit/offset, projection, language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cityhub.broker.normalize import check_name
from cityhub.broker.render import RenderOptions
from cityhub.config import Settings
from cityhub.errors import BadRequestData, TooManyResults
from cityhub.jsonld import TermMap
from cityhub.limits import whole_number

_OPTIONS = {
    "keyValues",
    "concise",
    "normalized",
    "sysAttrs",
    "noOverwrite",
    "replace",
    "update",
    "temporalValues",
    "aggregatedValues",
    "audit",
    # `options=count`: how some clients (ngsildclient's temporal queries) ask for count=true
    "count",
}


def options_of(params: Mapping[str, str]) -> set[str]:
    found: set[str] = set()
    for key in ("options", "format"):
        raw = params.get(key)
        if raw is None:
            continue
        for opt in raw.split(","):
            opt = opt.strip()
            if opt not in _OPTIONS:
                raise BadRequestData(f"unknown {key} value {opt!r}")
            found.add(opt)
    if len(found & {"keyValues", "concise", "normalized"}) > 1:
        raise BadRequestData("choose one of keyValues, concise and normalized")
    return found


def _names(raw: str | None, tm: TermMap) -> frozenset[str] | None:
    if raw is None:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    return frozenset(n if n in ("id", "type") else tm.expand(check_name(n)) for n in names)


def render_options(params: Mapping[str, str], tm: TermMap) -> RenderOptions:
    opts = options_of(params)
    fmt = "keyValues" if "keyValues" in opts else "concise" if "concise" in opts else "normalized"
    attrs = _names(params.get("attrs"), tm)
    pick = _names(params.get("pick"), tm)
    omit = _names(params.get("omit"), tm) or frozenset()
    pick_members = None
    if pick is not None:
        pick_members = frozenset(n for n in pick if n in ("id", "type"))
        picked_attrs = frozenset(n for n in pick if n not in ("id", "type"))
        attrs = picked_attrs if attrs is None else attrs & picked_attrs
    lang = params.get("lang")
    return RenderOptions(
        format=fmt,
        sys_attrs="sysAttrs" in opts,
        attrs=attrs,
        omit=omit,
        lang=tuple(x.strip() for x in lang.split(",")) if lang else None,
        pick_members=pick_members,
    )


MAX_OFFSET = 1_000_000_000


def _int(params: Mapping[str, str], key: str, default: int) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    return whole_number(raw, key, 0, MAX_OFFSET)


def paging(params: Mapping[str, str], settings: Settings) -> tuple[int, int, bool]:
    limit = _int(params, "limit", settings.default_limit)
    offset = _int(params, "offset", 0)
    if limit > settings.max_limit:
        raise TooManyResults(f"limit {limit} is above the maximum of {settings.max_limit}")
    count_raw = params.get("count", "false")
    if count_raw not in ("true", "false"):
        raise BadRequestData("count must be true or false")
    count = count_raw == "true" or "count" in options_of(params)
    if limit == 0 and not count:
        raise BadRequestData("limit=0 is only allowed together with count=true")
    return limit, offset, count


def flag(params: Mapping[str, Any], key: str) -> bool:
    raw = params.get(key, "false")
    if raw not in ("true", "false"):
        raise BadRequestData(f"{key} must be true or false")
    return bool(raw == "true")
