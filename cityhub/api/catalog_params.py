"""Reading catalog requests: who is asking (their key, as a Reader) and datastore parameters
(filters, q, sort, fields, limit, offset) given as JSON values or as query-string text."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from cityhub.api import http
from cityhub.auth.principal import DEVELOPMENT
from cityhub.catalog.datastore import MAX_LIMIT, RowQuery
from cityhub.catalog.policy import Reader
from cityhub.errors import BadRequestData, Unauthorized


def reader_of(request: Request) -> Reader:
    """The reader behind a request: its key's department and role, or anonymous."""
    return http.principal_of(request)


def writer_of(request: Request) -> Reader:
    """Who changes the catalog. With no API keys configured at all (a development store) the
    caller acts as an admin, as the broker lets anyone write then; otherwise a key is needed."""
    principal = http.principal_of(request)
    if principal.open_mode and principal.is_anonymous:
        return DEVELOPMENT
    if principal.is_anonymous:
        raise Unauthorized("changing the catalog needs an API key")
    return principal


def _json_or_text(value: Any, name: str) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise BadRequestData(f"{name} is not valid JSON: {exc}") from exc
    return value


def _filters(value: Any) -> dict[str, list[Any]]:
    value = _json_or_text(value, "filters")
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise BadRequestData('filters must be an object: {"column": value or [values]}')
    out: dict[str, list[Any]] = {}
    for name, wanted in value.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if not values or not all(
            v is None or isinstance(v, str | int | float | bool) for v in values
        ):
            raise BadRequestData(f"filters: {name} takes a value or a list of values")
        out[name] = values
    return out


def _q(value: Any) -> dict[str, str]:
    value = _json_or_text(value, "q")
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        return {"": value}
    if isinstance(value, dict) and all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        return {k: v for k, v in value.items() if v}
    raise BadRequestData('q is text, or an object {"column": "text"}')


def _sort(value: Any) -> list[tuple[str, bool]]:
    if value in (None, ""):
        return []
    parts = value if isinstance(value, list) else str(value).split(",")
    out = []
    for part in parts:
        bits = str(part).split()
        if not bits:
            continue
        if len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise BadRequestData(f"sort: {part!r} is not 'column [asc|desc]'")
        out.append((bits[0].strip('"'), len(bits) == 2 and bits[1].lower() == "desc"))
    return out


def _fields(value: Any) -> list[str] | None:
    value = _json_or_text(value, "fields")
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise BadRequestData("fields is a list of column names")


def _number(params: dict[str, Any], name: str, default: int, most: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequestData(f"{name} must be a whole number") from exc
    if not 0 <= number <= most:
        raise BadRequestData(f"{name} must be between 0 and {most}")
    return number


def row_query(params: dict[str, Any]) -> RowQuery:
    return RowQuery(
        filters=_filters(params.get("filters")),
        q=_q(params.get("q")),
        sort=_sort(params.get("sort")),
        fields=_fields(params.get("fields")),
        limit=_number(params, "limit", 100, MAX_LIMIT),
        offset=_number(params, "offset", 0, 10**9),
    )
