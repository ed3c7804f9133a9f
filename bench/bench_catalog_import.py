"""Catalog import: rows per second for a 1-million-row CSV loaded as a dataset version (types
inferred, personal data sampled, rows written in committed chunks, one index built); target
>= 100,000 rows/s. Median of three loads into one store (SQLite by default; PostgreSQL with
CITYHUB_BENCH_DATABASE_URL)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import bench_database, median, report

from cityhub.catalog.policy import OPERATOR
from cityhub.catalog.service import CatalogService
from cityhub.store import open_store

ROWS = 1_000_000
TARGET = 100_000
DISTRICTS = (
    "福田区",
    "罗湖区",
    "南山区",
    "盐田区",
    "宝安区",
    "龙岗区",
    "龙华区",
    "坪山区",
    "光明区",
    "大鹏新区",
)


def write_csv(path: Path, rows: int = ROWS) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,district,street,value,day,note\n")
        for i in range(rows):
            note = f"联系电话1391234{i % 10_000:04d}" if i % 50 == 0 else "已办结"
            handle.write(
                f"{i},{DISTRICTS[i % 10]},街道{i % 74},{(i * 7919) % 1000 / 10},"
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d},{note}\n"
            )


def bench_catalog(url: str, title: str) -> CatalogService:
    """A migrated store at `url` with an empty dataset `bench` indexed on district."""
    store = open_store(url)
    store.migrate()
    catalog = CatalogService(store)
    catalog.create(
        OPERATOR,
        {"name": "bench", "org": "bench", "title": title, "indexes": ["district"]},
    )
    return catalog


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, bench_database_url() as url:
        path = Path(folder) / "requests.csv"
        write_csv(path)
        catalog = bench_catalog(url, "导入基准")
        store = catalog.store
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            v = catalog.add_file(OPERATOR, "bench", path)
            runs.append(v.rows / (time.perf_counter() - started))
        store.close()
    print(
        f"store {url.split(':', 1)[0]}, {ROWS:,} rows, runs: {', '.join(f'{r:,.0f}' for r in runs)}"
    )
    rate = median(runs)
    report("catalog import, 1M-row CSV", rate, "rows/s", f">= {TARGET:,}", rate >= TARGET)


def bench_database_url():  # type: ignore[no-untyped-def]
    import contextlib

    return contextlib.contextmanager(bench_database)()


if __name__ == "__main__":
    main()
