"""Aggregation shared by both stores: entity types and their attributes, for discovery."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cityhub.store.records import TypeSummary


def summarise_types(rows: Iterable[Any]) -> list[TypeSummary]:
    """Rows of (types, attr_index) -> one summary per entity type."""
    counts: dict[str, int] = {}
    attrs: dict[str, dict[str, set[str]]] = {}
    attr_counts: dict[str, dict[str, int]] = {}
    for types, attr_index in rows:
        pairs = [line.split(" ", 1) for line in attr_index.split("\n") if line]
        for etype in types.split("\n"):
            counts[etype] = counts.get(etype, 0) + 1
            bucket = attrs.setdefault(etype, {})
            counts_bucket = attr_counts.setdefault(etype, {})
            for kind, name in pairs:
                bucket.setdefault(name, set()).add(kind)
            for name in {name for _, name in pairs}:
                counts_bucket[name] = counts_bucket.get(name, 0) + 1
    return [TypeSummary(t, counts[t], attrs[t], attr_counts[t]) for t in sorted(counts)]
