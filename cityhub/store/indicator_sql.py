"""Indicator values, targets and uploaded series; one text for both dialects over `_run`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from cityhub.indicators.periods import Period
from cityhub.store import indicator_queries as q
from cityhub.store.repository import Repository


@dataclass(frozen=True)
class IndicatorValue:
    indicator: str
    place: str
    period: str
    start_us: int
    end_us: int
    value: float | None
    observations: int
    computed_us: int


@dataclass(frozen=True)
class Target:
    indicator: str
    place: str
    period: str
    kind: str  # "max" (at most), "min" (at least) or "elapsed" (序时进度: share of period passed)
    value: float | None
    base_period: str | None
    note: str
    set_us: int


@dataclass(frozen=True)
class StoredResult:
    inputs: str  # digest of what the result was made from
    result: Any
    computed_us: int


VALUE_FIELDS = "indicator, place, period, start_us, end_us, value, observations, computed_us"
TARGET_FIELDS = "indicator, place, period, kind, value, base_period, note, set_us"


def _value_of(r: tuple[Any, ...]) -> IndicatorValue:
    return IndicatorValue(
        r[0], r[1], r[2], int(r[3]), int(r[4]), number(r[5]), int(r[6]), int(r[7])
    )


def number(value: Any) -> float | None:
    """A driver's number (Decimal from PostgreSQL's numeric) as a float; None stays None."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else float(str(value))


