"""Hourly rollups of attribute history: folded on write, rebuilt after deletes, read when an
aggregation's periods are whole hours and its methods can be combined from hourly parts."""

from __future__ import annotations

from typing import Any

from cityhub.store.records import HistoryQuery, HistoryRow

HOUR_US = 3_600_000_000
KEY_MAX = 64  # longer value keys (free text, objects) are not counted per hour
# A sum that stays NULL while neither side has a number (an hour of only text values), as a
# rebuild from raw history leaves it.
_SUM = "coalesce(attr_rollup.{c} + excluded.{c}, attr_rollup.{c}, excluded.{c})"
ROLLUP_METHODS = {"totalCount", "sum", "avg", "min", "max", "stddev", "sumsq"}


def fold(rows: list[HistoryRow]) -> list[tuple[Any, ...]]:
    """(entity, attr, hour, n, n_num, total, low, high, sumsq) per hour touched by the rows."""
    parts: dict[tuple[str, str, int], list[Any]] = {}
    for r in rows:
        if r.deleted_us is not None:  # a deletion is no observation
            continue
        key = (r.entity_id, r.attr, r.observed_us - r.observed_us % HOUR_US)
        p = parts.setdefault(key, [0, 0, None, None, None, None])
        p[0] += 1
        v = r.value_num
        if v is not None:
            p[1] += 1
            p[2] = v if p[2] is None else p[2] + v
            p[3] = v if p[3] is None else min(p[3], v)
            p[4] = v if p[4] is None else max(p[4], v)
            p[5] = v * v if p[5] is None else p[5] + v * v
    return [(*k, *p) for k, p in parts.items()]


def fold_keys(rows: list[HistoryRow]) -> list[tuple[Any, ...]]:
    """(entity, attr, hour, value key, n) for the rows whose value is categorical."""
    counts: dict[tuple[str, str, int, str], int] = {}
    for r in rows:
        key = r.value_key
        if r.value_num is None and key is not None and len(key) <= KEY_MAX:
            slot = (r.entity_id, r.attr, r.observed_us - r.observed_us % HOUR_US, key)
            counts[slot] = counts.get(slot, 0) + 1
    return [(*k, n) for k, n in counts.items()]


def upsert_keys_sql(mark: str) -> str:
    marks = ", ".join([mark] * 6)
    return (
        "INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, value_key, n) "
        f"VALUES ({marks}) ON CONFLICT (tenant, entity_id, attr, hour_us, value_key) "
        "DO UPDATE SET n = attr_rollup_keys.n + excluded.n"
    )


def upsert_sql(mark: str, dialect: str) -> str:
    """Add folded parts to the stored hours (NULL-safe min/max in both dialects)."""
    if dialect == "postgres":
        low, high = (
            "LEAST(attr_rollup.low, excluded.low)",
            "GREATEST(attr_rollup.high, excluded.high)",
        )
    else:
        low = (
            "min(coalesce(attr_rollup.low, excluded.low), coalesce(excluded.low, attr_rollup.low))"
        )
        high = (
            "max(coalesce(attr_rollup.high, excluded.high), "
            "coalesce(excluded.high, attr_rollup.high))"
        )
    marks = ", ".join([mark] * 10)
    return (
        "INSERT INTO attr_rollup (tenant, entity_id, attr, hour_us, n, n_num, total, low, high, "
        f"sumsq) VALUES ({marks}) ON CONFLICT (tenant, entity_id, attr, hour_us) DO UPDATE SET "
        "n = attr_rollup.n + excluded.n, n_num = attr_rollup.n_num + excluded.n_num, "
        f"total = {_SUM.format(c='total')}, "
        f"low = {low}, high = {high}, "
        f"sumsq = {_SUM.format(c='sumsq')}"
    )


def upsert_arrays_sql() -> str:
    """PostgreSQL: `upsert_sql` for many hours in one statement, the parts passed as one array
    per column (tenant, then entities, attrs, hours, n, n_num, total, low, high, sumsq), sent
    in binary (`%b`): quoting thousands of values as text costs more than the statement."""
    return (
        "INSERT INTO attr_rollup (tenant, entity_id, attr, hour_us, n, n_num, total, low, high, "
        "sumsq) SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::bigint[], "
        "%b::bigint[], %b::float8[], %b::float8[], %b::float8[], %b::float8[]) "
        "ON CONFLICT (tenant, entity_id, attr, hour_us) DO UPDATE SET "
        "n = attr_rollup.n + excluded.n, n_num = attr_rollup.n_num + excluded.n_num, "
        f"total = {_SUM.format(c='total')}, "
        "low = LEAST(attr_rollup.low, excluded.low), "
        "high = GREATEST(attr_rollup.high, excluded.high), "
        f"sumsq = {_SUM.format(c='sumsq')}"
    )


