"""Load a file into a new version of a dataset, as a stream.

The first rows fix the column types; every row is converted and written in committed chunks
while the version is `loading`; personal data is looked for in the first rows and then in one
row of every hundred. Only when the whole file has been read does the version become visible.
Any error (a malformed row, a broken file, an interrupted load) removes what was written.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cityhub.catalog.classify import ColumnProfile, Suggestion, suggest
from cityhub.catalog.schema import Column, column_names, convert, finish, infer
from cityhub.catalog.tables import open_table
from cityhub.errors import BadRequestData
from cityhub.store import Store
from cityhub.store.catalog_sql import VersionRecord
from cityhub.timeutil import now_us

TYPE_SAMPLE = 1_000
PROFILE_HEAD = 5_000
PROFILE_EVERY = 100
CHUNK = 25_000


@dataclass
class Loaded:
    version: VersionRecord
    columns: list[Column]
    suggestion: Suggestion


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_version(
    store: Store,
    dataset_id: str,
    path: Path,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Stream `path` into the next version of `dataset_id`; returns the finished version (not yet
    made current: the caller does that with the dataset's new classification)."""
    table = open_table(path, progress)
    names = column_names(table.header)
    if not names:
        raise BadRequestData(f"{path.name}: the file has no columns")
    head = list(itertools.islice(table.rows, TYPE_SAMPLE))
    columns = infer(names, head)
    version = store.catalog.begin_version(
        VersionRecord(
            table_id=0,
            dataset_id=dataset_id,
            version=0,
            state="loading",
            rows=0,
            columns=[c.as_dict() for c in columns],
            source=source or path.name,
            format=table.format,
            bytes=path.stat().st_size,
            sha256=file_digest(path),
            suggestion={},
            created_us=now_us(),
        )
    )
    profiles = [ColumnProfile(n) for n in names]
    try:
        count = _write(
            store, version.table_id, columns, profiles, itertools.chain(head, table.rows)
        )
        finish(columns)
        for column, p in zip(columns, profiles, strict=True):
            column.kinds = p.kinds
        advice = suggest(profiles, count)
        version.rows = count
        version.columns = [c.as_dict() for c in columns]
        version.suggestion = advice.as_dict()
    except BaseException:
        store.catalog.drop_version(version.table_id)
        raise
    return Loaded(version, columns, advice)


def _write(
    store: Store,
    table_id: int,
    columns: list[Column],
    profiles: list[ColumnProfile],
    rows: Iterator[list[Any]],
) -> int:
    width = len(columns)
    pairs = list(zip(columns, profiles, strict=True))
    batch: list[tuple[int, str]] = []
    n = 0
    dumps = orjson.dumps
    for n, row in enumerate(rows, start=1):
        if len(row) > width and any(v not in (None, "") for v in row[width:]):
            raise BadRequestData(
                f"row {n} has {len(row)} values but the header names {width} columns"
            )
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        if n <= PROFILE_HEAD or n % PROFILE_EVERY == 0:
            for (_, p), value in zip(pairs, row, strict=False):
                p.add(value)
        cells = [convert(c, v) for c, v in zip(columns, row, strict=False)]
        try:
            text = dumps(cells).decode()
        except TypeError as exc:
            raise BadRequestData(f"row {n}: a value cannot be stored ({exc})") from exc
        if "\\u0000" in text:
            raise BadRequestData(f"row {n}: NUL characters cannot be stored")
        batch.append((n, text))
        if len(batch) >= CHUNK:
            store.catalog.write_rows(table_id, batch)
            batch = []
    if batch:
        store.catalog.write_rows(table_id, batch)
    return n
