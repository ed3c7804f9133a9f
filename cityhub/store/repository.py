"""A repository: one aggregate's operations (catalog, requests, indicators, devices,
subscriptions), written once for both dialects over the store's primitives — the store is the
one object that knows the dialect (its `_run`, `_mark`, `_transaction`, JSON adaptation)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import orjson


class Core(Protocol):
    dialect: str
    _mark: str

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]: ...

    def _run_many(self, statements: list[tuple[str, list[Any]]]) -> None: ...

    def _transaction(self, lock: int | None = None) -> AbstractContextManager[Any]: ...

    def _json_in(self, doc: Any) -> Any: ...


class Repository:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._mark = core._mark
        self.dialect = core.dialect

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]:
        return self._core._run(sql, params, write)

    def _run_many(self, statements: list[tuple[str, list[Any]]]) -> None:
        self._core._run_many(statements)

    def _transaction(self, lock: int | None = None) -> AbstractContextManager[Any]:
        return self._core._transaction(lock)

    def _json_in(self, doc: Any) -> Any:
        return self._core._json_in(doc)

    def _equal(self, flt: Any, columns: tuple[str, ...]) -> tuple[list[str], list[Any]]:
        """`column = ?` for each of a filter's fields that is set (named as its column)."""
        where: list[str] = []
        params: list[Any] = []
        for column in columns:
            value = getattr(flt, column)
            if value is not None:
                where.append(f"{column} = {self._mark}")
                params.append(value)
        return where, params

    def _json_out(self, value: Any) -> Any:
        if isinstance(value, memoryview):
            value = bytes(value)
        return orjson.loads(value) if isinstance(value, bytes | str) else value
