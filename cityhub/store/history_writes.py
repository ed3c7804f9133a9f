"""Deleting and rewriting history rows, shared by both dialects."""

from __future__ import annotations

from typing import Any

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
        f"value_key = {mark}, instance = {mark} WHERE tenant = {mark} AND instance_id = {mark}"
    )


def replace_params(tenant: str, instance_id: str, row: HistoryRow, instance: Any) -> list[Any]:
    return [
        row.observed_us,
        row.modified_us,
        row.value_num,
        row.value_key,
        instance,
        tenant,
        instance_id,
    ]
