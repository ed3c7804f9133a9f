"""Device provisioning, dead letters and redelivery detection, for both dialects."""

from __future__ import annotations

from typing import Any

from cityhub.store.repository import Repository


def seen_sql(mark: str) -> str:
    return (
        f"INSERT INTO ingest_seen (tenant, device_id, ts_us) VALUES ({mark}, {mark}, {mark}) "
        "ON CONFLICT DO NOTHING RETURNING ts_us"
    )


class DeviceRepository(Repository):
    """Provisioned groups and devices, dead letters."""

    def put_group(self, tenant: str, apikey: str, doc: dict[str, Any]) -> None:
        m = self._mark
        self._run(
            f"INSERT INTO iot_groups (apikey, tenant, doc) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (apikey) DO UPDATE SET tenant = excluded.tenant, doc = excluded.doc",
            (apikey, tenant, self._json_in(doc)),
            write=True,
        )

    def get_group(self, apikey: str) -> tuple[str, dict[str, Any]] | None:
        rows = self._run(
            f"SELECT tenant, doc FROM iot_groups WHERE apikey = {self._mark}", (apikey,)
        )
        return (rows[0][0], self._json_out(rows[0][1])) if rows else None

    def list_groups(self, tenant: str) -> list[dict[str, Any]]:
        rows = self._run(
            f"SELECT doc FROM iot_groups WHERE tenant = {self._mark} ORDER BY apikey", (tenant,)
        )
        return [self._json_out(r[0]) for r in rows]

    def delete_group(self, tenant: str, apikey: str) -> bool:
        m = self._mark
        return bool(
            self._run(
                f"DELETE FROM iot_groups WHERE tenant = {m} AND apikey = {m} RETURNING apikey",
                (tenant, apikey),
                write=True,
            )
        )

    def put_device(self, tenant: str, device_id: str, apikey: str, doc: dict[str, Any]) -> None:
        m = self._mark
        self._run(
            f"INSERT INTO iot_devices (tenant, device_id, apikey, doc) VALUES ({m}, {m}, {m}, {m}) "
            "ON CONFLICT (tenant, device_id) DO UPDATE SET apikey = excluded.apikey, "
            "doc = excluded.doc",
            (tenant, device_id, apikey, self._json_in(doc)),
            write=True,
        )

    def find_device(self, apikey: str, device_id: str) -> tuple[str, dict[str, Any]] | None:
        m = self._mark
        rows = self._run(
            f"SELECT tenant, doc FROM iot_devices WHERE apikey = {m} AND device_id = {m}",
            (apikey, device_id),
        )
        return (rows[0][0], self._json_out(rows[0][1])) if rows else None

    def get_device(self, tenant: str, device_id: str) -> dict[str, Any] | None:
        m = self._mark
        rows = self._run(
            f"SELECT doc FROM iot_devices WHERE tenant = {m} AND device_id = {m}",
            (tenant, device_id),
        )
        return self._json_out(rows[0][0]) if rows else None

    def list_devices(self, tenant: str) -> list[dict[str, Any]]:
        rows = self._run(
            f"SELECT doc FROM iot_devices WHERE tenant = {self._mark} ORDER BY device_id",
            (tenant,),
        )
        return [self._json_out(r[0]) for r in rows]

    def delete_device(self, tenant: str, device_id: str) -> bool:
        m = self._mark
        return bool(
            self._run(
                f"DELETE FROM iot_devices WHERE tenant = {m} AND device_id = {m} "
                "RETURNING device_id",
                (tenant, device_id),
                write=True,
            )
        )

    def add_dead_letters(self, letters: list[tuple[str, str, bytes, str, str | None]]) -> None:
        """(received_at, source, payload, reason, tenant) of messages that could not be stored;
        the tenant is None when no provisioned device was recognised."""
        m = self._mark
        for letter in letters:
            self._run(
                "INSERT INTO dead_letters (received_at, source, payload, reason, tenant) "
                f"VALUES ({m}, {m}, {m}, {m}, {m})",
                letter,
                write=True,
            )

    def dead_letters(
        self, tenant: str | None, limit: int = 100
    ) -> list[tuple[str, str, bytes, str]]:
        """The latest of one tenant's dead letters (None: those of no known device)."""
        m = self._mark
        where = "tenant IS NULL" if tenant is None else f"tenant = {m}"
        rows = self._run(
            "SELECT received_at, source, payload, reason FROM dead_letters "
            f"WHERE {where} ORDER BY id DESC LIMIT {m}",
            (limit,) if tenant is None else (tenant, limit),
        )
        return [(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def dead_letter_count(self, tenant: str | None) -> int:
        if tenant is None:
            return int(self._run("SELECT count(*) FROM dead_letters WHERE tenant IS NULL")[0][0])
        rows = self._run(
            f"SELECT count(*) FROM dead_letters WHERE tenant = {self._mark}", (tenant,)
        )
        return int(rows[0][0])
