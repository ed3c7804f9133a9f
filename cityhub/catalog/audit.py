"""The access audit: every read of catalog rows, every download, import, classification and
access decision, as an append-only log whose records are chained by SHA-256.

Each record's hash covers its own fields and the previous record's hash, so editing, deleting or
reordering any record breaks every hash after it. The tables refuse UPDATE and DELETE (triggers);
`verify` recomputes the chain and names the first record that does not fit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cityhub.catalog.policy import Reader
from cityhub.store import Store
from cityhub.store.catalog_sql import AuditFilter, AuditRecord
from cityhub.timeutil import iso_local, now_us

_BATCH = 10_000


def chain_hash(prev_hash: str, r: AuditRecord) -> str:
    payload = orjson.dumps([*r.fields(), prev_hash])
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    broken_at: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "brokenAt": self.broken_at,
            "reason": self.reason,
        }


class AuditLog:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        reader: Reader,
        action: str,
        dataset_id: str,
        version: int | None = None,
        rows: int = 0,
        detail: dict[str, Any] | None = None,
    ) -> None:
        entry = AuditRecord(
            seq=0,
            at_us=now_us(),
            actor=reader.actor,
            department=reader.department,
            role=reader.role,
            action=action,
            dataset_id=dataset_id,
            version=version,
            rows=rows,
            detail=orjson.dumps(detail or {}, option=orjson.OPT_SORT_KEYS).decode(),
        )
        self._store.catalog.append_audit([entry], chain_hash)

    def query(self, flt: AuditFilter, limit: int = 100, offset: int = 0) -> list[AuditRecord]:
        return self._store.catalog.audit_records(flt, limit, offset)

    def verify(self, progress: Callable[[int], None] | None = None) -> Verification:
        """Walk the whole log in order, recomputing every hash."""
        prev_hash, expected_seq, count, after = "", 1, 0, 0
        while True:
            batch = self._store.catalog.audit_records(AuditFilter(), limit=_BATCH, after_seq=after)
            if not batch:
                return Verification(True, count, None, "the chain is intact")
            for r in batch:
                if r.seq != expected_seq:
                    return Verification(
                        False, count, r.seq, f"record {expected_seq} is missing before {r.seq}"
                    )
                if r.prev_hash != prev_hash:
                    return Verification(
                        False, count, r.seq, "its link does not match the previous record's hash"
                    )
                if chain_hash(prev_hash, r) != r.hash:
                    return Verification(
                        False, count, r.seq, "its contents do not match its hash (edited)"
                    )
                prev_hash, expected_seq, count = r.hash, expected_seq + 1, count + 1
            after = batch[-1].seq
            if progress is not None:
                progress(len(batch))


def record_dict(r: AuditRecord, tz: str) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "at": iso_local(r.at_us, tz),
        "actor": r.actor,
        "department": r.department,
        "role": r.role,
        "action": r.action,
        "dataset": r.dataset_id,
        "version": r.version,
        "rows": r.rows,
        "detail": orjson.loads(r.detail),
        "hash": r.hash,
    }
