"""Sentiment: accuracy on the held-out ChnSentiCorp dev split and messages scored per second.

Trains as `cityhub voice train-sentiment` does on ../shared/data/sentiment (ChnSentiCorp
train, waimai, weibo; ChnSentiCorp dev held out), and also on ChnSentiCorp train alone, then
scores the ~9,900 citizen messages three times (median). Targets: accuracy >= 0.95 on the
held-out split; >= 2,000 messages/s in one process.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from _common import median, report

from cityhub.citizen.textclf import TextClassifier, scores
from cityhub.voice.sentiment import read_corpus

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = ("ChnSentiCorp_12k_train_dev", "waimai_10k", "weibo_senti_100k_subset2400")
MESSAGES = ("messages_with_support_counts", "messages_with_official_replies", "messages_unlabelled")


def main() -> None:
    parts = [read_corpus(SHARED / "sentiment" / f"{name}.csv") for name in CORPORA]
    held_x, held_y = parts[0][2], parts[0][3]
    for label, chosen in (("ChnSentiCorp train", parts[:1]), ("all three corpora", parts)):
        texts = [t for p in chosen for t in p[0]]
        labels = [y for p in chosen for y in p[1]]
        start = time.perf_counter()
        model = TextClassifier(keyword_scale=0.0).fit(texts, labels)
        seconds = time.perf_counter() - start
        accuracy = scores(held_y, model.predict(held_x), model.labels)["accuracy"]
        ok = accuracy >= 0.95
        report(f"sentiment accuracy %, dev ({label})", 100 * accuracy, "%", ">= 95 %", ok)
        print(f"  {accuracy:.4f} on {len(held_x):,}; {len(texts):,} texts, {seconds:.1f} s")
    messages = []
    for name in MESSAGES:
        path = SHARED / "citizen" / f"{name}.csv"
        messages += [
            f"{r['title']}。{r['text']}" for r in csv.DictReader(path.open(encoding="utf-8"))
        ]
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict_proba(messages)
        rates.append(len(messages) / (time.perf_counter() - start))
    rate = median(rates)
    report("sentiment scoring, one process", rate, "msg/s", ">= 2,000", rate >= 2000)


if __name__ == "__main__":
    main()
