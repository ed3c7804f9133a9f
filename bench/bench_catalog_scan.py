"""Personal-data detection speed: cells checked per second on the labelled fixture's texts
(target >= 100,000 cells/s, so a 20,000-row sample of ten columns takes about 2 s), and rows per
second for streaming a 1-million-row CSV through `cityhub catalog scan` (target >= 200,000
rows/s for the count; only the sample is checked)."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median, report

from cityhub.catalog.sensitive import find

ROOT = Path(__file__).resolve().parents[1]
CELL_TARGET = 100_000
ROW_TARGET = 200_000
ROWS = 1_000_000


def cells_per_second() -> float:
    fixture = ROOT / "tests" / "fixtures" / "sensitive_values.csv"
    texts = [r["text"] for r in csv.DictReader(fixture.open(encoding="utf-8"))]
    texts += ["福田区", "2026-11-25", "12.5", "已办结", "南山区粤海街道"] * 200  # plain cells
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for text in texts * 20:
            find(text)
        runs.append(len(texts) * 20 / (time.perf_counter() - started))
    return median(runs)


def rows_per_second() -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "residents.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["编号", "姓名", "手机", "街道", "备注"])
            for i in range(ROWS):
                out.writerow([i, "王芳", f"139{i:08d}", "福田街道", "已回访，满意"])
        cli = Path(sys.executable).with_name("cityhub")
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([str(cli), "catalog", "scan", str(path), "--json"], check=True,
                           capture_output=True)  # fmt: skip
            runs.append(ROWS / (time.perf_counter() - started))
    return median(runs)


def main() -> None:
    cells = cells_per_second()
    report(
        "personal-data check, cells/s",
        cells,
        "cells/s",
        f">= {CELL_TARGET:,}",
        cells >= CELL_TARGET,
    )
    rows = rows_per_second()
    report(
        "catalog scan of 1M-row CSV (20k checked)",
        rows,
        "rows/s",
        f">= {ROW_TARGET:,}",
        rows >= ROW_TARGET,
    )


if __name__ == "__main__":
    main()
