"""SQL for indicator computation, pushed down to the store; one text for SQLite and PostgreSQL.

Every query returns rows of (period label, place, value, observations). The entity -> place
membership travels as an inline VALUES table (``members``), so the same statement runs on both
stores and the work stays in the database. Instants are cut into local days with integer
arithmetic ((us + offset) / 86400e6) and days are named by their period with each dialect's date
formatting (`period_label`), so grouping by period is a GROUP BY, not a range join.

Attribute history is read from the hourly roll-ups (means, day and hour shares) and the hourly
counts of categorical values (shares of "occupied" readings), so ten million readings cost what
their hours cost; only a numeric threshold on single readings reads raw history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from cityhub.errors import BadRequestData
from cityhub.indicators.periods import DAY_US, Period

COMPARE = {"le": "<=", "lt": "<", "ge": ">=", "gt": ">", "eq": "="}
HISTORY_AGGREGATES = (
    "mean",
    "max_day",
    "days_share",
    "days_count",
    "readings_share",
    "readings_count",
    "hours_share",
    "hours_count",
    "sum",
    "count",
)
REQUEST_MEASURES = {
    # measure: (numerator per request, denominator per request, scale)
    "count": ("1", "0", 1.0),
    "resolved_in_time_share": (
        "CASE WHEN resolved_us IS NOT NULL AND resolved_us <= deadline_us THEN 1 ELSE 0 END",
        "CASE WHEN resolved_us IS NOT NULL OR deadline_us < {now} THEN 1 ELSE 0 END",
        100.0,
    ),
    "response_rate": (
        "CASE WHEN responded_us IS NOT NULL AND responded_us <= response_due_us THEN 1 ELSE 0 END",
        "CASE WHEN responded_us IS NOT NULL OR response_due_us < {now} THEN 1 ELSE 0 END",
        100.0,
    ),
    "resolution_rate": (
        "CASE WHEN resolved_us IS NOT NULL THEN 1 ELSE 0 END",
        "CASE WHEN resolved_us IS NOT NULL OR deadline_us < {now} THEN 1 ELSE 0 END",
        100.0,
    ),
    "satisfaction_rate": (
        "CASE WHEN satisfaction >= 4 THEN 1 ELSE 0 END",
        "CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END",
        100.0,
    ),
    "mean_satisfaction": (
        "coalesce(satisfaction, 0)",
        "CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END",
        1.0,
    ),
    "mean_resolution_days": (
        f"CASE WHEN resolved_us IS NOT NULL THEN (resolved_us - requested_us) / {DAY_US}.0 "
        "ELSE 0 END",
        "CASE WHEN resolved_us IS NOT NULL THEN 1 ELSE 0 END",
        1.0,
    ),
    "overdue_open": (
        "CASE WHEN resolved_us IS NULL AND status NOT IN ('closed', 'resolved') "
        "AND deadline_us < {now} THEN 1 ELSE 0 END",
        "0",
        1.0,
    ),
    "escalated_share": ("CASE WHEN escalation > 0 THEN 1 ELSE 0 END", "1", 100.0),
    "merged_share": ("CASE WHEN merged_into IS NOT NULL THEN 1 ELSE 0 END", "1", 100.0),
}
# hours_* aggregates test each device-hour's mean, highest or lowest reading
HOUR_STATISTICS = {"mean": "total / n_num", "max": "high", "min": "low"}
SERIES_AGGREGATES = ("mean", "sum", "max", "min", "last", "count", "share")


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def period_label(day: str, grain: str, dialect: str) -> str:
    """SQL naming the period (``2024``, ``2024-Q2``, ``2024-05``, ``2024-05-17``) that contains
    the local day key `day` (days since 1970-01-01): periods are cut by arithmetic, not joined."""
    if dialect == "postgres":
        when = f"(DATE '1970-01-01' + CAST({day} AS integer))"
        pattern = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
        return f"to_char({when}, '{pattern[grain]}')"
    when = f"CAST({day} AS INTEGER) * 86400, 'unixepoch'"
    if grain == "quarter":
        return (
            f"strftime('%Y', {when}) || '-Q' || ((CAST(strftime('%m', {when}) AS INTEGER) + 2) / 3)"
        )
    format_ = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[grain]
    return f"strftime('{format_}', {when})"


def periods_cte(periods: Sequence[Period], zone: str) -> str:
    """``periods(label, lo, hi)`` in UTC microseconds, for a city's own SQL."""
    rows = []
    for p in periods:
        lo, hi = p.bounds_us(zone)
        rows.append(f"({literal(p.label)}, {int(lo)}, {int(hi)})")
    return f"periods(label, lo, hi) AS (VALUES {', '.join(rows)})"


