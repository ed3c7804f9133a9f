"""API keys and dashboard sessions: one small repository, written once for both dialects.

Only SHA-256 hashes of secrets and session tokens are stored. A key is never deleted: revoking
stamps it, so "does this city use keys at all" stays true after every key is revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cityhub.store.records import ApiKey
from cityhub.timeutil import now_iso

Run = Callable[..., list[tuple[Any, ...]]]
_COLUMNS = "key_id, department, role, created_at, tenants, expires_at, revoked_at"


def _key(row: tuple[Any, ...]) -> ApiKey:
    tenants = orjson.loads(row[4]) if row[4] else [""]
    return ApiKey(row[0], row[1], row[2], row[3], tuple(tenants), row[5], row[6])


class KeyRepository:
    """Rows of `api_keys` and `sessions`; `run(sql, params, write=...)` is the store's."""

    def __init__(self, run: Run, mark: str) -> None:
        self._run = run
        self._m = mark

    def add(self, key: ApiKey, secret_hash: str) -> None:
        m = self._m
        self._run(
            "INSERT INTO api_keys (key_id, secret_hash, department, role, created_at, tenants, "
            f"expires_at) VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m})",
            (
                key.key_id,
                secret_hash,
                key.department,
                key.role,
                key.created_at or now_iso(),
                orjson.dumps(list(key.tenants)).decode(),
                key.expires_at,
            ),
            write=True,
        )

    def by_secret(self, secret_hash: str) -> ApiKey | None:
        rows = self._run(
            f"SELECT {_COLUMNS} FROM api_keys WHERE secret_hash = {self._m}", (secret_hash,)
        )
        return _key(rows[0]) if rows else None

    def by_id(self, key_id: str) -> ApiKey | None:
        rows = self._run(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = {self._m}", (key_id,))
        return _key(rows[0]) if rows else None

    def all(self) -> list[ApiKey]:
        return [_key(r) for r in self._run(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at")]

    def any(self) -> bool:
        return bool(self._run("SELECT 1 FROM api_keys LIMIT 1"))

    def revoke(self, key_id: str) -> bool:
        m = self._m
        done = self._run(
            f"UPDATE api_keys SET revoked_at = {m} WHERE key_id = {m} AND revoked_at IS NULL "
            "RETURNING key_id",
            (now_iso(), key_id),
            write=True,
        )
        self._run(f"DELETE FROM sessions WHERE key_id = {m}", (key_id,), write=True)
        return bool(done)

    def replace_secret(self, key_id: str, secret_hash: str) -> bool:
        m = self._m
        done = self._run(
            f"UPDATE api_keys SET secret_hash = {m} WHERE key_id = {m} AND revoked_at IS NULL "
            "RETURNING key_id",
            (secret_hash, key_id),
            write=True,
        )
        self._run(f"DELETE FROM sessions WHERE key_id = {m}", (key_id,), write=True)
        return bool(done)

    # -- sessions -----------------------------------------------------------------------------
    def add_session(self, token_hash: str, key_id: str, expires_at: str) -> None:
        m = self._m
        self._run(
            "INSERT INTO sessions (token_hash, key_id, created_at, expires_at) "
            f"VALUES ({m}, {m}, {m}, {m})",
            (token_hash, key_id, now_iso(), expires_at),
            write=True,
        )
        self._run(f"DELETE FROM sessions WHERE expires_at < {m}", (now_iso(),), write=True)

    def session_key(self, token_hash: str) -> tuple[str, str] | None:
        """(key id, expiry) of a session."""
        rows = self._run(
            f"SELECT key_id, expires_at FROM sessions WHERE token_hash = {self._m}", (token_hash,)
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def end_session(self, token_hash: str) -> None:
        self._run(f"DELETE FROM sessions WHERE token_hash = {self._m}", (token_hash,), write=True)
