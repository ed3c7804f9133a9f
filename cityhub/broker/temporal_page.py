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
) -> tuple[list[HistoryRow], TemporalPage | None]:
    """The rows of one page (in time order per attribute) and its range, or None when whole."""
    column = query.time_column
    groups: dict[tuple[str, str], list[HistoryRow]] = defaultdict(list)
    for row in rows:
        groups[(row.entity_id, row.attr)].append(row)
    newest = query.last_n is not None
    over = [g for g in groups.values() if len(g) > limit]
    if not over:
        return rows, None
    at = {id(r): int(getattr(r, column)) for r in rows}
    if newest:  # keep the newest `limit`: the page reaches back to the latest oldest kept
        edge = max(at[id(g[len(g) - limit])] for g in over)
        kept = [r for r in rows if at[id(r)] >= edge]
        start = asked.end_us if asked.end_us is not None else max(at[id(r)] for r in kept)
        return kept, TemporalPage(start, edge, asked.last_n)
    edge = min(at[id(g[limit - 1])] for g in over)
    kept = [r for r in rows if at[id(r)] <= edge]
    start = asked.start_us if asked.start_us is not None else min(at[id(r)] for r in kept)
    return kept, TemporalPage(start, edge, None)