def members_cte(members: Sequence[tuple[str, str]]) -> str:
    rows = ", ".join(f"({literal(e)}, {literal(p)})" for e, p in members)
    return f"members(entity_id, place) AS (VALUES {rows})"


def _compare(spec: dict[str, Any]) -> tuple[str, float]:
    op = COMPARE.get(str(spec.get("compare", "le")))
    if op is None:
        raise BadRequestData(f"compare must be one of {', '.join(COMPARE)}")
    try:
        return op, float(spec["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequestData("this aggregate needs a numeric 'threshold'") from exc


def history_source(spec: dict[str, Any]) -> tuple[str, str | None]:
    """Where a history definition reads (``rollup``, ``keys`` or ``raw``) and the condition it
    counts as a hit, if any: an hour's statistic, a categorical value, or a single reading."""
    aggregate = str(spec.get("aggregate", "mean"))
    if aggregate not in HISTORY_AGGREGATES:
        raise BadRequestData(f"history aggregate must be one of {', '.join(HISTORY_AGGREGATES)}")
    if aggregate.startswith("readings_") and "equals" in spec:
        key = orjson.dumps(spec["equals"], option=orjson.OPT_SORT_KEYS).decode()
        return "keys", f"value_key = {literal(key)}"
    if aggregate.startswith("readings_"):
        op, threshold = _compare(spec)
        return "raw", f"value_num {op} {threshold!r}"
    if aggregate.startswith("hours_"):
        op, threshold = _compare(spec)
        statistic = HOUR_STATISTICS.get(str(spec.get("statistic", "mean")))
        if statistic is None:
            raise BadRequestData(f"statistic must be one of {', '.join(HOUR_STATISTICS)}")
        return "rollup", f"{statistic} {op} {threshold!r}"
    if aggregate in ("days_share", "days_count"):
        _compare(spec)
    return "rollup", None


def history_days_sql(
    source: str,
    hits: Sequence[str],
    mark: str,
    members: Sequence[tuple[str, str]],
    day_offset_us: int,
) -> str:
    """One attribute of a set of devices per place and local day: (place, day key, readings n,
    their sum s, hours observed, one count per hit condition). One scan serves every definition
    on that attribute. Parameters: (tenant, expanded attribute name, from_us, to_us)."""
    off = int(day_offset_us)
    members_only = "entity_id IN (SELECT entity_id FROM members)"
    if source == "keys":
        table, time, n, s, hrs = (
            "attr_rollup_keys",
            "hour_us",
            "sum(n)",
            "0.0",
            "count(DISTINCT hour_us)",
        )
        counted = [f"sum(CASE WHEN {c} THEN n ELSE 0 END)" for c in hits]
        extra = ""
    elif source == "raw":
        table, time, n, s, hrs = "attr_history", "observed_us", "count(*)", "0.0", "0"
        counted = [f"sum(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in hits]
        extra = " AND deleted_us IS NULL"  # a deletion is no reading
    else:
        table, time, n, s, hrs = "attr_rollup", "hour_us", "sum(n_num)", "sum(total)", "count(*)"
        counted = [f"sum(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in hits]
        extra = " AND n_num > 0"
    hit_columns = "".join(f", {c} AS h{i}" for i, c in enumerate(counted))
    stage1 = (
        f"SELECT entity_id AS e, ({time} + {off}) / {DAY_US} AS d, {n} AS n, {s} AS s, "
        f"{hrs} AS hrs{hit_columns} FROM {table} WHERE tenant = {mark} AND {members_only} "
        f"AND attr = {mark} AND {time} >= {mark} AND {time} < {mark}{extra} GROUP BY e, d"
    )
    summed = "".join(f", sum(x.h{i})" for i in range(len(counted)))
    return (
        f"WITH {members_cte(members)} "
        f"SELECT m.place, x.d, sum(x.n), sum(x.s), sum(x.hrs){summed} "
        f"FROM ({stage1}) x JOIN members m ON m.entity_id = x.e GROUP BY m.place, x.d"
    )


def requests_base_sql(codes: Sequence[str], mark: str, day_offset_us: int, now_us: int) -> str:
    """One scan of the citizen requests for every measure: per district, department, local day
    and merged flag, the request count and each measure's numerator and denominator (columns in
    REQUEST_MEASURES order). Its parameters are (from_us, to_us)."""
    columns = []
    for num, den, _ in REQUEST_MEASURES.values():
        num, den = num.format(now=int(now_us)), den.format(now=int(now_us))
        columns += [f"sum({num})", f"sum({den})"]
    where = f"requested_us >= {mark} AND requested_us < {mark}"
    if codes:
        where += f" AND service_code IN ({', '.join(literal(str(c)) for c in codes)})"
    off = int(day_offset_us)
    return (
        f"SELECT district, department, (requested_us + {off}) / {DAY_US} AS d, "
        "CASE WHEN merged_into IS NULL THEN 0 ELSE 1 END AS merged, count(*), "
        f"{', '.join(columns)} FROM service_requests WHERE {where} GROUP BY 1, 2, 3, 4"
    )


def series_sql(
    spec: dict[str, Any], mark: str, grain: str, dialect: str, off: int
) -> tuple[str, str]:
    """(sql, aggregate): one series' points by place and period; parameters (series, from_us,
    to_us). For ``last`` the rows are (label, place, at_us, value) and the caller keeps the
    latest point."""
    aggregate = str(spec.get("aggregate", "mean"))
    if aggregate not in SERIES_AGGREGATES:
        raise BadRequestData(f"series aggregate must be one of {', '.join(SERIES_AGGREGATES)}")
    label = period_label(f"((s.at_us + {int(off)}) / {DAY_US})", grain, dialect)
    where = f"WHERE s.series = {mark} AND s.at_us >= {mark} AND s.at_us < {mark}"
    if aggregate == "last":
        return (
            f"SELECT {label}, s.place, s.at_us, s.value FROM series_points s {where} "
            "ORDER BY s.at_us",
            aggregate,
        )
    if aggregate == "share":
        op, threshold = _compare(spec)
        value = f"100.0 * sum(CASE WHEN s.value {op} {threshold!r} THEN 1 ELSE 0 END) / count(*)"
    elif aggregate == "mean":
        value = "avg(s.value)"
    elif aggregate == "count":
        value = "count(*)"
    else:
        value = f"{aggregate}(s.value)"
    return (
        f"SELECT {label} AS label, s.place, {value}, count(*) FROM series_points s {where} "
        "GROUP BY 1, s.place",
        aggregate,
    )


def custom_sql(text: str, mark: str, periods: Sequence[Period], zone: str) -> tuple[str, list[str]]:
    """A definition's own SELECT, given ``periods(label, lo, hi)`` (UTC microseconds) and the
    named parameters :tenant, :now_us, :day_offset_us. Returns the statement and the order in
    which named parameters appear (the store's placeholders are positional)."""
    body = text.strip().rstrip(";")
    if not body.lower().startswith("select"):
        raise BadRequestData("a sql indicator must be one SELECT statement")
    if ";" in body:
        raise BadRequestData("a sql indicator must be one statement")
    order: list[str] = []
    out = []
    i = 0
    names = ("tenant", "now_us", "day_offset_us")
    while i < len(body):
        if body[i] == ":" and (i == 0 or body[i - 1] != ":"):
            name = next((n for n in names if body.startswith(n, i + 1)), None)
            if name is not None:
                out.append(mark)
                order.append(name)
                i += len(name) + 1
                continue
        out.append(body[i])
        i += 1
    return f"WITH {periods_cte(periods, zone)} {''.join(out)}", order
