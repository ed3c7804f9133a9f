"""SQL for reading a stored table version (a cityhub.catalog.datastore.RowQuery): filters, text
search, sort, paging, and the partial expression indexes that make filters on chosen columns
fast. Rows are JSON arrays in the order of the version's columns; `_id` is the row number. The
table id is written into the text as an integer literal so that the planner can match the
per-table partial indexes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cityhub.catalog.datastore import MAX_LIMIT, RowQuery
from cityhub.catalog.schema import Column, typed_filter_value
from cityhub.errors import BadRequestData
from cityhub.limits import INT64_MAX, whole_number

_NUMERIC = ("integer", "number")


def value_expr(dialect: str, index: int, kind: str) -> str:
    """The SQL expression of one cell, typed so that comparisons and sorting are right."""
    if dialect == "sqlite":
        cell = f"json_extract(data, '$[{index}]')"
        return cell if kind in (*_NUMERIC, "boolean") else f"CAST({cell} AS TEXT)"
    if kind in _NUMERIC:
        return f"(data->>{index})::numeric"
    if kind == "boolean":
        return f"(data->>{index})::boolean"
    return f"(data->>{index})"


def index_name(table_id: int, index: int) -> str:
    return f"catalog_rows_t{int(table_id)}_c{int(index)}"


def index_sql(dialect: str, table_id: int, index: int, kind: str) -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {index_name(table_id, index)} ON catalog_rows "
        f"({value_expr(dialect, index, kind)}) WHERE table_id = {int(table_id)}"
    )


def drop_index_sql(table_id: int, index: int) -> str:
    return f"DROP INDEX IF EXISTS {index_name(table_id, index)}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_sql(
    dialect: str,
    table_id: int,
    columns: Sequence[Column],
    query: RowQuery,
    searchable: Sequence[str],
) -> tuple[str, list[Any]]:
    """The WHERE clause (with table id) and its parameters; unknown columns are refused."""
    mark = "?" if dialect == "sqlite" else "%s"
    by_name = {c.id: (i, c) for i, c in enumerate(columns)}
    clauses = [f"table_id = {int(table_id)}"]
    params: list[Any] = []
    for name, values in query.filters.items():
        if name == "_id":
            clauses.append(f"row_no IN ({', '.join([mark] * len(values))})")
            params.extend(_row_numbers(values))
            continue
        if name not in by_name:
            raise BadRequestData(f"filters: no field {name!r}")
        i, column = by_name[name]
        expr = value_expr(dialect, i, column.type)
        typed = [typed_filter_value(column, v) for v in values]
        if any(v is None for v in typed):
            clauses.append(f"{expr} IS NULL")
            typed = [v for v in typed if v is not None]
            if typed:
                clauses[-1] = f"({expr} IS NULL OR {expr} IN ({', '.join([mark] * len(typed))}))"
        else:
            clauses.append(f"{expr} IN ({', '.join([mark] * len(typed))})")
        params.extend(typed)
    like = "LIKE" if dialect == "sqlite" else "ILIKE"
    for name, text in query.q.items():
        targets = list(searchable) if name == "" else [name]
        for target in targets:
            if target not in by_name:
                raise BadRequestData(f"q: no field {target!r}")
        if not targets:
            clauses.append("1 = 0")
            continue
        pattern = f"%{_escape_like(text)}%"
        if name == "" and len(targets) == len(columns):
            # every column may be searched: one pass over the row's JSON text
            whole = "data" if dialect == "sqlite" else "data::text"
            clauses.append(f"{whole} {like} {mark} ESCAPE '\\'")
            params.append(pattern)
            continue
        ors = []
        for target in targets:
            i, _ = by_name[target]
            ors.append(f"{value_expr(dialect, i, 'text')} {like} {mark} ESCAPE '\\'")
            params.append(pattern)
        clauses.append("(" + " OR ".join(ors) + ")")
    return " AND ".join(clauses), params


def _row_numbers(values: list[Any]) -> list[int]:
    return [whole_number(v, "filters: _id (a row number)", 0, INT64_MAX) for v in values]


def order_sql(dialect: str, columns: Sequence[Column], sort: list[tuple[str, bool]]) -> str:
    by_name = {c.id: (i, c) for i, c in enumerate(columns)}
    parts = []
    for name, descending in sort:
        if name == "_id":
            parts.append(f"row_no {'DESC' if descending else 'ASC'}")
            continue
        if name not in by_name:
            raise BadRequestData(f"sort: no field {name!r}")
        i, column = by_name[name]
        direction = "DESC" if descending else "ASC"
        nulls = " NULLS LAST" if dialect == "postgres" and not descending else ""
        parts.append(f"{value_expr(dialect, i, column.type)} {direction}{nulls}")
    parts.append("row_no")
    return ", ".join(parts)


def select_sql(
    dialect: str,
    table_id: int,
    columns: Sequence[Column],
    query: RowQuery,
    searchable: Sequence[str],
    rows: int | None = None,
) -> tuple[str, list[Any], str]:
    """(page SQL, parameters, count SQL); both statements take the same parameters.

    `rows` is the version's row count: row numbers run densely from 1, so an unfiltered page in
    row order seeks to its first row instead of walking past `offset` index entries."""
    if not 0 <= query.limit <= MAX_LIMIT:
        raise BadRequestData(f"limit must be between 0 and {MAX_LIMIT}")
    if query.offset < 0:
        raise BadRequestData("offset must not be negative")
    where, params = where_sql(dialect, table_id, columns, query, searchable)
    order = order_sql(dialect, columns, query.sort)
    count = f"SELECT count(*) FROM catalog_rows WHERE {where}"
    by_row = not query.filters and not query.q and [n for n, _ in query.sort] in ([], ["_id"])
    if rows is not None and by_row:
        descending = bool(query.sort) and query.sort[0][1]
        seek = (
            f"row_no <= {int(rows) - int(query.offset)} ORDER BY row_no DESC"
            if descending
            else f"row_no > {int(query.offset)} ORDER BY row_no"
        )
        page = (
            f"SELECT row_no, data FROM catalog_rows WHERE {where} AND {seek} "
            f"LIMIT {int(query.limit)}"
        )
        return page, params, count
    page = (
        f"SELECT row_no, data FROM catalog_rows WHERE {where} ORDER BY {order} "
        f"LIMIT {int(query.limit)} OFFSET {int(query.offset)}"
    )
    return page, params, count
