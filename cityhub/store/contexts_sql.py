"""JSON-LD @context documents: hosted (/jsonldContexts), cached from a fetch or preloaded.
One repository for both dialects; a hosted context remembers the department that added it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson

from cityhub.store.records import StoredContext
from cityhub.timeutil import now_iso

Run = Callable[..., list[tuple[Any, ...]]]
_COLUMNS = "local_id, url, kind, body, created_at, last_used, hits, owner"


def _doc(value: Any) -> dict[str, Any]:
    out = orjson.loads(value) if isinstance(value, bytes | str | memoryview) else value
    if isinstance(out, memoryview):  # pragma: no cover
        out = orjson.loads(bytes(out))
    assert isinstance(out, dict)
    return out


class ContextRepository:
    def __init__(self, run: Run, mark: str, json_in: Callable[[Any], Any]) -> None:
        self._run = run
        self._m = mark
        self._json_in = json_in

    def get_context(self, url: str) -> dict[str, Any] | None:
        rows = self._run(f"SELECT body FROM contexts WHERE url = {self._m}", (url,))
        return _doc(rows[0][0]) if rows else None

    def get_hosted_context(self, local_id: str) -> dict[str, Any] | None:
        rows = self._run(f"SELECT body FROM contexts WHERE local_id = {self._m}", (local_id,))
        return _doc(rows[0][0]) if rows else None

    def put_context(
        self, url: str, body: dict[str, Any], kind: str, owner: str | None = None
    ) -> str:
        local_id = uuid.uuid4().hex
        if kind in ("Hosted", "ImplicitlyCreated"):
            url = f"/ngsi-ld/v1/jsonldContexts/{local_id}"
        m = self._m
        rows = self._run(
            "INSERT INTO contexts (local_id, url, kind, body, created_at, owner) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}) "
            "ON CONFLICT (url) DO UPDATE SET body = excluded.body RETURNING local_id",
            (local_id, url, kind, self._json_in(body), now_iso(), owner),
            write=True,
        )
        return str(rows[0][0])

    def list_contexts(self, kind: str | None = None) -> list[StoredContext]:
        where = f" WHERE kind = {self._m}" if kind else ""
        rows = self._run(
            f"SELECT {_COLUMNS} FROM contexts{where} ORDER BY created_at", (kind,) if kind else ()
        )
        return [
            StoredContext(r[0], r[1], r[2], _doc(r[3]), r[4], r[5], int(r[6]), r[7]) for r in rows
        ]

    def get_context_record(self, ref: str) -> StoredContext | None:
        """A held context by local id or (a cached one) by URL."""
        m = self._m
        rows = self._run(
            f"SELECT {_COLUMNS} FROM contexts WHERE local_id = {m} OR url = {m}", (ref, ref)
        )
        if not rows:
            return None
        r = rows[0]
        return StoredContext(r[0], r[1], r[2], _doc(r[3]), r[4], r[5], int(r[6]), r[7])

    def add_usage(self, url: str, hits: int, last_used: str) -> None:
        m = self._m
        self._run(
            f"UPDATE contexts SET hits = hits + {m}, last_used = {m} WHERE url = {m}",
            (hits, last_used, url),
            write=True,
        )

    def delete_context(self, local_id: str) -> bool:
        rows = self._run(
            f"DELETE FROM contexts WHERE local_id = {self._m} RETURNING local_id",
            (local_id,),
            write=True,
        )
        return bool(rows)