class IndicatorRepository(Repository):
    """Indicator values, targets and loaded series."""

    # -- computation reads (statements in cityhub.store.indicator_queries) -----------------
    def history_days(
        self,
        source: str,
        hits: Sequence[str],
        members: Sequence[tuple[str, str]],
        day_offset_us: int,
        tenant: str,
        attribute: str,
        span_us: tuple[int, int],
    ) -> list[tuple[Any, ...]]:
        """One attribute of the member devices per place and local day (see history_days_sql)."""
        sql = q.history_days_sql(source, hits, self._mark, members, day_offset_us)
        return self._run(sql, (tenant, attribute, *span_us))

    def request_days(
        self, codes: Sequence[str], day_offset_us: int, now_us: int, span_us: tuple[int, int]
    ) -> list[tuple[Any, ...]]:
        """Service requests of the given codes per place and local day (see requests_base_sql)."""
        return self._run(q.requests_base_sql(codes, self._mark, day_offset_us, now_us), span_us)

    def series_extent(self, series: str) -> tuple[int, int] | None:
        """The first and last instant of a loaded series, or None when it has no points."""
        rows = self._run(
            f"SELECT min(at_us), max(at_us) FROM series_points WHERE series = {self._mark}",
            (series,),
        )
        if not rows or rows[0][0] is None:
            return None
        return int(rows[0][0]), int(rows[0][1])

    def series_rows(
        self,
        spec: dict[str, Any],
        grain: str,
        day_offset_us: int,
        series: str,
        span_us: tuple[int, int],
    ) -> tuple[list[tuple[Any, ...]], str]:
        """(rows, aggregate): one series' points by place and period (see series_sql)."""
        sql, aggregate = q.series_sql(spec, self._mark, grain, self.dialect, day_offset_us)
        return self._run(sql, (series, *span_us)), aggregate

    def custom_rows(
        self, text: str, periods: Sequence[Period], zone: str, named: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """A definition's own read-only SELECT over the periods (see custom_sql)."""
        sql, order = q.custom_sql(text, self._mark, periods, zone)
        return self._run(sql, tuple(named[n] for n in order))

    def put_indicator_values(self, indicator: str, rows: list[IndicatorValue]) -> None:
        """Replace an indicator's values for the (place, period) pairs given, in one transaction."""
        m = self._mark
        upsert = (
            f"INSERT INTO indicator_values ({VALUE_FIELDS}) "
            f"VALUES ({', '.join([m] * 8)}) ON CONFLICT (indicator, place, period) DO UPDATE SET "
            "start_us = excluded.start_us, end_us = excluded.end_us, value = excluded.value, "
            "observations = excluded.observations, computed_us = excluded.computed_us"
        )
        self._run_many(
            [
                (
                    upsert,
                    [
                        (
                            indicator,
                            r.place,
                            r.period,
                            r.start_us,
                            r.end_us,
                            r.value,
                            r.observations,
                            r.computed_us,
                        )
                        for r in rows
                    ],
                )
            ]
        )

    def indicator_values(
        self,
        indicator: str,
        place: str | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[IndicatorValue]:
        m = self._mark
        where = [f"indicator = {m}"]
        params: list[Any] = [indicator]
        if place is not None:
            where.append(f"place = {m}")
            params.append(place)
        if start_us is not None:
            where.append(f"end_us > {m}")
            params.append(start_us)
        if end_us is not None:
            where.append(f"start_us < {m}")
            params.append(end_us)
        rows = self._run(
            f"SELECT {VALUE_FIELDS} FROM indicator_values WHERE {' AND '.join(where)} "
            "ORDER BY place, start_us",
            tuple(params),
        )
        return [_value_of(r) for r in rows]

    def latest_indicator_values(self) -> list[IndicatorValue]:
        """The newest period of every indicator and place (what a dashboard shows)."""
        rows = self._run(
            f"SELECT {', '.join('v.' + f.strip() for f in VALUE_FIELDS.split(','))} "
            "FROM indicator_values v JOIN (SELECT indicator, place, max(start_us) AS s "
            "FROM indicator_values GROUP BY indicator, place) last "
            "ON v.indicator = last.indicator AND v.place = last.place AND v.start_us = last.s "
            "ORDER BY v.indicator, v.place"
        )
        return [_value_of(r) for r in rows]

    def put_target(self, target: Target) -> None:
        m = self._mark
        self._run(
            f"INSERT INTO indicator_targets ({TARGET_FIELDS}) VALUES ({', '.join([m] * 8)}) "
            "ON CONFLICT (indicator, place, period) DO UPDATE SET kind = excluded.kind, "
            "value = excluded.value, base_period = excluded.base_period, note = excluded.note, "
            "set_us = excluded.set_us",
            (
                target.indicator,
                target.place,
                target.period,
                target.kind,
                target.value,
                target.base_period,
                target.note,
                target.set_us,
            ),
            write=True,
        )

    def targets(self, indicator: str | None = None) -> list[Target]:
        where, params = (
            ("", ()) if indicator is None else (f" WHERE indicator = {self._mark}", (indicator,))
        )
        rows = self._run(
            f"SELECT {TARGET_FIELDS} FROM indicator_targets{where} "
            "ORDER BY indicator, place, period",
            params,
        )
        return [Target(r[0], r[1], r[2], r[3], number(r[4]), r[5], r[6], int(r[7])) for r in rows]

    def put_series(self, series: str, points: list[tuple[str, int, float]], replace: bool) -> None:
        """Store (place, at_us, value) points of an uploaded series in one transaction; with
        `replace`, the series' earlier points go first."""
        m = self._mark
        statements: list[tuple[str, list[Any]]] = []
        if replace:
            statements.append((f"DELETE FROM series_points WHERE series = {m}", [(series,)]))
        statements.append(
            (
                "INSERT INTO series_points (series, place, at_us, value) "
                f"VALUES ({m}, {m}, {m}, {m}) "
                "ON CONFLICT (series, place, at_us) DO UPDATE SET value = excluded.value",
                [(series, p, at, v) for p, at, v in points],
            )
        )
        self._run_many(statements)

    def series_points(self, series: str) -> list[tuple[str, int, float]]:
        rows = self._run(
            f"SELECT place, at_us, value FROM series_points WHERE series = {self._mark} "
            "ORDER BY place, at_us",
            (series,),
        )
        return [(r[0], int(r[1]), float(r[2])) for r in rows]

    # -- stored analysis results (cityhub.indicators.results) ------------------------------
    def stored_result(self, kind: str, subject: str) -> StoredResult | None:
        m = self._mark
        rows = self._run(
            "SELECT inputs, result, computed_us FROM analysis_results "
            f"WHERE kind = {m} AND subject = {m}",
            (kind, subject),
        )
        if not rows:
            return None
        inputs, result, computed_us = rows[0]
        return StoredResult(str(inputs), self._json_out(result), int(computed_us))

    def put_result(
        self, kind: str, subject: str, inputs: str, result: Any, computed_us: int
    ) -> None:
        m = self._mark
        self._run(
            "INSERT INTO analysis_results (kind, subject, inputs, result, computed_us) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}) ON CONFLICT (kind, subject) DO UPDATE SET "
            "inputs = excluded.inputs, result = excluded.result, "
            "computed_us = excluded.computed_us",
            (kind, subject, inputs, orjson.dumps(result).decode(), computed_us),
            write=True,
        )

    def revision(self) -> tuple[int, int, int, int]:
        """(values, newest computation, targets, newest target change): changes whenever an
        indicator value or a target is written or removed."""
        rows = self._run(
            "SELECT (SELECT count(*) FROM indicator_values), "
            "(SELECT coalesce(max(computed_us), 0) FROM indicator_values), "
            "(SELECT count(*) FROM indicator_targets), "
            "(SELECT coalesce(max(set_us), 0) FROM indicator_targets)"
        )
        return tuple(int(x) for x in rows[0])  # type: ignore[return-value]
