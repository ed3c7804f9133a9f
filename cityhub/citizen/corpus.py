"""Reading a city's message files: labelled history, unlabelled messages, the taxonomy."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from cityhub.citizen.textclf import Taxonomy, message_text
from cityhub.errors import BadRequestData

TEXT_COLUMNS = ("text", "description", "content", "留言详情")
TITLE_COLUMNS = ("title", "subject", "留言主题")
LABEL_COLUMNS = ("label", "category", "一级标签")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)
    except FileNotFoundError as exc:
        raise BadRequestData(f"no such file: {path}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"{path} is not a UTF-8 CSV file: {exc}") from exc


def _pick(row: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in row:
            return row[name] or ""
    return None


def read_messages(path: Path, labelled: bool) -> tuple[list[str], list[str]]:
    """(texts, labels) from a CSV with a text column, an optional title and (if labelled) a
    label column; rows with an empty text or label are skipped."""
    texts: list[str] = []
    labels: list[str] = []
    for number, row in enumerate(_rows(path), start=2):
        body = _pick(row, TEXT_COLUMNS)
        if body is None:
            raise BadRequestData(f"{path} needs a column named one of {', '.join(TEXT_COLUMNS)}")
        text = message_text(_pick(row, TITLE_COLUMNS) or "", body)
        if not text:
            continue
        if labelled:
            label = _pick(row, LABEL_COLUMNS)
            if label is None:
                raise BadRequestData(
                    f"{path} line {number}: needs a column named one of {', '.join(LABEL_COLUMNS)}"
                )
            if not label.strip():
                continue
            labels.append(label.strip())
        texts.append(text)
    if not texts:
        raise BadRequestData(f"{path} holds no messages")
    return texts, labels


def read_taxonomy(path: Path) -> Taxonomy:
    rows = []
    for row in _rows(path):
        if not {"level1", "level2", "level3"} <= set(row):
            raise BadRequestData(f"{path} needs the columns level1, level2, level3")
        rows.append((row["level1"].strip(), row["level2"].strip(), row["level3"].strip()))
    return rows


def import_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a hotline export (id, user, title, time, text, likes, dislikes, reply,
    reply_time, and optionally lat, long, address), for `cityhub citizen import`."""
    for number, row in enumerate(_rows(path), start=2):
        if not (row.get("text") or row.get("title")):
            raise BadRequestData(f"{path} line {number}: a message needs a title or text")
        if not row.get("time"):
            raise BadRequestData(f"{path} line {number}: a message needs its time")
        yield row
