"""History retention in the store: which types a tenant has, deleting a bounded chunk of one
type's raw history older than a moment, and the moment each type was pruned up to (so roll-ups
rebuilt from raw rows leave the pruned hours as they are)."""

from __future__ import annotations

from cityhub.store.repository import Repository


class RetentionRepository(Repository):
    def tenants(self) -> list[str]:
        """The tenants that have entities (the default one is not in the tenants table)."""
        rows = self._run("SELECT DISTINCT tenant FROM entity_types ORDER BY tenant")
        return [str(r[0]) for r in rows]

    def types(self, tenant: str) -> list[str]:
        """The entity types (expanded) the tenant's entities have."""
        m = self._mark
        rows = self._run(
            f"SELECT DISTINCT type FROM entity_types WHERE tenant = {m} ORDER BY type", (tenant,)
        )
        return [str(r[0]) for r in rows]

    def prune_chunk(self, tenant: str, type_: str, before_us: int, most: int) -> int:
        """Delete at most `most` raw history rows of the type's entities observed before
        `before_us` (a whole hour); returns how many went. The moment is recorded first, in
        the same transaction, so no rebuild ever sees the hour half pruned."""
        m = self._mark
        with self._core._transaction() as conn:
            conn.execute(
                f"INSERT INTO history_pruned (tenant, type, before_us) VALUES ({m}, {m}, {m}) "
                "ON CONFLICT (tenant, type) DO UPDATE SET before_us = "
                + ("max" if self.dialect == "sqlite" else "GREATEST")
                + "(history_pruned.before_us, excluded.before_us)",
                (tenant, type_, before_us),
            )
            cur = conn.execute(
                "DELETE FROM attr_history WHERE id IN (SELECT h.id FROM attr_history h "
                "JOIN entities e ON e.tenant = h.tenant AND e.id = h.entity_id "
                "JOIN entity_types t ON t.entity_pk = e.pk "
                f"WHERE t.tenant = {m} AND t.type = {m} AND h.tenant = {m} "
                f"AND h.observed_us < {m} LIMIT {m})",
                (tenant, type_, tenant, before_us, most),
            )
            return int(cur.rowcount)

    def pruned_before(self, tenant: str) -> dict[str, int]:
        m = self._mark
        rows = self._run(
            f"SELECT type, before_us FROM history_pruned WHERE tenant = {m}", (tenant,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def raw_rows(self) -> int:
        """Raw history rows in the store, every tenant."""
        return int(self._run("SELECT count(*) FROM attr_history")[0][0])
