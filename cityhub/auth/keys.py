"""API keys: create, list, revoke, rotate; and turning a request's credentials into a Principal.

Only a SHA-256 of each secret is stored. A key names its department, its role, the tenants it
may use ("*" for all) and optionally when it expires. Lookups are cached for half a second, so
a revoked or expired key is refused within a second on every process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Mapping

from cityhub.auth.principal import EVERY_TENANT, OPEN, ROLES, Principal
from cityhub.errors import BadRequestData, ResourceNotFound, Unauthorized
from cityhub.store import Store
from cityhub.store.records import ApiKey
from cityhub.timeutil import now_iso

_CACHE_SECONDS = 0.5
SESSION_COOKIE = "cityhub_session"
SESSION_HOURS = 12
_TENANT = re.compile(r"[A-Za-z0-9_\-.:/]{1,64}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_tenants(tenants: tuple[str, ...]) -> tuple[str, ...]:
    for tenant in tenants:
        if tenant not in ("", EVERY_TENANT) and not _TENANT.fullmatch(tenant):
            raise BadRequestData(f"invalid tenant name {tenant!r}")
    return tuple(dict.fromkeys(tenants)) or ("",)


def create_key(
    store: Store,
    department: str,
    role: str = "staff",
    tenants: tuple[str, ...] | None = None,
    days: float | None = None,
) -> tuple[str, str]:
    """Make a key for a department; returns (key id, secret). The secret is shown only once.

    Without `tenants` a key is bound to the default tenant, an admin key to every tenant."""
    if not department.strip():
        raise BadRequestData("a key needs a department")
    if role not in ROLES:
        raise BadRequestData(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if days is not None and not 0 < days <= 3650:
        raise BadRequestData("a key's lifetime is from a moment to 3,650 days")
    bound = check_tenants(tenants if tenants else ((EVERY_TENANT,) if role == "admin" else ("",)))
    expires = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=days)) if days else None
    key_id = "key_" + secrets.token_hex(4)
    secret = "chk_" + secrets.token_urlsafe(24)
    store.keys.add(
        ApiKey(key_id, department.strip(), role, now_iso(), bound, expires), hash_secret(secret)
    )
    return key_id, secret


def rotate_key(store: Store, key_id: str) -> str:
    """A new secret for a key (same department, role, tenants); the old one stops working."""
    secret = "chk_" + secrets.token_urlsafe(24)
    if not store.keys.replace_secret(key_id, hash_secret(secret)):
        raise ResourceNotFound(f"no live key {key_id!r}")
    return secret


def revoke_key(store: Store, key_id: str) -> None:
    if not store.keys.revoke(key_id):
        raise ResourceNotFound(f"no live key {key_id!r}")


def key_state(key: ApiKey, now: str | None = None) -> str:
    """live, expired or revoked."""
    if key.revoked_at:
        return "revoked"
    if key.expires_at and key.expires_at <= (now or now_iso()):
        return "expired"
    return "live"


def secret_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key from `Authorization: Bearer KEY`, X-Api-Key, or CKAN's bare `Authorization: KEY`
    and X-CKAN-API-Key (so CKAN clients work unchanged)."""
    auth = headers.get("authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if auth.startswith("chk_"):
        return auth
    return headers.get("x-api-key") or headers.get("x-ckan-api-key") or None


class _Cache:
    """A small time-limited map, safe across threads."""

    def __init__(self, seconds: float, most: int = 10_000) -> None:
        self.seconds, self.most = seconds, most
        self._items: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, object]:
        with self._lock:
            found = self._items.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return False, None
        return True, found[1]

    def put(self, key: str, value: object) -> None:
        with self._lock:
            if len(self._items) >= self.most:
                self._items.clear()
            self._items[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Authenticator:
    """Credentials (a key in a header, or a dashboard session cookie) -> a Principal."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys = _Cache(_CACHE_SECONDS)
        self._sessions = _Cache(_CACHE_SECONDS)
        self._tenants = _Cache(1.0)
        self._open: tuple[float, bool] = (0.0, False)

    def enabled(self) -> bool:
        """Once any key exists (live or not), the city is secured; with none it is a
        development store and every rule passes."""
        at, value = self._open
        if time.monotonic() - at > _CACHE_SECONDS:
            value = self._store.keys.any()
            self._open = (time.monotonic(), value)
        return value

    def forget(self) -> None:
        """Drop cached lookups (after keys change in this process)."""
        self._keys.clear()
        self._sessions.clear()
        self._open = (0.0, False)

    def key_for_secret(self, secret: str) -> ApiKey:
        hit, value = self._keys.get(secret)
        if not hit:
            value = self._store.keys.by_secret(hash_secret(secret))
            self._keys.put(secret, value)
        if not isinstance(value, ApiKey) or key_state(value) != "live":
            raise Unauthorized("the API key is not valid (unknown, expired or revoked)")
        return value

    def knows(self, headers: Mapping[str, str], session_token: str | None = None) -> bool:
        """Whether `principal` can answer from memory (no store lookup): callers on the event
        loop call it there, and otherwise in a thread."""
        secret = secret_from_headers(headers)
        if secret is not None:
            return self._keys.get(secret)[0]
        if session_token and not self._sessions.get(session_token)[0]:
            return False
        return time.monotonic() - self._open[0] <= _CACHE_SECONDS

    def knows_tenant(self, tenant: str) -> bool:
        return self._tenants.get(tenant)[0]

    def principal(self, headers: Mapping[str, str], session_token: str | None = None) -> Principal:
        """Who is asking. A bad key is an error, never a silent downgrade to anonymous."""
        secret = secret_from_headers(headers)
        if secret is not None:
            return Principal.of_key(self.key_for_secret(secret))
        if session_token:
            key = self._session_key(session_token)
            if key is not None:
                return Principal.of_key(key)
        return OPEN if not self.enabled() else Principal.of_key(None)

    def principal_for_secret(self, secret: str | None) -> Principal:
        if not secret:
            return OPEN if not self.enabled() else Principal.of_key(None)
        return Principal.of_key(self.key_for_secret(secret))

    # -- dashboard sessions -------------------------------------------------------------------
    def start_session(self, secret: str) -> tuple[str, ApiKey, int]:
        """(cookie token, key, seconds it lasts) for a valid key."""
        key = self.key_for_secret(secret)
        token = secrets.token_urlsafe(32)
        lasts = SESSION_HOURS * 3600
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lasts)
        if key.expires_at and key.expires_at < _iso(expires):
            expires = dt.datetime.fromisoformat(key.expires_at.replace("Z", "+00:00"))
            lasts = max(1, int((expires - dt.datetime.now(dt.UTC)).total_seconds()))
        self._store.keys.add_session(hash_secret(token), key.key_id, _iso(expires))
        return token, key, lasts

    def end_session(self, token: str) -> None:
        self._store.keys.end_session(hash_secret(token))
        self._sessions.put(token, None)

    def _session_key(self, token: str) -> ApiKey | None:
        hit, value = self._sessions.get(token)
        if not hit:
            found = self._store.keys.session_key(hash_secret(token))
            value = None
            if found is not None and found[1] > now_iso():
                value = self._store.keys.by_id(found[0])
            self._sessions.put(token, value)
        if isinstance(value, ApiKey) and key_state(value) == "live":
            return value
        return None

    # -- tenants ------------------------------------------------------------------------------
    def tenant_state(self, tenant: str) -> str:
        """public, private or missing."""
        hit, value = self._tenants.get(tenant)
        if not hit:
            if not self._store.tenant_exists(tenant):
                value = "missing"
            else:
                value = "private" if self._store.tenant_is_private(tenant) else "public"
            self._tenants.put(tenant, value)
        return str(value)
