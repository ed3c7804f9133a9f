"""Temporal pagination (NGSI-LD 6.3.10): one answer holds at most `limit` instances per entity
and attribute. When an attribute has more in the asked window, the answer covers a shorter time
range — the same range for every attribute — and says which with `Content-Range: date-time
START-END/SIZE` (206): ascending from the window's start without lastN, descending from its end
with lastN (SIZE is lastN, else `*`). The client asks again from END for the rest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from cityhub.broker import temporal
from cityhub.store.records import HistoryQuery, HistoryRow


@dataclass(frozen=True)
class TemporalPage:
    start_us: int
    end_us: int
    size: int | None  # lastN, or None for "*"

    def content_range(self) -> str:
        size = "*" if self.size is None else str(self.size)
        return f"date-time {temporal.iso(self.start_us)}-{temporal.iso(self.end_us)}/{size}"


def bounded(query: HistoryQuery, limit: int) -> HistoryQuery:
    """The query to run: one more instance than the limit, to see whether there are more."""
    if query.last_n is not None:
        return query if query.last_n <= limit else replace(query, last_n=limit + 1)
    return replace(query, first_n=limit + 1)


def cut(
    rows: list[HistoryRow], query: HistoryQuery, limit: int, asked: HistoryQuery
) -> tuple[list[HistoryRow], TemporalPage | None, dict[str, list[str]]]:
    """The rows of one page (in time order per attribute), its range (None when whole), and per
    entity the attributes the cut left without instances (shown empty). Every entity is cut at
    the same edge — the nearest to the page's start of any attribute's `limit`-th instance — so
    that asking again from the range's end returns each instance once."""
    column = query.time_column
    by_entity: dict[str, dict[str, list[HistoryRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_entity[row.entity_id][row.attr].append(row)
    newest = query.last_n is not None
    edges = [
        int(getattr(g[len(g) - limit] if newest else g[limit - 1], column))
        for groups in by_entity.values()
        for g in groups.values()
        if len(g) > limit
    ]
    if not edges:
        return rows, None, {}
    edge = max(edges) if newest else min(edges)
    kept: list[HistoryRow] = []
    emptied: dict[str, list[str]] = {}
    for entity_id, groups in by_entity.items():
        for name, group in groups.items():
            inside = [
                r
                for r in group
                if (int(getattr(r, column)) >= edge if newest else int(getattr(r, column)) <= edge)
            ]
            if not inside:
                emptied.setdefault(entity_id, []).append(name)
            kept.extend(inside)
    times = [int(getattr(r, column)) for r in kept] or edges
    if newest:
        start = asked.end_us if asked.end_us is not None else max(times)
        return kept, TemporalPage(start, edge, asked.last_n), emptied
    start = asked.start_us if asked.start_us is not None else min(times)
    return kept, TemporalPage(start, edge, None), emptied
