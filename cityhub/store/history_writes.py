"""Deleting and rewriting history rows, shared by both dialects."""

from __future__ import annotations

from typing import Any

from cityhub.store import history_sql, rollups
from cityhub.store.records import HistoryRow


def delete_sql(
    tenant: str,
    entity_id: str,
    attr: str | None,
    dataset_id: str | None,
    all_datasets: bool,
    instance_id: str | None,
    mark: str,
) -> tuple[str, list[Any]]:
    clauses = [f"tenant = {mark}", f"entity_id = {mark}"]
    params: list[Any] = [tenant, entity_id]
    if attr is not None:
        clauses.append(f"attr = {mark}")
        params.append(attr)
        if instance_id is not None:
            clauses.append(f"instance_id = {mark}")
            params.append(instance_id)
        elif not all_datasets:
            if dataset_id is None:
                clauses.append("dataset_id IS NULL")
            else:
                clauses.append(f"dataset_id = {mark}")
                params.append(dataset_id)
    return "DELETE FROM attr_history WHERE " + " AND ".join(clauses), params


def replace_sql(mark: str) -> str:
    return (
        f"UPDATE attr_history SET observed_us = {mark}, modified_us = {mark}, value_num = {mark}, "
        f"value_key = {mark}, instance = {mark} WHERE tenant = {mark} AND entity_id = {mark} "
        f"AND attr = {mark} AND instance_id = {mark}"
    )


def replace_params(tenant: str, instance_id: str, row: HistoryRow, instance: Any) -> list[Any]:
    return [
        row.observed_us,
        row.modified_us,
        row.value_num,
        row.value_key,
        instance,
        tenant,
        row.entity_id,
        row.attr,
        instance_id,
    ]


class HistoryWriterMixin:
    """History writes inside a store transaction, shared by both dialects' writers."""

    _tenant: str
    _mark: str
    _dialect: str

    def _execute(self, sql: str, params: Any) -> int:
        """Run one statement in the transaction; returns the affected row count."""
        raise NotImplementedError

    def _execute_many(self, sql: str, rows: list[Any]) -> None:
        raise NotImplementedError

    def _json(self, doc: Any) -> Any:
        raise NotImplementedError

    def _insert_history(self, params: list[tuple[Any, ...]]) -> None:
        """Insert history rows (parameters in `history_sql.insert_sql`'s order)."""
        self._execute_many(history_sql.insert_sql(self._mark), params)

    def append_history(self, rows: list[HistoryRow]) -> None:
        if not rows:
            return
        self._insert_history(
            [history_sql.history_params(self._tenant, r, self._json(r.instance)) for r in rows]
        )
        self._upsert_rollups(rollups.fold(rows), rollups.fold_keys(rows))

    def _upsert_rollups(self, parts: list[tuple[Any, ...]], keys: list[tuple[Any, ...]]) -> None:
        """Add folded hours (`rollups.fold`, `rollups.fold_keys`) to the stored ones."""
        self._execute_many(
            rollups.upsert_sql(self._mark, self._dialect), [(self._tenant, *p) for p in parts]
        )
        if keys:
            self._execute_many(
                rollups.upsert_keys_sql(self._mark), [(self._tenant, *k) for k in keys]
            )

    def _rebuild_rollups(self, entity_id: str, attr: str | None, keep_pruned: bool = True) -> None:
        """Recompute the hours from raw rows; with `keep_pruned`, not the hours retention has
        pruned (`rollups.rebuild_sql`)."""
        params = [self._tenant, entity_id] + ([attr] if attr else [])
        if keep_pruned:
            params += [self._tenant, entity_id]
        for statement in rollups.rebuild_sql(self._mark, attr is not None, keep_pruned):
            self._execute(statement, params)

    def delete_history(
        self,
        entity_id: str,
        attr: str | None = None,
        dataset_id: str | None = None,
        all_datasets: bool = True,
        instance_id: str | None = None,
    ) -> int:
        sql, params = delete_sql(
            self._tenant, entity_id, attr, dataset_id, all_datasets, instance_id, self._mark
        )
        removed = self._execute(sql, params)
        if removed:
            # the whole temporal entity deleted: its pruned hours go too
            self._rebuild_rollups(entity_id, attr, keep_pruned=attr is not None)
        return removed

    def drop_observations(self, rows: list[HistoryRow]) -> int:
        """Remove the stored instances that `rows` observe again (same entity, attribute,
        datasetId and observedAt), before `rows` are appended: a reading sent again replaces
        the one kept. Returns how many went."""
        m = self._mark
        sql = (
            f"DELETE FROM attr_history WHERE tenant = {m} AND entity_id = {m} AND attr = {m} "
            f"AND observed_us = {m} AND coalesce(dataset_id, '') = {m} AND deleted_us IS NULL"
        )
        removed = 0
        touched: set[tuple[str, str]] = set()
        for r in rows:
            if "observedAt" not in r.instance:
                continue
            params = [self._tenant, r.entity_id, r.attr, r.observed_us, r.dataset_id or ""]
            if self._execute(sql, params):
                removed += 1
                touched.add((r.entity_id, r.attr))
        for entity_id, attr in touched:
            self._rebuild_rollups(entity_id, attr)
        return removed

    def replace_history_instance(self, instance_id: str, row: HistoryRow) -> bool:
        params = replace_params(self._tenant, instance_id, row, self._json(row.instance))
        changed = self._execute(replace_sql(self._mark), params) > 0
        if changed:
            self._rebuild_rollups(row.entity_id, row.attr)
        return changed
