"""SQL for temporal history shared by both dialects (only the placeholder differs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from cityhub.store import rollups
from cityhub.store.records import Bucket, HistoryQuery, HistoryRow

HISTORY_COLUMNS = (
    "entity_id, attr, instance_id, dataset_id, observed_us, modified_us, value_num, value_key, "
    "instance, deleted_us"
)
_TIME_COLUMNS = {"observed_us", "modified_us", "deleted_us"}


def copy_sql() -> str:
    """PostgreSQL's COPY of history rows, columns as `insert_sql`'s."""
    return f"COPY attr_history (tenant, {HISTORY_COLUMNS}) FROM STDIN"


def insert_sql(mark: str) -> str:
    marks = ", ".join([mark] * 11)
    return f"INSERT INTO attr_history (tenant, {HISTORY_COLUMNS}) VALUES ({marks})"


def history_where(tenant: str, query: HistoryQuery, mark: str) -> tuple[str, list[Any]]:
    if query.time_column not in _TIME_COLUMNS:
        raise ValueError(f"unknown time column {query.time_column}")
    col = query.time_column
    clauses = [f"tenant = {mark}", f"entity_id IN ({', '.join([mark] * len(query.entity_ids))})"]
    params: list[Any] = [tenant, *query.entity_ids]
    # deletions are instances of their own, read only when asked for by their time
    clauses.append("deleted_us IS NOT NULL" if col == "deleted_us" else "deleted_us IS NULL")
    if query.attrs is not None:
        clauses.append(f"attr IN ({', '.join([mark] * len(query.attrs))})")
        params.extend(query.attrs)
    if query.start_us is not None:
        clauses.append(f"{col} >= {mark}")
        params.append(query.start_us)
    if query.end_us is not None:
        clauses.append(f"{col} < {mark}")
        params.append(query.end_us)
    return " AND ".join(clauses), params


def select_sql(tenant: str, query: HistoryQuery, mark: str) -> tuple[str, list[Any]]:
    """Instances in time order; with last_n (first_n), the newest (oldest) N per entity and
    attribute."""
    where, params = history_where(tenant, query, mark)
    col = query.time_column
    if query.last_n is None and query.first_n is None:
        return (
            f"SELECT {HISTORY_COLUMNS} FROM attr_history WHERE {where} "
            f"ORDER BY entity_id, attr, {col}, id",
            params,
        )
    newest = query.last_n is not None
    direction = "DESC" if newest else "ASC"
    return (
        f"SELECT {HISTORY_COLUMNS} FROM (SELECT {HISTORY_COLUMNS}, id, {col} AS t_, "
        f"row_number() OVER (PARTITION BY entity_id, attr ORDER BY {col} {direction}, "
        f"id {direction}) AS rn_ "
        f"FROM attr_history WHERE {where}) AS recent WHERE rn_ <= {mark} "
        "ORDER BY entity_id, attr, t_, id",
        [*params, query.last_n if newest else query.first_n],
    )


def aggregate_sql(
    tenant: str, query: HistoryQuery, start_us: int, period_us: int, mark: str
) -> tuple[str, list[Any]]:
    """Per-period aggregates pushed down to SQL (integer division buckets the time axis)."""
    where, params = history_where(tenant, query, mark)
    col = query.time_column
    bucket = f"(({col} - {mark}) / {mark})"
    sql = (
        f"SELECT entity_id, attr, {bucket} AS bucket, count(*), count(DISTINCT value_key), "
        "sum(value_num), avg(value_num), min(value_num), max(value_num), "
        "sum(value_num * value_num) "
        f"FROM attr_history WHERE {where} AND {col} >= {mark} "
        "GROUP BY entity_id, attr, bucket ORDER BY entity_id, attr, bucket"
    )
    return sql, [start_us, period_us, *params, start_us]


def row_to_history(row: tuple[Any, ...], instance: dict[str, Any]) -> HistoryRow:
    deleted = None if row[9] is None else int(row[9])
    return HistoryRow(
        row[0], row[1], row[2], row[3], int(row[4]), int(row[5]), row[6], row[7], instance, deleted
    )


def row_to_bucket(row: tuple[Any, ...]) -> Bucket:
    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    return Bucket(
        row[0],
        row[1],
        int(row[2]),
        int(row[3]),
        int(row[4]),
        num(row[5]),
        num(row[6]),
        num(row[7]),
        num(row[8]),
        num(row[9]),
    )


def history_params(tenant: str, row: HistoryRow, instance: Any) -> tuple[Any, ...]:
    """The insert's parameters: the row's fields are in the column order, the instance encoded."""
    return (tenant, *row[:8], instance, row.deleted_us)


class HistoryReadsMixin:
    """Reading and aggregating history, for a store that provides `_run`, `_mark`, `_json_out`."""

    _mark: str

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _json_out(self, value: Any) -> dict[str, Any]:
        if isinstance(value, memoryview):
            value = bytes(value)
        out = orjson.loads(value) if isinstance(value, bytes | str) else value
        assert isinstance(out, dict)
        return out

    def iter_history(self, tenant: str, query: HistoryQuery) -> Iterator[HistoryRow]:
        if not query.entity_ids:
            return
        sql, params = select_sql(tenant, query, self._mark)
        for row in self._run(sql, params):
            yield row_to_history(row, self._json_out(row[8]))

    def aggregate_history(
        self,
        tenant: str,
        query: HistoryQuery,
        start_us: int,
        period_us: int,
        methods: tuple[str, ...] = (),
    ) -> list[Bucket]:
        """Per-period aggregates; whole-hour periods read the hourly rollups."""
        if not query.entity_ids:
            return []
        if rollups.usable(query, methods, start_us, period_us):
            sql, params = rollups.aggregate_sql(tenant, query, start_us, period_us, self._mark)
        else:
            sql, params = aggregate_sql(tenant, query, start_us, period_us, self._mark)
        return [row_to_bucket(r) for r in self._run(sql, params)]
