"""Folding the one scan of citizen requests (`sql.requests_base_sql`) into each request
indicator's values by period and place.

The store does the heavy part: 100,000 requests become one row per district, department, local
day and merged flag. Every request indicator (counts, 三率, deadlines, satisfaction …) is then a
group-by of those few thousand rows, so the request table is read once per computation run, not
once per indicator and place level.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cityhub.indicators.history_fold import day_labels, numeric_frame
from cityhub.store.indicator_queries import REQUEST_MEASURES

KEYS = ["district", "department", "d", "merged", "n"]
PLACE_COLUMNS = {"district": "district", "department": "department"}


def request_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = KEYS + [f"{m}:{part}" for m in REQUEST_MEASURES for part in ("num", "den")]
    return numeric_frame(rows, columns, 4)


def fold_requests(
    frame: pd.DataFrame, measure: str, grain: str, places: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """(period label, place, value, requests counted) for one measure."""
    rows = frame if measure == "merged_share" else frame[frame["merged"] == 0]
    if rows.empty:
        return []
    _, den_sql, scale = REQUEST_MEASURES[measure]
    parts = rows.assign(label=day_labels(rows["d"], grain), city="city")
    out: list[tuple[Any, ...]] = []
    for place in places:
        column = PLACE_COLUMNS.get(place, "city")
        grouped = parts.groupby(["label", column], dropna=True)[
            [f"{measure}:num", f"{measure}:den", "n"]
        ].sum()
        for (label, where), (num, den, n) in zip(
            grouped.index, grouped.itertuples(index=False), strict=True
        ):
            if den_sql == "0":
                value: float | None = scale * num
            else:
                value = scale * num / den if den > 0 else None
            out.append((label, where, value, int(n)))
    return out
