"""package_search over the catalog's package dictionaries: the parts of CKAN's Solr syntax that
clients use (q words and field:value terms, fq filters with negation, sort, paging, facets).

Catalogues hold thousands of datasets, not millions: the search runs over the dictionaries in
memory, which keeps one behaviour on both stores.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FIELDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "name": lambda p: [p["name"]],
    "id": lambda p: [p["id"]],
    "title": lambda p: [p["title"], p["title_en"]],
    "organization": lambda p: [p["owner_org"]],
    "owner_org": lambda p: [p["owner_org"]],
    "tags": lambda p: [t["name"] for t in p["tags"]],
    "groups": lambda p: [g["name"] for g in p["groups"]],
    "res_format": lambda p: [r["format"] for r in p["resources"]],
    "license_id": lambda p: [p["license_id"]],
    "frequency": lambda p: [p["frequency"]],
    "share_type": lambda p: [p["share_type"]],
    "open_type": lambda p: [p["open_type"]],
    "grade": lambda p: [p["grade"]],
    "level": lambda p: [str(p["level"])] if p["level"] is not None else [],
}
SORTS = {
    "name": lambda p: p["name"],
    "title_string": lambda p: p["title"],
    "metadata_modified": lambda p: p["metadata_modified"],
    "metadata_created": lambda p: p["metadata_created"],
    "score": lambda p: 0,
}
_TERM = re.compile(r'(-?)([A-Za-z_]+):(?:"([^"]*)"|(\S+))')
# Solr ranges over the dictionaries' times, as harvesters ask for what changed:
# metadata_modified:[2026-11-01T00:00:00Z TO *]
_RANGE = re.compile(r"(-?)(metadata_modified|metadata_created):\[(\S+) TO (\S+)\]")
Range = tuple[bool, str, datetime | None, datetime | None]


class SearchQueryError(ValueError):
    """A q, fq or sort CKAN would refuse (its 'Search Query Error')."""


@dataclass
class SearchResult:
    count: int
    results: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    sort: str


def _text_of(p: dict[str, Any]) -> str:
    parts = [p["name"], p["title"], p["title_en"], p["notes"], p["notes_en"]]
    parts += [t["name"] for t in p["tags"]] + [g["name"] for g in p["groups"]]
    parts += [p["organization"]["title"], p["owner_org"]]
    return " ".join(parts).lower()


def _moment(text: str) -> datetime | None:
    """A range end: '*' (open) or an ISO 8601 time (naive means UTC, as CKAN's are)."""
    if text == "*":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SearchQueryError(f"{text!r} is not a time (ISO 8601, or *)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ranges(text: str) -> tuple[list[Range], str]:
    """Time ranges (negated?, field, from, to) and the text left over."""
    found = [
        (m.group(1) == "-", m.group(2), _moment(m.group(3)), _moment(m.group(4)))
        for m in _RANGE.finditer(text)
    ]
    return found, _RANGE.sub(" ", text)


def _in_ranges(p: dict[str, Any], ranges: list[Range]) -> bool:
    for negated, field, low, high in ranges:
        at = _moment(str(p[field]))
        inside = at is not None and (low is None or at >= low) and (high is None or at <= high)
        if inside == negated:
            return False
    return True


def _terms(text: str) -> tuple[list[tuple[bool, str, str]], list[str]]:
    """field:value terms (negated?, field, value) and the words left over."""
    terms = []
    for m in _TERM.finditer(text):
        field, value = m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
        if field not in FIELDS:
            raise SearchQueryError(f"cannot search on field {field!r}")
        terms.append((m.group(1) == "-", field, value))
    rest = _TERM.sub(" ", text)
    words = [w for w in re.split(r"\s+", rest) if w and w not in ("AND", "*:*", "*")]
    return terms, words


def _matches(p: dict[str, Any], terms: list[tuple[bool, str, str]], words: list[str]) -> bool:
    for negated, field, value in terms:
        values = FIELDS[field](p)
        hit = (value == "*" and bool(values)) or value in values
        if hit == negated:
            return False
    if words:
        text = _text_of(p)
        return all(w.lower() in text for w in words if w != "OR")
    return True


def _sort_key(spec: str) -> list[tuple[str, bool]]:
    keys = []
    for part in spec.split(","):
        bits = part.split()
        if not bits:
            continue
        name = bits[0]
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        if name not in SORTS or direction not in ("asc", "desc") or len(bits) > 2:
            raise SearchQueryError(f"cannot sort by {part.strip()!r}")
        keys.append((name, direction == "desc"))
    return keys


def search(
    packages: list[dict[str, Any]],
    q: str = "",
    fq: str = "",
    sort: str = "score desc, metadata_modified desc",
    rows: int = 10,
    start: int = 0,
    facet_fields: list[str] | None = None,
    facet_limit: int = 50,
) -> SearchResult:
    q_ranges, q_rest = _ranges(q or "")
    fq_ranges, fq_rest = _ranges(fq or "")
    q_terms, q_words = _terms(q_rest)
    fq_terms, fq_words = _terms(fq_rest)
    if fq_words:
        raise SearchQueryError(f"fq takes field:value terms, not {fq_words[0]!r}")
    ranges = q_ranges + fq_ranges
    hits = [
        p for p in packages if _matches(p, q_terms + fq_terms, q_words) and _in_ranges(p, ranges)
    ]
    for name, descending in reversed(_sort_key(sort)):
        hits.sort(key=SORTS[name], reverse=descending)
    facets: dict[str, dict[str, int]] = {}
    for field in facet_fields or []:
        if field not in FIELDS:
            raise SearchQueryError(f"cannot facet on field {field!r}")
        counts: Counter[str] = Counter(v for p in hits for v in set(FIELDS[field](p)) if v)
        facets[field] = dict(counts.most_common(facet_limit))
    return SearchResult(len(hits), hits[start : start + rows], facets, sort)
