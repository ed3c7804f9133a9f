"""SQL for indicator computation, pushed down to the store; one text for SQLite and PostgreSQL.

Every query returns rows of (period label, place, value, observations). Periods and the
entity -> place membership travel as inline VALUES tables (``periods``, ``members``), so the
same statement runs on both stores and the work stays in the database. Instants are cut into
local days with integer arithmetic ((us + offset) / 86400e6); periods are ranges of day keys.

Attribute history is read from the hourly roll-ups where the aggregate allows it (means,
extremes, day shares), so ten million readings cost what their hours cost.
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
SERIES_AGGREGATES = ("mean", "sum", "max", "min", "last", "count", "share")
PLACE_COLUMNS = {"city": "'city'", "district": "district", "department": "department"}


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def periods_cte(periods: Sequence[Period], zone: str, by_day: bool) -> str:
    """``periods(label, lo, hi)`` as day keys (by_day) or UTC microseconds."""
    rows = []
    for p in periods:
        lo, hi = p.day_keys if by_day else p.bounds_us(zone)
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


def history_sql(
    spec: dict[str, Any],
    mark: str,
    periods: Sequence[Period],
    zone: str,
    members: Sequence[tuple[str, str]],
    day_offset_us: int,
) -> str:
    """One attribute of a set of devices by place and period; its parameters are
    (tenant, expanded attribute name, from_us, to_us)."""
    aggregate = str(spec.get("aggregate", "mean"))
    if aggregate not in HISTORY_AGGREGATES:
        raise BadRequestData(f"history aggregate must be one of {', '.join(HISTORY_AGGREGATES)}")
    off = int(day_offset_us)
    raw = aggregate.startswith("readings_")
    if raw:
        if "equals" in spec:
            key = orjson.dumps(spec["equals"], option=orjson.OPT_SORT_KEYS).decode()
            hit = f"CASE WHEN h.value_key = {literal(key)} THEN 1 ELSE 0 END"
        else:
            op, threshold = _compare(spec)
            hit = f"CASE WHEN h.value_num {op} {threshold!r} THEN 1 ELSE 0 END"
        rows = (
            f"SELECT h.entity_id AS e, (h.observed_us + {off}) / {DAY_US} AS d, {hit} AS hit "
            f"FROM attr_history h WHERE h.tenant = {mark} "
            "AND h.entity_id IN (SELECT entity_id FROM members) "
            f"AND h.attr = {mark} AND h.observed_us >= {mark} AND h.observed_us < {mark}"
        )
        stage1 = (
            "SELECT e, d, count(*) AS n, 0.0 AS s, sum(hit) AS hit "
            f"FROM ({rows}) raw_rows GROUP BY e, d"
        )
    else:
        stage1 = (
            f"SELECT r.entity_id AS e, (r.hour_us + {off}) / {DAY_US} AS d, "
            "sum(r.n_num) AS n, sum(r.total) AS s, 0 AS hit "
            f"FROM attr_rollup r WHERE r.tenant = {mark} "
            "AND r.entity_id IN (SELECT entity_id FROM members) "
            f"AND r.attr = {mark} AND r.hour_us >= {mark} AND r.hour_us < {mark} "
            "AND r.n_num > 0 GROUP BY r.entity_id, d"
        )
    # Per place and local day: the day's mean over the place's devices, readings and hits.
    by_day = (
        "SELECT m.place AS place, x.d AS d, sum(x.s) / sum(x.n) AS mean, sum(x.s) AS s, "
        "sum(x.n) AS n, sum(x.hit) AS hit "
        f"FROM ({stage1}) x JOIN members m ON m.entity_id = x.e "
        "GROUP BY m.place, x.d"
    )
    if aggregate == "mean":
        value = "avg(y.mean)"
    elif aggregate == "max_day":
        value = "max(y.mean)"
    elif aggregate in ("days_share", "days_count"):
        op, threshold = _compare(spec)
        hits = f"sum(CASE WHEN y.mean {op} {threshold!r} THEN 1 ELSE 0 END)"
        value = f"100.0 * {hits} / count(*)" if aggregate == "days_share" else hits
    elif aggregate == "readings_share":
        value = "100.0 * sum(y.hit) / sum(y.n)"
    elif aggregate == "readings_count":
        value = "sum(y.hit)"
    elif aggregate == "sum":
        value = "sum(y.s)"
    else:
        value = "sum(y.n)"
    observations = "sum(y.n)"
    sql = (
        f"WITH {periods_cte(periods, zone, True)}, {members_cte(members)} "
        f"SELECT p.label, y.place, {value}, {observations} "
        f"FROM ({by_day}) y JOIN periods p ON y.d >= p.lo AND y.d < p.hi "
        "WHERE y.n > 0 GROUP BY p.label, y.place"
    )
    return sql


def requests_sql(
    spec: dict[str, Any],
    mark: str,
    periods: Sequence[Period],
    zone: str,
    place: str,
    day_offset_us: int,
    now_us: int,
) -> str:
    """Citizen-request measures by place (city, district, department) and period; its
    parameters are (from_us, to_us)."""
    measure = str(spec.get("measure", "count"))
    if measure not in REQUEST_MEASURES:
        raise BadRequestData(f"requests measure must be one of {', '.join(REQUEST_MEASURES)}")
    num, den, scale = REQUEST_MEASURES[measure]
    num, den = num.format(now=int(now_us)), den.format(now=int(now_us))
    where = [f"requested_us >= {mark}", f"requested_us < {mark}"]
    if measure != "merged_share":
        where.append("merged_into IS NULL")
    codes = spec.get("service_codes")
    if codes:
        where.append(f"service_code IN ({', '.join(literal(str(c)) for c in codes)})")
    if place != "city":
        where.append(f"{PLACE_COLUMNS[place]} IS NOT NULL")
    off = int(day_offset_us)
    inner = (
        f"SELECT {PLACE_COLUMNS[place]} AS place, (requested_us + {off}) / {DAY_US} AS d, "
        f"sum({num}) AS num, sum({den}) AS den, count(*) AS n "
        f"FROM service_requests WHERE {' AND '.join(where)} GROUP BY 1, 2"
    )
    if den == "0":
        value = f"{scale!r} * sum(x.num)"
    else:
        value = f"CASE WHEN sum(x.den) > 0 THEN {scale!r} * sum(x.num) / sum(x.den) END"
    sql = (
        f"WITH {periods_cte(periods, zone, True)} "
        f"SELECT p.label, x.place, {value}, sum(x.n) "
        f"FROM ({inner}) x JOIN periods p ON x.d >= p.lo AND x.d < p.hi "
        "GROUP BY p.label, x.place"
    )
    return sql


def series_sql(
    spec: dict[str, Any], mark: str, periods: Sequence[Period], zone: str
) -> tuple[str, str]:
    """(sql, aggregate): one series' points by place and period. For ``last`` the rows are
    (label, place, at_us, value) and the caller keeps the latest point."""
    aggregate = str(spec.get("aggregate", "mean"))
    if aggregate not in SERIES_AGGREGATES:
        raise BadRequestData(f"series aggregate must be one of {', '.join(SERIES_AGGREGATES)}")
    cte = periods_cte(periods, zone, False)
    join = "FROM series_points s JOIN periods p ON s.at_us >= p.lo AND s.at_us < p.hi"
    if aggregate == "last":
        return (
            f"WITH {cte} SELECT p.label, s.place, s.at_us, s.value {join} "
            f"WHERE s.series = {mark} ORDER BY s.at_us",
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
        f"WITH {cte} SELECT p.label, s.place, {value}, count(*) {join} "
        f"WHERE s.series = {mark} GROUP BY p.label, s.place",
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
    return f"WITH {periods_cte(periods, zone, False)} {''.join(out)}", order
