"""Context source registrations, stored as documents per tenant (both dialects)."""

from __future__ import annotations

from typing import Any

from cityhub.errors import AlreadyExists
from cityhub.store.repository import Repository


class RegistrationRepository(Repository):
    def put(
        self, tenant: str, reg_id: str, doc: dict[str, Any], created_us: int, create: bool
    ) -> None:
        """Store a new registration (AlreadyExists when the id is taken) or replace one."""
        m = self._mark
        if create:
            rows = self._run(
                "INSERT INTO csource_registrations (tenant, id, doc, created_us) "
                f"VALUES ({m}, {m}, {m}, {m}) ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                (tenant, reg_id, self._json_in(doc), created_us),
                write=True,
            )
            if not rows:
                raise AlreadyExists(f"context source registration {reg_id} already exists")
            return
        self._run(
            f"UPDATE csource_registrations SET doc = {m} WHERE tenant = {m} AND id = {m}",
            (self._json_in(doc), tenant, reg_id),
            write=True,
        )

    def get(self, tenant: str, reg_id: str) -> dict[str, Any] | None:
        m = self._mark
        rows = self._run(
            f"SELECT doc FROM csource_registrations WHERE tenant = {m} AND id = {m}",
            (tenant, reg_id),
        )
        return self._json_out(rows[0][0]) if rows else None

    def list(self, tenant: str) -> list[dict[str, Any]]:
        """Every registration of the tenant, in the order they were made."""
        m = self._mark
        rows = self._run(
            f"SELECT doc FROM csource_registrations WHERE tenant = {m} ORDER BY created_us, id",
            (tenant,),
        )
        return [self._json_out(row[0]) for row in rows]

    def delete(self, tenant: str, reg_id: str) -> bool:
        m = self._mark
        rows = self._run(
            f"DELETE FROM csource_registrations WHERE tenant = {m} AND id = {m} RETURNING id",
            (tenant, reg_id),
            write=True,
        )
        return bool(rows)
