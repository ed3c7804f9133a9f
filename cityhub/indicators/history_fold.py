"""Folding per-place, per-day device readings (`sql.history_days_sql`) into history indicators.

The store reduces readings (through the hourly roll-ups) to one row per place and local day with
the readings, their sum, the hours observed and one count per hit condition. Every definition on
the same attribute — annual and monthly means, worst day, good-air-day share, hours over a
threshold — is then a group-by of those few hundred rows, so an attribute is read once per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd

from cityhub.indicators.periods import EPOCH, period_containing

COMPARE = {"le": "__le__", "lt": "__lt__", "ge": "__ge__", "gt": "__gt__", "eq": "__eq__"}


@dataclass
class HistoryPlan:
    """What one scan of an attribute must produce for every definition that reads it."""

    hits: list[str] = field(default_factory=list)
    start_us: int | None = None
    end_us: int | None = None

    def add(self, hit: str | None, bounds: tuple[int, int]) -> None:
        if hit is not None and hit not in self.hits:
            self.hits.append(hit)
        self.start_us = bounds[0] if self.start_us is None else min(self.start_us, bounds[0])
        self.end_us = bounds[1] if self.end_us is None else max(self.end_us, bounds[1])

    @property
    def span_us(self) -> tuple[int, int]:
        """From the earliest start to the latest end of what was added."""
        if self.start_us is None or self.end_us is None:
            raise ValueError("nothing was added to this plan")
        return self.start_us, self.end_us


def day_labels(days: pd.Series, grain: str) -> pd.Series:
    """The period label of each day key (days since 1970-01-01, local calendar)."""
    names = {
        int(d): period_containing(EPOCH + timedelta(days=int(d)), grain).label
        for d in days.unique()
    }
    return days.map(names)


def numeric_frame(rows: list[tuple[Any, ...]], columns: list[str], keys: int) -> pd.DataFrame:
    """Rows as a frame: the first `keys` columns as they come, the rest as floats (PostgreSQL
    answers sums as Decimal), and the day key ``d`` as an integer."""
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in columns[keys:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["d"] = frame["d"].astype(int)
    return frame


def day_frame(rows: list[tuple[Any, ...]], hits: int) -> pd.DataFrame:
    columns = ["place", "d", "n", "s", "hrs", *(f"h{i}" for i in range(hits))]
    return numeric_frame(rows, columns, 2)


def fold_history(
    frame: pd.DataFrame,
    spec: dict[str, Any],
    hit_column: str | None,
    grain: str,
    days: tuple[int, int],
) -> list[tuple[Any, ...]]:
    """(period label, place, value, readings) for one definition over days [first, end)."""
    rows = frame[(frame["d"] >= days[0]) & (frame["d"] < days[1]) & (frame["n"] > 0)]
    if rows.empty:
        return []
    aggregate = str(spec.get("aggregate", "mean"))
    parts = rows.assign(label=day_labels(rows["d"], grain), mean=rows["s"] / rows["n"])
    if hit_column is not None:
        parts = parts.assign(hit=rows[hit_column])
    if aggregate in ("days_share", "days_count"):
        test = getattr(parts["mean"], COMPARE[str(spec.get("compare", "le"))])
        parts = parts.assign(good=test(float(spec["threshold"])).astype(float))
    grouped = parts.groupby(["label", "place"])
    if aggregate == "mean":
        value = grouped["mean"].mean()
    elif aggregate == "max_day":
        value = grouped["mean"].max()
    elif aggregate == "days_share":
        value = 100.0 * grouped["good"].mean()
    elif aggregate == "days_count":
        value = grouped["good"].sum()
    elif aggregate == "readings_share":
        value = 100.0 * grouped["hit"].sum() / grouped["n"].sum()
    elif aggregate == "hours_share":
        value = 100.0 * grouped["hit"].sum() / grouped["hrs"].sum()
    elif aggregate in ("readings_count", "hours_count"):
        value = grouped["hit"].sum()
    elif aggregate == "sum":
        value = grouped["s"].sum()
    else:
        value = grouped["n"].sum()
    readings = grouped["n"].sum()
    return [
        (label, place, float(v), int(readings[(label, place)]))
        for (label, place), v in value.items()
    ]
