"""Access requests (申请 → 审批) and the stewards' view of the audit.

A department asks for a dataset with a purpose, a number of days and optionally the columns it
needs unmasked; the owning department's data steward (or an admin) approves, rejects or later
revokes. An approval expires after the granted days.
"""

from __future__ import annotations

from typing import Any

from cityhub.auth.principal import DEPARTMENT_ROLES
from cityhub.catalog.audit import Verification
from cityhub.catalog.policy import Reader, may_govern
from cityhub.catalog.service import CatalogService, columns_of
from cityhub.errors import BadRequestData, Forbidden, ResourceNotFound, Unauthorized
from cityhub.store.catalog_sql import AccessRecord, AuditFilter, AuditRecord
from cityhub.timeutil import iso_local, now_us

DAY_US = 86_400 * 1_000_000
MAX_DAYS = 365
DECISIONS = {"approve": "approved", "reject": "rejected", "revoke": "revoked"}


class AccessDesk:
    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog
        self.store = catalog.store

    def request(
        self, reader: Reader, key: str, purpose: str, fields: list[str], days: int
    ) -> AccessRecord:
        d = self.catalog.dataset(key)
        if reader.role not in DEPARTMENT_ROLES:
            raise (Unauthorized if reader.role == "anonymous" else Forbidden)(
                "access requests come from a department's key (staff, steward or admin)"
            )
        if reader.member_of(d.org):
            raise BadRequestData(f"{reader.department} owns {d.name}: no request is needed")
        if d.share_type == "not_shared":
            raise Forbidden(f"{d.name} is not shared (不予共享): requests are not accepted")
        if not isinstance(purpose, str) or not purpose.strip():
            raise BadRequestData("state the purpose of the request (用途)")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise BadRequestData(f"days must be a whole number from 1 to {MAX_DAYS}")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise BadRequestData("fields must be a list of column names")
        if fields:
            names = {c.id for c in columns_of(d, self.catalog.version(d))}
            unknown = sorted(set(fields) - names)
            if unknown:
                raise BadRequestData(f"fields: no column {unknown[0]!r} in {d.name}")
        record = AccessRecord(
            id=0,
            dataset_id=d.id,
            department=reader.department,
            key_id=reader.actor,
            purpose=purpose.strip(),
            fields=sorted(set(fields)),
            days=days,
            status="pending",
            created_us=now_us(),
        )
        record.id = self.store.catalog.add_access(record)
        self.catalog.audit.record(
            reader, "access_request", d.id, detail={"request": record.id, "fields": record.fields}
        )
        return record

    def decide(
        self, reader: Reader, access_id: int, decision: str, note: str = "", days: int | None = None
    ) -> AccessRecord:
        found = self.store.catalog.access_requests(access_id=access_id)
        if not found:
            raise ResourceNotFound(f"no access request {access_id}")
        record = found[0]
        d = self.catalog.dataset(record.dataset_id)
        if not may_govern(reader, d):
            raise (Unauthorized if reader.role == "anonymous" else Forbidden)(
                f"only {d.org}'s data steward or an admin decides requests for {d.name}"
            )
        if decision not in DECISIONS:
            raise BadRequestData(f"decision must be one of {', '.join(DECISIONS)}")
        wanted = "approved" if decision == "revoke" else "pending"
        if record.status != wanted:
            raise BadRequestData(f"request {access_id} is {record.status}: cannot {decision} it")
        granted = record.days if days is None else days
        if (
            isinstance(granted, bool)
            or not isinstance(granted, int)
            or not 1 <= granted <= record.days
        ):
            raise BadRequestData(f"days must be from 1 to the {record.days} requested")
        at = now_us()
        expires = at + granted * DAY_US if decision == "approve" else record.expires_us
        record.status = DECISIONS[decision]
        record.decided_by, record.decided_us, record.expires_us = reader.actor, at, expires
        record.note = note if isinstance(note, str) else ""
        self.store.catalog.decide_access(
            access_id, record.status, reader.actor, at, expires, record.note
        )
        self.catalog.audit.record(
            reader,
            "access_" + decision,
            d.id,
            detail={"request": access_id, "department": record.department, "days": granted},
        )
        return record

    def visible(self, reader: Reader, status: str | None = None) -> list[AccessRecord]:
        """Requests a reader may see: their department's own and those for its datasets."""
        if reader.role not in DEPARTMENT_ROLES:
            raise (Unauthorized if reader.role == "anonymous" else Forbidden)(
                "access requests are seen with a department's key"
            )
        every = self.store.catalog.access_requests(status=status)
        if reader.is_admin:
            return every
        owned = {d.id for d in self.catalog.datasets() if d.org == reader.department}
        return [r for r in every if r.department == reader.department or r.dataset_id in owned]

    def audit(
        self, reader: Reader, flt: AuditFilter, limit: int = 100, offset: int = 0
    ) -> list[AuditRecord]:
        """Audit records for a steward's own department's datasets and home-care register (an
        admin sees all)."""
        if reader.role not in ("steward", "admin"):
            raise (Unauthorized if reader.role == "anonymous" else Forbidden)(
                "the audit is read by data stewards and admins"
            )
        if not reader.is_admin:
            owned = [d.id for d in self.catalog.datasets() if d.org == reader.department]
            owned.append(f"care-register:{reader.department}")  # the home-care register
            wanted = owned if flt.dataset_ids is None else sorted(set(flt.dataset_ids) & set(owned))
            flt.dataset_ids = wanted
        return self.catalog.audit.query(flt, limit, offset)

    def verify(self, reader: Reader) -> Verification:
        if reader.role not in ("steward", "admin"):
            raise (Unauthorized if reader.role == "anonymous" else Forbidden)(
                "the audit is verified by data stewards and admins"
            )
        return self.catalog.audit.verify()


def access_dict(r: AccessRecord, dataset_name: str, tz: str) -> dict[str, Any]:
    def at(us: int | None) -> str | None:
        return None if us is None else iso_local(us, tz)

    return {
        "id": r.id,
        "dataset": dataset_name,
        "department": r.department,
        "requestedBy": r.key_id,
        "purpose": r.purpose,
        "fields": r.fields,
        "days": r.days,
        "status": r.status,
        "requestedAt": at(r.created_us),
        "decidedAt": at(r.decided_us),
        "decidedBy": r.decided_by,
        "expiresAt": at(r.expires_us),
        "note": r.note,
    }
