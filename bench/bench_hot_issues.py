"""Hot-issue grouping over 100,000 messages (target < 60 s on one core).

The ~9,900 real messages of ../shared/data/citizen, copied ten times with each copy moved a
year later (so copies are separate episodes, as a decade of messages would be), then grouped
and ranked. Three runs; the median.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import median, report

from cityhub.voice.hotissues import Message, hot_issues

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "citizen"
FILES = ("messages_with_support_counts", "messages_with_official_replies", "messages_unlabelled")
TARGET_MESSAGES = 100_000


def corpus() -> list[Message]:
    zone = ZoneInfo("Asia/Shanghai")
    base = []
    for name in FILES:
        for row in csv.DictReader((DATA / f"{name}.csv").open(encoding="utf-8")):
            base.append(
                Message(
                    id=row["id"],
                    title=row["title"],
                    text=row["text"],
                    time=dt.datetime.fromisoformat(row["time"]).replace(tzinfo=zone),
                    user=row["user"],
                    likes=int(row.get("likes") or 0),
                    dislikes=int(row.get("dislikes") or 0),
                )
            )
    out: list[Message] = []
    copy = 0
    while len(out) < TARGET_MESSAGES:
        shift = dt.timedelta(days=366 * copy)
        out += [
            Message(f"{m.id}-{copy}", m.title, m.text, m.time + shift, m.user, m.likes, m.dislikes)
            for m in base
        ]
        copy += 1
    return out[:TARGET_MESSAGES]


def main() -> None:
    messages = corpus()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        issues = hot_issues(messages, top=50)
        times.append(time.perf_counter() - start)
    seconds = median(times)
    report(f"hot issues over {len(messages):,} messages", seconds, "s", "< 60 s", seconds < 60)
    print(f"  runs {[round(t, 1) for t in times]}; top issue: {issues[0].description}")


if __name__ == "__main__":
    main()
