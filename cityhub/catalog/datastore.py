"""A query on a dataset's rows, as the catalog's readers ask it (filters, text search, sort,
fields, paging); the store turns it into SQL (cityhub.store.datastore_sql)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_LIMIT = 32_000


@dataclass
class RowQuery:
    filters: dict[str, list[Any]] = field(default_factory=dict)
    q: dict[str, str] = field(default_factory=dict)  # column ('' = every searchable one) -> text
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    fields: list[str] | None = None
    limit: int = 100
    offset: int = 0
