"""A table's column types, inferred from a sample and applied to every row as it streams by.

Types are the datastore's: integer, number, boolean, date, datetime and text. Codes that only look
like numbers (leading zeros, 11+ digits such as phone or ID numbers) stay text, so nothing is lost
and masking sees the digits. A later value that does not fit its column keeps its text and the
column becomes text when the import ends.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

TYPES = ("integer", "number", "boolean", "date", "datetime", "text")
CKAN_TYPES = {
    "integer": "int",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "text": "text",
}
_DIGITS = re.compile(r"-?\d+")
_INTEGER = re.compile(r"-?(?:0|[1-9]\d{0,9})")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_BOOLEAN = {"true": True, "false": False, "是": True, "否": False}


@dataclass
class Column:
    id: str
    type: str = "text"
    kinds: list[str] = field(default_factory=list)  # personal data the column holds
    demoted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "kinds": self.kinds}


def column_names(header: Sequence[Any]) -> list[str]:
    """Usable, unique column names: blanks become column_N, repeats get a suffix."""
    names: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header, start=1):
        name = str(raw).strip() if raw is not None else ""
        name = name or f"column_{i}"
        if name.startswith("_"):
            name = "f" + name  # _id and friends are the datastore's own
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


def _kind_of(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if abs(value) < 10**10 else "text"
    if isinstance(value, float):
        return "text" if value.is_integer() and abs(value) >= 10**10 else "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if not isinstance(value, str):
        return "text"
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return "integer" if _INTEGER.fullmatch(text) else "text"  # 0755..., 138..., IDs
    if _NUMBER.fullmatch(text) and not re.match(r"-?0\d", text):
        return "number"
    if text.lower() in _BOOLEAN:
        return "boolean"
    if _DATE.fullmatch(text):
        return "date"
    if _DATETIME.fullmatch(text):
        return "datetime"
    return "text"


def infer(names: Sequence[str], sample: Sequence[Sequence[Any]]) -> list[Column]:
    """The narrowest type every sampled value of a column fits (integer widens to number)."""
    columns = []
    for i, name in enumerate(names):
        kinds = {_kind_of(row[i]) for row in sample if i < len(row)} - {None}
        if kinds == {"integer", "number"}:
            kinds = {"number"}
        if kinds == {"date", "datetime"}:
            kinds = {"datetime"}
        chosen = kinds.pop() if len(kinds) == 1 else "text"
        columns.append(Column(name, str(chosen)))
    return columns


def convert(column: Column, value: Any) -> Any:
    """A cell as stored: typed when it fits its column, its text otherwise (demoting the column)."""
    if value is None or value == "":
        return None
    kind = column.type
    try:
        if kind == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            text = str(value).strip()
            if _INTEGER.fullmatch(text):
                return int(text)
        elif kind == "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            text = str(value).strip()
            if _NUMBER.fullmatch(text):
                return float(text)
        elif kind == "boolean":
            if isinstance(value, bool):
                return value
            flag = _BOOLEAN.get(str(value).strip().lower())
            if flag is not None:
                return flag
        elif kind in ("date", "datetime"):
            if isinstance(value, dt.datetime):
                return value.isoformat()
            if isinstance(value, dt.date):
                return value.isoformat()
            text = str(value).strip()
            if (_DATE if kind == "date" else _DATETIME).fullmatch(text) or (
                kind == "datetime" and _DATE.fullmatch(text)
            ):
                return text
        else:
            return value if isinstance(value, str) else _text(value)
    except (ValueError, OverflowError):
        pass
    column.demoted = True
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def finish(columns: list[Column]) -> None:
    """Columns that met a value outside their type become text."""
    for c in columns:
        if c.demoted:
            c.type = "text"
            c.demoted = False


def typed_filter_value(column: Column, value: Any) -> Any:
    """A filter value in the column's stored type (so '3' finds the integer 3)."""
    if value is None:
        return None
    if column.type == "integer" and _INTEGER.fullmatch(str(value).strip()):
        return int(str(value).strip())
    if column.type == "number" and _NUMBER.fullmatch(str(value).strip()):
        return float(str(value).strip())
    if column.type == "boolean":
        flag = _BOOLEAN.get(str(value).strip().lower())
        return value if flag is None else flag
    return str(value)
