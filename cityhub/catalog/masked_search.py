"""Searching and sorting for a reader who sees personal data masked: over what they see.

A masked reader may filter and search, but the answer must depend only on the masked values;
otherwise each query reveals a little of what is hidden (a phone number found digit by digit
with `q=回电1381234`, birth dates ranked by sorting on an ID column). So:
- filters and `q` naming a column that holds personal data are refused, as is a filter or
  search text that itself holds personal data;
- a text search is run in SQL over the raw values (every row whose masked text contains a
  term without '*' also contains it raw, so this finds a superset), then each candidate is
  masked and kept only if its masked text contains the term;
- sorting by a text column is done on the masked values;
- both work over at most MAX_SCAN candidate rows; a broader search is refused with a clear
  message (narrow it with a filter), so one request never scans without bound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from cityhub.catalog import datastore
from cityhub.catalog.policy import apply_mask
from cityhub.catalog.schema import Column
from cityhub.catalog.sensitive import find
from cityhub.errors import BadRequestData, Forbidden
from cityhub.store.catalog_sql import CatalogRepository

MAX_SCAN = 20_000
Plan = Sequence[frozenset[str] | None]  # per column: kinds to mask with, or None (shown raw)


def guard(query: datastore.RowQuery, columns: Sequence[Column], plan: Plan) -> None:
    """Refuse finding rows by personal data the reader cannot see."""
    personal = {c.id for c, kinds in zip(columns, plan, strict=True) if kinds}
    masked = {c.id for c, kinds in zip(columns, plan, strict=True) if kinds is not None}
    for name in [*query.filters, *(k for k in query.q if k)]:
        if name in personal:
            raise Forbidden(f"{name} holds personal data: searching it needs unmasked access")
    for name, text in query.q.items():
        if (name == "" or name in masked) and find(text):
            raise Forbidden("the search text contains personal data: it needs unmasked access")
    for name, values in query.filters.items():
        if name in masked and any(isinstance(v, str) and find(v) for v in values):
            raise Forbidden("the filter contains personal data: it needs unmasked access")


def needs_scan(query: datastore.RowQuery, columns: Sequence[Column], plan: Plan) -> bool:
    """Whether SQL over the raw values could answer differently from the masked values."""
    if query.q:
        return True
    shown = {c.id: (c, kinds) for c, kinds in zip(columns, plan, strict=True)}
    for name, _ in query.sort:
        column, kinds = shown.get(name, (None, None))
        if column is not None and kinds is not None and (kinds or column.type == "text"):
            return True
    return False


def _contains(haystack: str, needle: str) -> bool:
    return needle.casefold() in haystack.casefold()


def _sort_key(column: Column, index: int) -> Callable[[tuple[int, list[Any]]], Any]:
    numeric = column.type in ("integer", "number")

    def key(row: tuple[int, list[Any]]) -> Any:
        value = row[1][index] if index < len(row[1]) else None
        if value is None:
            return (1, 0.0 if numeric else "")
        if numeric and isinstance(value, int | float) and not isinstance(value, bool):
            return (0, float(value))
        return (0, str(value) if not numeric else float("inf"))

    return key


def scan(
    rows: CatalogRepository,
    table_id: int,
    columns: Sequence[Column],
    plan: Plan,
    query: datastore.RowQuery,
    searchable: Sequence[str],
) -> tuple[list[tuple[int, list[Any]]], int]:
    """(the page of (row number, masked values), total) for a masked reader."""
    candidates_query = datastore.RowQuery(
        filters=query.filters, q=query.q, sort=[], limit=MAX_SCAN + 1, offset=0
    )
    found = rows.read_rows(table_id, columns, candidates_query, searchable)
    if len(found) > MAX_SCAN:
        raise BadRequestData(
            f"this search or sort reaches more than {MAX_SCAN:,} rows, too many to check against "
            "what you may see: narrow it with a filter or a longer search text"
        )
    names = [c.id for c in columns]
    index = {n: i for i, n in enumerate(names)}
    kept: list[tuple[int, list[Any]]] = []
    for row_no, data in found:
        raw = orjson.loads(data) if isinstance(data, bytes | str) else data
        values = apply_mask(raw, plan)
        if all(_matches(values, names, index, searchable, n, t) for n, t in query.q.items()):
            kept.append((int(row_no), values))
    for name, descending in reversed(query.sort):
        if name == "_id":
            kept.sort(key=lambda r: r[0], reverse=descending)
        else:
            kept.sort(key=_sort_key(columns[index[name]], index[name]), reverse=descending)
    return kept[query.offset : query.offset + query.limit], len(kept)


def _matches(
    values: list[Any],
    names: list[str],
    index: dict[str, int],
    searchable: Sequence[str],
    name: str,
    text: str,
) -> bool:
    if name == "" and len(searchable) == len(names):
        return _contains(orjson.dumps(values).decode(), text)
    targets = list(searchable) if name == "" else [name]
    return any(
        _contains(str(values[index[t]]), text)
        for t in targets
        if index[t] < len(values) and values[index[t]] is not None
    )