def upsert_keys_arrays_sql() -> str:
    """PostgreSQL: `upsert_keys_sql` for many rows in one statement, one array per column."""
    return (
        "INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, value_key, n) "
        "SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::text[], "
        "%b::bigint[]) ON CONFLICT (tenant, entity_id, attr, hour_us, value_key) "
        "DO UPDATE SET n = attr_rollup_keys.n + excluded.n"
    )


def columns(parts: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column (for `unnest`)."""
    return [list(column) for column in zip(*parts, strict=True)]


# The moment before which an entity's raw rows may have been pruned (history retention):
# the latest of its types' (table history_pruned); takes (tenant, entity).
_PRUNED_FLOOR = (
    "(SELECT coalesce(max(p.before_us), 0) FROM history_pruned p "
    "JOIN entity_types t ON t.tenant = p.tenant AND t.type = p.type "
    "JOIN entities e ON e.pk = t.entity_pk WHERE e.tenant = {m} AND e.id = {m})"
)


def rebuild_sql(mark: str, with_attr: bool, keep_pruned: bool = True) -> tuple[str, ...]:
    """Statements that recompute an entity's (or one attribute's) hours from raw history; each
    takes (tenant, entity) or (tenant, entity, attr), and with `keep_pruned` (tenant, entity)
    again: the hours whose raw rows retention has deleted are then left as they are (their
    roll-ups are all that is kept of them)."""
    where = raw = f"tenant = {mark} AND entity_id = {mark}" + (
        f" AND attr = {mark}" if with_attr else ""
    )
    if keep_pruned:
        floor = _PRUNED_FLOOR.format(m=mark)
        where, raw = f"{where} AND hour_us >= {floor}", f"{raw} AND observed_us >= {floor}"
    hour = f"((observed_us / {HOUR_US}) * {HOUR_US})"  # integer division in both dialects
    observed = f"{raw} AND deleted_us IS NULL"  # a deletion is no observation
    delete = f"DELETE FROM attr_rollup WHERE {where}"
    insert = (
        "INSERT INTO attr_rollup (tenant, entity_id, attr, hour_us, n, n_num, total, low, high, "
        f"sumsq) SELECT tenant, entity_id, attr, {hour}, count(*), count(value_num), "
        "sum(value_num), min(value_num), max(value_num), sum(value_num * value_num) "
        f"FROM attr_history WHERE {observed} GROUP BY tenant, entity_id, attr, {hour}"
    )
    delete_keys = f"DELETE FROM attr_rollup_keys WHERE {where}"
    insert_keys = (
        "INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, value_key, n) "
        f"SELECT tenant, entity_id, attr, {hour}, value_key, count(*) FROM attr_history "
        f"WHERE {observed} AND value_num IS NULL AND value_key IS NOT NULL "
        f"AND length(value_key) <= {KEY_MAX} GROUP BY tenant, entity_id, attr, {hour}, value_key"
    )
    return delete, insert, delete_keys, insert_keys


def usable(query: HistoryQuery, methods: tuple[str, ...], start_us: int, period_us: int) -> bool:
    return (
        query.time_column == "observed_us"
        and query.last_n is None
        and set(methods) <= ROLLUP_METHODS
        and period_us % HOUR_US == 0
        and start_us % HOUR_US == 0
        and (query.end_us is None or query.end_us % HOUR_US == 0)
    )


def aggregate_sql(
    tenant: str, query: HistoryQuery, start_us: int, period_us: int, mark: str
) -> tuple[str, list[Any]]:
    clauses = [
        f"tenant = {mark}",
        f"entity_id IN ({', '.join([mark] * len(query.entity_ids))})",
        f"hour_us >= {mark}",
    ]
    params: list[Any] = [tenant, *query.entity_ids, max(start_us, query.start_us or start_us)]
    if query.attrs is not None:
        clauses.append(f"attr IN ({', '.join([mark] * len(query.attrs))})")
        params.extend(query.attrs)
    if query.end_us is not None:
        clauses.append(f"hour_us < {mark}")
        params.append(query.end_us)
    bucket = f"((hour_us - {mark}) / {mark})"
    sql = (
        f"SELECT entity_id, attr, {bucket} AS bucket, sum(n), 0, sum(total), "
        "sum(total) / nullif(sum(n_num), 0), min(low), max(high), sum(sumsq) "
        f"FROM attr_rollup WHERE {' AND '.join(clauses)} "
        "GROUP BY entity_id, attr, bucket ORDER BY entity_id, attr, bucket"
    )
    return sql, [start_us, period_us, *params]
