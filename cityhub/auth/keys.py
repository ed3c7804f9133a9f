"""Create and check API keys. Only a SHA-256 of each secret is stored."""

from __future__ import annotations

import hashlib
import secrets
import time

from cityhub.errors import BadRequestData, Forbidden, Unauthorized
from cityhub.store import Store
from cityhub.store.records import ApiKey

ROLES = ("public", "staff", "steward", "admin")
_CACHE_SECONDS = 2.0


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: Store, department: str, role: str = "staff") -> tuple[str, str]:
    """Make a key for a department; returns (key id, secret). The secret is shown only once."""
    if not department.strip():
        raise BadRequestData("a key needs a department")
    if role not in ROLES:
        raise BadRequestData(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    key_id = "key_" + secrets.token_hex(4)
    secret = "chk_" + secrets.token_urlsafe(24)
    store.add_api_key(key_id, hash_secret(secret), department.strip(), role)
    return key_id, secret


def secret_from_headers(headers: dict[str, str]) -> str | None:
    """The key from `Authorization: Bearer KEY`, X-Api-Key, or CKAN's bare `Authorization: KEY`
    and X-CKAN-API-Key (so CKAN clients work unchanged)."""
    auth = headers.get("authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if auth.startswith("chk_"):
        return auth
    return headers.get("x-api-key") or headers.get("x-ckan-api-key") or None


class KeyChecker:
    """Answers 'may this request write/read?' with a short cache of whether keys exist at all."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._enabled_at = 0.0
        self._enabled = False
        self._private: dict[str, tuple[float, bool]] = {}
        self._known: dict[str, tuple[float, ApiKey | None]] = {}

    def enabled(self) -> bool:
        now = time.monotonic()
        if now - self._enabled_at > _CACHE_SECONDS:
            self._enabled = self._store.has_api_keys()
            self._enabled_at = now
        return self._enabled

    def _is_private(self, tenant: str) -> bool:
        now = time.monotonic()
        cached = self._private.get(tenant)
        if cached is None or now - cached[0] > _CACHE_SECONDS:
            cached = (now, self._store.tenant_is_private(tenant))
            self._private[tenant] = cached
        return cached[1]

    def identify(self, headers: dict[str, str]) -> ApiKey | None:
        secret = secret_from_headers(headers)
        if secret is None:
            return None
        now = time.monotonic()
        cached = self._known.get(secret)
        if cached is None or now - cached[0] > _CACHE_SECONDS:
            if len(self._known) > 10_000:
                self._known.clear()
            cached = (now, self._store.find_api_key(hash_secret(secret)))
            self._known[secret] = cached
        key = cached[1]
        if key is None:
            raise Unauthorized("the API key is not valid")
        return key

    def check_write(self, headers: dict[str, str]) -> ApiKey | None:
        if not self.enabled():
            return None
        key = self.identify(headers)
        if key is None:
            raise Unauthorized("writes need an API key: 'Authorization: Bearer KEY' or X-Api-Key")
        if key.role == "public":
            raise Forbidden("this API key may only read")
        return key

    def check_read(self, headers: dict[str, str], tenant: str) -> ApiKey | None:
        key = self.identify(headers)
        if key is None and tenant and self._is_private(tenant):
            raise Unauthorized(f"tenant '{tenant}' is private: reads need an API key")
        return key
