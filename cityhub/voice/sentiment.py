"""Sentiment of citizens' messages, its aggregates, and bursts of negative messages.

The model is the platform's text classifier (character and word TF-IDF, calibrated linear SVM)
trained on labelled review corpora (label 1 positive, 0 negative). The corpora are binary, so a
message is *neutral* when the calibrated probability of positive lies in the middle band
(NEUTRAL_BAND): the model cannot tell, and an operator should not read it either way.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityhub.errors import BadRequestData

NEUTRAL_BAND = (0.35, 0.65)
LABELS = {"0": "negative", "1": "positive", "negative": "negative", "positive": "positive"}


@dataclass(frozen=True)
class Polarity:
    label: str  # negative, neutral, positive
    positive: float  # calibrated probability of positive


def polarity(p_positive: float) -> Polarity:
    low, high = NEUTRAL_BAND
    label = "negative" if p_positive < low else "positive" if p_positive > high else "neutral"
    return Polarity(label, round(p_positive, 4))


def read_corpus(path: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """(train texts, train labels, held-out texts, held-out labels) from a CSV with a label
    column (1/0 or positive/negative) and a text or review column; rows whose `split` column is
    dev or test are held out."""
    train_x: list[str] = []
    train_y: list[str] = []
    held_x: list[str] = []
    held_y: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                text = (row.get("text") or row.get("review") or "").strip()
                label = LABELS.get((row.get("label") or "").strip())
                if not text or label is None:
                    continue
                held = (row.get("split") or "").strip() in ("dev", "test")
                (held_x if held else train_x).append(text)
                (held_y if held else train_y).append(label)
    except FileNotFoundError as exc:
        raise BadRequestData(f"no such file: {path}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"{path} is not a UTF-8 CSV file: {exc}") from exc
    if not train_x and not held_x:
        raise BadRequestData(f"{path} has no rows with a label (1/0) and a text or review")
    return train_x, train_y, held_x, held_y


def aggregate(
    items: Sequence[tuple[str | None, Polarity]],
) -> dict[str, dict[str, Any]]:
    """Counts and negative share per key (district, department, category or day)."""
    table: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"negative": 0, "neutral": 0, "positive": 0, "total": 0}
    )
    for key, pol in items:
        cell = table[key or "未知 unknown"]
        cell[pol.label] += 1
        cell["total"] += 1
    for cell in table.values():
        cell["negative_share"] = round(cell["negative"] / cell["total"], 4)
    return dict(sorted(table.items()))


@dataclass(frozen=True)
class Burst:
    key: str
    day: dt.date
    count: int
    expected: float
    p_value: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "day": self.day.isoformat(),
            "negative_messages": self.count,
            "expected": round(self.expected, 2),
            "p_value": self.p_value,
        }


def _poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


def bursts(
    negatives: Sequence[tuple[str, dt.date]],
    day: dt.date,
    baseline_days: int = 14,
    min_count: int = 3,
    alpha: float = 0.001,
) -> list[Burst]:
    """Keys (places, topics) whose negative messages on `day` are far above their own recent
    level: Poisson tail probability below `alpha` given the mean of the previous
    `baseline_days` (with a floor of one message per fortnight), and at least `min_count`."""
    counts: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for key, when in negatives:
        counts[key][when] += 1
    start = day - dt.timedelta(days=baseline_days)
    found = []
    for key, per_day in counts.items():
        today = per_day.get(day, 0)
        if today < min_count:
            continue
        history = sum(n for d, n in per_day.items() if start <= d < day)
        expected = max(history / baseline_days, 1 / baseline_days)
        p = _poisson_tail(today, expected)
        if p < alpha:
            found.append(Burst(key, day, today, expected, float(f"{p:.3g}")))
    return sorted(found, key=lambda b: (b.p_value, -b.count))


Scorer = Callable[[Sequence[str]], list[Polarity]]
