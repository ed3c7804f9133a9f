"""Context source registration CRUD and discovery (NGSI-LD 5.9.2–5.9.5, 5.10.1–5.10.2)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.broker.changes import to_us
from cityhub.broker.ql import compile_q
from cityhub.broker.registrations import STANDARD_MEMBERS, Covered, coverage, renamed, validate
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.store import Store
from cityhub.store.records import Entity
from cityhub.timeutil import now_iso

OWNER = "_owner"  # the department that made a registration (kept in its document)
FRESH_FOR = 1.0  # seconds a tenant's registrations are reused before being read again


class RegistrationService:
    def __init__(
        self,
        store: Store,
        resolve: Callable[[Any], TermMap],
        on_change: Callable[[str, dict[str, Any] | None, dict[str, Any] | None], Any] | None = None,
    ) -> None:
        self.store = store
        self._resolve = resolve
        # (tenant, before, after) after each change: notifies /csourceSubscriptions
        self._on_change = on_change or (lambda tenant, before, after: None)
        # tenant -> (read at, registrations with coverage): every query asks which sources
        # it goes to, so the answer is kept a second (and dropped on this process's changes)
        self._live: dict[str, tuple[float, list[tuple[dict[str, Any], list[Covered]]]]] = {}
        self._lock = threading.Lock()

    def _changed(self, tenant: str, before: Any, after: Any) -> None:
        with self._lock:
            self._live.pop(tenant, None)
        self._on_change(tenant, before, after)

    def create(self, tenant: str, body: Any, context: Any, actor: Principal | None = None) -> str:
        doc = renamed(validate(body), self._resolve(context).expand)  # kept expanded
        doc.pop(OWNER, None)
        doc.setdefault("id", f"urn:ngsi-ld:ContextSourceRegistration:{uuid.uuid4()}")
        if "expiresAt" in doc and to_us(doc["expiresAt"]) <= time.time_ns() // 1000:
            raise BadRequestData("expiresAt must be in the future")
        if context is not None:
            doc["@context"] = context
        doc["createdAt"] = doc["modifiedAt"] = now_iso()
        owner = policy.owner_for(actor)
        if owner:
            doc[OWNER] = owner
        self.store.registrations.put(tenant, doc["id"], doc, time.time_ns() // 1000, create=True)
        self._changed(tenant, None, doc)
        return str(doc["id"])

    def get(self, tenant: str, reg_id: str) -> dict[str, Any]:
        doc = self.store.registrations.get(tenant, reg_id)
        if doc is None:
            raise ResourceNotFound(f"context source registration {reg_id} was not found")
        return doc

    def update(
        self, tenant: str, reg_id: str, body: Any, context: Any, actor: Principal | None = None
    ) -> None:
        removed = [k for k, v in body.items() if v is None] if isinstance(body, dict) else []
        kept = {k: v for k, v in body.items() if v is not None} if isinstance(body, dict) else body
        fragment = renamed(validate(kept, partial=True), self._resolve(context).expand)
        if "id" in fragment and fragment["id"] != reg_id:
            raise BadRequestData("the id in the body differs from the id in the path")
        fragment.pop(OWNER, None)
        before = self.get(tenant, reg_id)
        policy.check_manage(actor, before.get(OWNER), "this registration")
        doc = dict(before)
        doc.update(fragment)
        for member in removed:  # NGSI-LD Null / merge-patch null: the member goes
            doc.pop(member, None)
        if context is not None:
            doc["@context"] = context
        validate({k: v for k, v in doc.items() if k not in ("@context", OWNER)})
        doc["modifiedAt"] = now_iso()
        self.store.registrations.put(tenant, reg_id, doc, 0, create=False)
        self._changed(tenant, before, doc)

    def delete(self, tenant: str, reg_id: str, actor: Principal | None = None) -> None:
        before = self.get(tenant, reg_id)
        policy.check_manage(actor, before.get(OWNER), "this registration")
        if not self.store.registrations.delete(tenant, reg_id):
            raise ResourceNotFound(f"context source registration {reg_id} was not found")
        self._changed(tenant, before, None)

    def registered(self, tenant: str) -> list[dict[str, Any]]:
        return self.store.registrations.list(tenant)

    def live(self, tenant: str) -> list[tuple[dict[str, Any], list[Covered]]]:
        """Registrations not expired, each with what it covers (names expanded)."""
        cached = self.cached(tenant)
        if cached is not None:
            return cached
        read = [
            (doc, coverage(doc, self._resolve(doc.get("@context"))))
            for doc in self.registered(tenant)
        ]
        with self._lock:
            self._live[tenant] = (time.monotonic(), read)
        return _unexpired(read)

    def cached(self, tenant: str) -> list[tuple[dict[str, Any], list[Covered]]] | None:
        """`live(tenant)` if it was read within the last second, else None (no store access:
        safe on the event loop)."""
        with self._lock:
            entry = self._live.get(tenant)
        if entry is None or time.monotonic() - entry[0] > FRESH_FOR:
            return None
        return _unexpired(entry[1])

    def discover(
        self,
        tenant: str,
        types: set[str] | None,
        ids: set[str] | None,
        attrs: set[str] | None,
        q: str | None,
        tm: TermMap,
    ) -> list[dict[str, Any]]:
        """Registrations covering the asked types/ids/attributes (expanded) whose own
        properties satisfy `q` (5.10.1: at least a type or an attribute must be asked)."""
        if not types and not attrs and not ids and not q:
            raise BadRequestData("discovering context sources needs type, attrs, id or q")
        predicate = compile_q(q, tm)[0] if q else None
        found = []
        for doc, covered in self.live(tenant):
            if not any(c.covers(types, ids, attrs) for c in covered):
                continue
            if predicate is not None and not predicate(_as_entity(doc)):
                continue
            found.append(doc)
        return found


def usable_by(doc: dict[str, Any], actor: Principal | None) -> bool:
    """Whether a request of `actor` may go to this source: a registration carrying credentials
    (contextSourceInfo) is used only for its own department (and admins), so no one reads or
    writes at a partner with another department's credentials."""
    return not doc.get("contextSourceInfo") or policy.may_see_secrets(actor, doc.get(OWNER))


def _unexpired(
    read: list[tuple[dict[str, Any], list[Covered]]],
) -> list[tuple[dict[str, Any], list[Covered]]]:
    now_us = time.time_ns() // 1000
    return [
        (doc, covered)
        for doc, covered in read
        if not doc.get("expiresAt") or to_us(doc["expiresAt"]) > now_us
    ]


def _as_entity(doc: dict[str, Any]) -> Entity:
    """A registration's own properties as an entity, for q (csourceProperty1=="aValue")."""
    attrs = {  # stored expanded
        name: [{"type": "Property", "value": value}]
        for name, value in doc.items()
        if name not in STANDARD_MEMBERS
    }
    return Entity(str(doc.get("id", "")), ["ContextSourceRegistration"], attrs)


def render_registration(
    doc: dict[str, Any], tm: TermMap, sys_attrs: bool = False
) -> dict[str, Any]:
    """A registration as the API shows it: names compacted with the reader's @context,
    createdAt/modifiedAt with sysAttrs."""
    hidden = ("@context", OWNER) if sys_attrs else ("@context", OWNER, "createdAt", "modifiedAt")
    shown = renamed({k: v for k, v in doc.items() if k not in hidden}, tm.compact)
    shown.setdefault("mode", "inclusive")
    shown.setdefault("operations", ["federationOps"])
    return shown
