"""Department classifier: training time and messages classified per second (CPU only).

Trains on the city's labelled messages with the unlabelled ones and the taxonomy from
../shared/data/citizen (as `cityhub citizen train` does, without the cross-validation), then
classifies the ~10,000 unlabelled messages: one process, and split over two processes the
way a bulk re-classification would run. Three runs each; medians.
Targets: training < 60 s; >= 2,000 messages/s.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _common import median, report

from cityhub.citizen.corpus import read_messages, read_taxonomy
from cityhub.citizen.textclf import TextClassifier

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "citizen"
UNLABELLED = (
    "messages_unlabelled",
    "messages_with_support_counts",
    "messages_with_official_replies",
)
_model: TextClassifier | None = None


def _load(blob: bytes) -> None:
    global _model
    _model = TextClassifier.loads(blob)


def _predict(texts: list[str]) -> int:
    assert _model is not None
    return len(_model.predict(texts))


def main() -> None:
    texts, labels = read_messages(DATA / "messages_labelled.csv", labelled=True)
    unlabelled: list[str] = []
    for name in UNLABELLED:
        unlabelled += read_messages(DATA / f"{name}.csv", labelled=False)[0]
    taxonomy = read_taxonomy(DATA / "category_taxonomy.csv")
    times = []
    model = TextClassifier()
    for _ in range(3):
        start = time.perf_counter()
        model = TextClassifier().fit(texts, labels, unlabelled, taxonomy)
        times.append(time.perf_counter() - start)
    train = median(times)
    report("classifier training (328 + 9,921 messages)", train, "s", "< 60 s", train < 60)
    chars = sum(map(len, unlabelled)) / len(unlabelled)
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict(unlabelled)
        rates.append(len(unlabelled) / (time.perf_counter() - start))
    rate = median(rates)
    report("classification, one process", rate, "msg/s", ">= 2,000", rate >= 2000)
    print(f"  {len(unlabelled):,} messages of {chars:.0f} characters on average")
    workers = min(2, os.cpu_count() or 1)
    blob = model.dumps()
    chunks = [unlabelled[i : i + 500] for i in range(0, len(unlabelled), 500)]
    with ProcessPoolExecutor(workers, initializer=_load, initargs=(blob,)) as pool:
        list(pool.map(_predict, chunks[:workers]))  # warm
        rates = []
        for _ in range(3):
            start = time.perf_counter()
            done = sum(pool.map(_predict, chunks))
            rates.append(done / (time.perf_counter() - start))
    rate = median(rates)
    report(f"classification, {workers} processes", rate, "msg/s", ">= 2,000", rate >= 2000)
    print(f"  model {len(blob) / 1e6:.0f} MB pickled")


if __name__ == "__main__":
    main()
