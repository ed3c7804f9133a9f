"""Reading a tabular file as a header and a stream of rows: CSV (UTF-8 or GB18030), XLSX, JSON
(a list of objects), GeoJSON (feature properties and the geometry's point) and, when pyarrow is
installed, Parquet. Rows are yielded one at a time, so a file of millions of rows is never held
in memory; `progress` is told how many bytes have been read."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cityhub.errors import BadRequestData
from cityhub.limits import check_depth

FORMATS = ("csv", "xlsx", "json", "geojson", "parquet")


@dataclass
class Table:
    format: str
    header: list[str]
    rows: Iterator[list[Any]]


def format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix in FORMATS:
        return suffix
    raise BadRequestData(f"{path.name}: unknown format; use one of {', '.join(FORMATS)}")


def open_table(path: Path, progress: Callable[[int], None] | None = None) -> Table:
    if not path.is_file():
        raise BadRequestData(f"no such file: {path}")
    kind = format_of(path)
    if kind == "csv":
        return _csv(path, progress)
    if kind == "xlsx":
        return _xlsx(path)
    if kind == "parquet":
        return _parquet(path)
    return _json(path, kind)


def _encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start > len(head) - 4:
                return encoding  # a character cut at the end of the sample
    raise BadRequestData(f"{path.name} is neither UTF-8 nor GB18030 text")


def _csv(path: Path, progress: Callable[[int], None] | None) -> Table:
    encoding = _encoding(path)
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raw.close()
        raise BadRequestData(f"{path.name} is empty") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raw.close()
        raise BadRequestData(f"{path.name}: {exc}") from exc

    def rows() -> Iterator[list[Any]]:
        line, last = 1, 0
        try:
            for row in reader:
                line += 1
                if progress is not None and line % 4096 == 0:
                    at = raw.tell()
                    progress(at - last)
                    last = at
                yield row
        except (UnicodeDecodeError, csv.Error) as exc:
            raise BadRequestData(f"{path.name} line {line}: {exc}") from exc
        finally:
            if progress is not None:
                progress(path.stat().st_size - last)
            raw.close()

    return Table("csv", header, rows())


def _refuse_dtd(path: Path) -> None:
    """A spreadsheet never needs a DTD; one with a DTD (entity expansion, external entities) is
    refused before any XML parser sees it. A DOCTYPE can only come before the root element."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    with archive.open(info) as part:
                        head = part.read(8192)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise BadRequestData(f"{path.name}: XML with a DTD is not accepted")
    except zipfile.BadZipFile as exc:
        raise BadRequestData(f"{path.name} is not a readable XLSX file: {exc}") from exc


def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    _refuse_dtd(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise BadRequestData(f"{path.name} is not a readable XLSX file: {exc}") from exc
    try:
        sheet = book.worksheets[0].iter_rows(values_only=True)
        first = next(sheet, None)
    except Exception as exc:  # the sheet's XML is parsed lazily: errors come only now
        raise BadRequestData(f"{path.name} is not a readable XLSX file: {exc}") from exc
    if first is None:
        raise BadRequestData(f"{path.name} is empty")
    header = ["" if h is None else str(h).strip() for h in first]
    return Table("xlsx", header, _xlsx_rows(path.name, sheet))


def _xlsx_rows(name: str, sheet: Iterator[tuple[Any, ...]]) -> Iterator[list[Any]]:
    try:
        for row in sheet:
            yield list(row)
    except BadRequestData:
        raise
    except Exception as exc:  # a damaged part of the sheet, found while reading on
        raise BadRequestData(f"{name} is not a readable XLSX file: {exc}") from exc


def _json(path: Path, kind: str) -> Table:
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise BadRequestData(f"{path.name} is not JSON: {exc}") from exc
    check_depth(doc)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        records = []
        for feature in doc.get("features") or []:
            record = dict(feature.get("properties") or {})
            geometry = feature.get("geometry") or {}
            if geometry.get("type") == "Point":
                record["longitude"], record["latitude"] = geometry["coordinates"][:2]
            elif geometry:
                record["geometry"] = geometry  # stored as GeoJSON text
            records.append(record)
    elif isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
        records = doc
    else:
        raise BadRequestData(f"{path.name}: JSON must be a list of objects or a FeatureCollection")
    header: list[str] = []
    for record in records:
        header += [k for k in record if k not in header]
    return Table(kind, header, ([r.get(h) for h in header] for r in records))


def _parquet(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BadRequestData("reading Parquet needs pyarrow: pip install pyarrow") from exc
    handle = pq.ParquetFile(path)
    header = list(handle.schema_arrow.names)

    def rows() -> Iterator[list[Any]]:
        for batch in handle.iter_batches(batch_size=10_000):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            yield from (list(r) for r in zip(*columns, strict=True))

    return Table("parquet", header, rows())
