"""The dataset catalog's tables: departments, datasets, versions and their rows, access requests
and the hash-chained audit. One text for both dialects over `_run` and `_transaction`.

A version's rows are written in committed chunks while the version is `loading`; readers only
see `ready` versions, and a failed import drops its rows, so a half-read file is never visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from cityhub.catalog.datastore import RowQuery
from cityhub.catalog.schema import Column
from cityhub.errors import AlreadyExists
from cityhub.store import datastore_sql
from cityhub.store.repository import Repository


def _loads(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return orjson.loads(bytes(value))
    if isinstance(value, str):
        return orjson.loads(value)
    return value


@dataclass
class DatasetRecord:
    id: str
    name: str
    org: str
    resource_id: str
    share_type: str
    open_type: str
    grade: str
    level: int | None
    confirmed: bool
    version: int
    doc: dict[str, Any]
    created_us: int
    modified_us: int


@dataclass
class VersionRecord:
    table_id: int
    dataset_id: str
    version: int
    state: str
    rows: int
    columns: list[dict[str, Any]]
    source: str
    format: str
    bytes: int
    sha256: str
    suggestion: dict[str, Any]
    created_us: int


@dataclass
class AccessRecord:
    id: int
    dataset_id: str
    department: str
    key_id: str
    purpose: str
    fields: list[str]
    days: int
    status: str  # pending, approved, rejected, revoked
    created_us: int
    decided_us: int | None = None
    decided_by: str | None = None
    expires_us: int | None = None
    note: str = ""


@dataclass
class AuditRecord:
    seq: int
    at_us: int
    actor: str
    department: str
    role: str
    action: str
    dataset_id: str
    version: int | None
    rows: int
    detail: str  # canonical JSON, hashed as stored
    prev_hash: str = ""
    hash: str = ""

    def fields(self) -> tuple[Any, ...]:
        """The recorded fields, in the order they are stored and hashed."""
        return (
            self.seq, self.at_us, self.actor, self.department, self.role, self.action,
            self.dataset_id, self.version, self.rows, self.detail,
        )  # fmt: skip


@dataclass
class AuditFilter:
    dataset_ids: list[str] | None = None
    actor: str | None = None
    action: str | None = None
    since_us: int | None = None
    until_us: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


DATASET_FIELDS = (
    "id, name, org, resource_id, share_type, open_type, grade, level, confirmed, version, doc, "
    "created_us, modified_us"
)
VERSION_FIELDS = (
    "table_id, dataset_id, version, state, rows, columns, source, format, bytes, sha256, "
    "suggestion, created_us"
)
ACCESS_FIELDS = (
    "id, dataset_id, department, key_id, purpose, fields, days, status, created_us, decided_us, "
    "decided_by, expires_us, note"
)
AUDIT_FIELDS = (
    "seq, at_us, actor, department, role, action, dataset_id, version, rows, detail, prev_hash, "
    "hash"
)


def _dataset(r: tuple[Any, ...]) -> DatasetRecord:
    return DatasetRecord(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), int(r[9]), _loads(r[10]),
        int(r[11]), int(r[12]),
    )  # fmt: skip


def _version(r: tuple[Any, ...]) -> VersionRecord:
    return VersionRecord(
        int(r[0]), r[1], int(r[2]), r[3], int(r[4]), _loads(r[5]), r[6], r[7], int(r[8]), r[9],
        _loads(r[10]), int(r[11]),
    )  # fmt: skip


def _access(r: tuple[Any, ...]) -> AccessRecord:
    return AccessRecord(
        int(r[0]), r[1], r[2], r[3], r[4], _loads(r[5]), int(r[6]), r[7], int(r[8]),
        None if r[9] is None else int(r[9]), r[10], None if r[11] is None else int(r[11]), r[12],
    )  # fmt: skip


def _audit(r: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], None if r[7] is None else int(r[7]),
        int(r[8]), r[9], r[10], r[11],
    )  # fmt: skip


class CatalogRepository(Repository):
    """Departments, datasets, versions and their rows, access requests, the audit chain."""

    # -- departments (organizations) ---------------------------------------------------------
    def put_org(self, name: str, doc: dict[str, Any], created_us: int) -> None:
        m = self._mark
        self._run(
            f"INSERT INTO catalog_orgs (name, doc, created_us) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
            (name, self._json_in(doc), created_us),
            write=True,
        )

    def catalog_orgs(self) -> list[tuple[str, dict[str, Any], int]]:
        rows = self._run("SELECT name, doc, created_us FROM catalog_orgs ORDER BY name")
        return [(r[0], _loads(r[1]), int(r[2])) for r in rows]

    # -- datasets ----------------------------------------------------------------------------
    def put_dataset(self, d: DatasetRecord, create: bool) -> None:
        m = self._mark
        values = (
            d.name, d.org, d.resource_id, d.share_type, d.open_type, d.grade, d.level,
            int(d.confirmed), d.version, self._json_in(d.doc), d.created_us, d.modified_us,
        )  # fmt: skip
        if create:
            if self.find_dataset(d.name) is not None:
                raise AlreadyExists(f"a dataset named {d.name!r} already exists")
            self._run(
                f"INSERT INTO catalog_datasets ({DATASET_FIELDS}) VALUES ({', '.join([m] * 13)})",
                (d.id, *values),
                write=True,
            )
            return
        self._run(
            "UPDATE catalog_datasets SET name = {m}, org = {m}, resource_id = {m}, "
            "share_type = {m}, open_type = {m}, grade = {m}, level = {m}, confirmed = {m}, "
            "version = {m}, doc = {m}, created_us = {m}, modified_us = {m} "
            "WHERE id = {m}".replace("{m}", m),
            (*values, d.id),
            write=True,
        )

    def find_dataset(self, key: str) -> DatasetRecord | None:
        """A dataset by its id, its name or its resource id."""
        m = self._mark
        rows = self._run(
            f"SELECT {DATASET_FIELDS} FROM catalog_datasets "
            f"WHERE id = {m} OR name = {m} OR resource_id = {m}",
            (key, key, key),
        )
        return _dataset(rows[0]) if rows else None

    def list_datasets(self) -> list[DatasetRecord]:
        rows = self._run(f"SELECT {DATASET_FIELDS} FROM catalog_datasets ORDER BY name")
        return [_dataset(r) for r in rows]

    # -- versions and rows -------------------------------------------------------------------
    def begin_version(self, v: VersionRecord) -> VersionRecord:
        """Reserve the next version number of a dataset as `loading`; returns it with its ids."""
        m = self._mark
        with self._transaction(lock=424250) as conn:
            (last,) = conn.execute(
                f"SELECT coalesce(max(version), 0) FROM catalog_versions WHERE dataset_id = {m}",
                (v.dataset_id,),
            ).fetchone()
            v.version = int(last) + 1
            (table_id,) = conn.execute(
                f"INSERT INTO catalog_versions ({VERSION_FIELDS.split(', ', 1)[1]}) "
                f"VALUES ({', '.join([m] * 11)}) RETURNING table_id",
                (
                    v.dataset_id,
                    v.version,
                    "loading",
                    0,
                    self._json_in(v.columns),
                    v.source,
                    v.format,
                    v.bytes,
                    v.sha256,
                    self._json_in(v.suggestion),
                    v.created_us,
                ),
            ).fetchone()
            v.table_id = int(table_id)
        return v

    def write_rows(self, table_id: int, rows: Iterable[tuple[int, str]]) -> None:
        """Append (row number, JSON array text) rows to a loading version in one transaction."""
        with self._transaction() as conn:
            if self._mark == "?":
                conn.executemany(
                    "INSERT INTO catalog_rows (table_id, row_no, data) VALUES (?, ?, ?)",
                    ((table_id, n, data) for n, data in rows),
                )
                return
            with (
                conn.cursor() as cur,
                cur.copy("COPY catalog_rows (table_id, row_no, data) FROM STDIN") as copy,
            ):
                for n, data in rows:
                    copy.write_row((table_id, n, data))

    def finish_version(self, v: VersionRecord, dataset: DatasetRecord) -> None:
        """Make a loaded version visible and the dataset's current one, in one transaction."""
        m = self._mark
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE catalog_versions SET state = 'ready', rows = {m}, columns = {m}, "
                f"suggestion = {m} WHERE table_id = {m}",
                (v.rows, self._json_in(v.columns), self._json_in(v.suggestion), v.table_id),
            )
            conn.execute(
                f"UPDATE catalog_datasets SET version = {m}, share_type = {m}, open_type = {m}, "
                f"grade = {m}, level = {m}, doc = {m}, modified_us = {m} WHERE id = {m}",
                (
                    v.version,
                    dataset.share_type,
                    dataset.open_type,
                    dataset.grade,
                    dataset.level,
                    self._json_in(dataset.doc),
                    dataset.modified_us,
                    dataset.id,
                ),
            )

    def drop_version(self, table_id: int) -> None:
        """Remove a version that failed to load (its rows, then the version)."""
        m = self._mark
        with self._transaction() as conn:
            conn.execute(f"DELETE FROM catalog_rows WHERE table_id = {m}", (table_id,))
            conn.execute(f"DELETE FROM catalog_versions WHERE table_id = {m}", (table_id,))

    def stale_versions(self, older_than_us: int) -> list[int]:
        """Table ids of versions still `loading` since before a time (an import that died)."""
        rows = self._run(
            "SELECT table_id FROM catalog_versions WHERE state = 'loading' "
            f"AND created_us < {self._mark}",
            (older_than_us,),
        )
        return [int(r[0]) for r in rows]

    def dataset_versions(self, dataset_id: str, ready_only: bool = True) -> list[VersionRecord]:
        state = " AND state = 'ready'" if ready_only else ""
        rows = self._run(
            f"SELECT {VERSION_FIELDS} FROM catalog_versions WHERE dataset_id = {self._mark}"
            f"{state} ORDER BY version",
            (dataset_id,),
        )
        return [_version(r) for r in rows]

    def current_versions(self) -> dict[str, VersionRecord]:
        """Every dataset's current version, by dataset id (one query for a catalogue page)."""
        fields = ", ".join("v." + f for f in VERSION_FIELDS.split(", "))
        rows = self._run(
            f"SELECT {fields} FROM catalog_versions v JOIN catalog_datasets d "
            "ON d.id = v.dataset_id AND d.version = v.version WHERE v.state = 'ready'"
        )
        return {r[1]: _version(r) for r in rows}

    def read_rows(
        self,
        table_id: int,
        columns: Sequence[Column],
        query: RowQuery,
        searchable: Sequence[str],
        total_rows: int | None = None,
    ) -> list[tuple[int, Any]]:
        """(row number, JSON row) of one page of a stored table version."""
        sql, params, _ = datastore_sql.select_sql(
            self.dialect, table_id, columns, query, searchable, total_rows
        )
        return [(int(r[0]), r[1]) for r in self._run(sql, tuple(params))]

    def count_rows(
        self, table_id: int, columns: Sequence[Column], query: RowQuery, searchable: Sequence[str]
    ) -> int:
        """How many rows of a table version match the query's filters and search."""
        _, params, sql = datastore_sql.select_sql(
            self.dialect, table_id, columns, query, searchable
        )
        return int(self._run(sql, tuple(params))[0][0])

    def index_column(self, table_id: int, index: int, kind: str) -> None:
        """A partial expression index on one column of one table version."""
        self.run_ddl(datastore_sql.index_sql(self.dialect, table_id, index, kind))

    def iter_rows(self, table_id: int, batch: int = 5_000) -> Iterator[tuple[int, Any]]:
        """Every row of a version in order, read in keyset pages (for downloads)."""
        m = self._mark
        after = 0
        while True:
            rows = self._run(
                f"SELECT row_no, data FROM catalog_rows WHERE table_id = {m} AND row_no > {m} "
                f"ORDER BY row_no LIMIT {int(batch)}",
                (table_id, after),
            )
            if not rows:
                return
            for r in rows:
                yield int(r[0]), r[1]
            after = int(rows[-1][0])

    def run_ddl(self, sql: str) -> None:
        """An index statement built by cityhub.catalog.datastore (no parameters)."""
        self._run(sql, (), write=True)

    # -- access requests ---------------------------------------------------------------------
    def add_access(self, a: AccessRecord) -> int:
        m = self._mark
        (row,) = self._run(
            f"INSERT INTO catalog_access ({ACCESS_FIELDS.split(', ', 1)[1]}) "
            f"VALUES ({', '.join([m] * 12)}) RETURNING id",
            (
                a.dataset_id,
                a.department,
                a.key_id,
                a.purpose,
                self._json_in(a.fields),
                a.days,
                a.status,
                a.created_us,
                a.decided_us,
                a.decided_by,
                a.expires_us,
                a.note,
            ),
            write=True,
        )
        return int(row[0])

    def decide_access(
        self, access_id: int, status: str, by: str, at_us: int, expires_us: int | None, note: str
    ) -> None:
        m = self._mark
        self._run(
            f"UPDATE catalog_access SET status = {m}, decided_by = {m}, decided_us = {m}, "
            f"expires_us = {m}, note = {m} WHERE id = {m}",
            (status, by, at_us, expires_us, note, access_id),
            write=True,
        )

    def access_requests(
        self,
        access_id: int | None = None,
        dataset_id: str | None = None,
        department: str | None = None,
        status: str | None = None,
    ) -> list[AccessRecord]:
        m = self._mark
        where, params = [], []
        for column, value in (
            ("id", access_id),
            ("dataset_id", dataset_id),
            ("department", department),
            ("status", status),
        ):
            if value is not None:
                where.append(f"{column} = {m}")
                params.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._run(
            f"SELECT {ACCESS_FIELDS} FROM catalog_access{clause} ORDER BY id DESC", tuple(params)
        )
        return [_access(r) for r in rows]

    # -- audit -------------------------------------------------------------------------------
    def append_audit(
        self, records: list[AuditRecord], chain: Callable[[str, AuditRecord], str]
    ) -> None:
        """Append records after the newest one, each hashed over its predecessor's hash."""
        m = self._mark
        with self._transaction(lock=424251) as conn:
            last = conn.execute(
                "SELECT seq, hash FROM catalog_audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (int(last[0]), str(last[1])) if last else (0, "")
            rows = []
            for r in records:
                seq += 1
                r.seq, r.prev_hash = seq, prev
                r.hash = prev = chain(prev, r)
                rows.append((*r.fields(), r.prev_hash, r.hash))
            conn.cursor().executemany(
                f"INSERT INTO catalog_audit ({AUDIT_FIELDS}) VALUES ({', '.join([m] * 12)})", rows
            )

    def audit_records(
        self, flt: AuditFilter, limit: int = 100, offset: int = 0, after_seq: int = 0
    ) -> list[AuditRecord]:
        m = self._mark
        where, params = [f"seq > {m}"], list[Any]([after_seq])
        if flt.dataset_ids is not None:
            if not flt.dataset_ids:
                return []
            where.append(f"dataset_id IN ({', '.join([m] * len(flt.dataset_ids))})")
            params.extend(flt.dataset_ids)
        for column, value in (("actor", flt.actor), ("action", flt.action)):
            if value is not None:
                where.append(f"{column} = {m}")
                params.append(value)
        if flt.since_us is not None:
            where.append(f"at_us >= {m}")
            params.append(flt.since_us)
        if flt.until_us is not None:
            where.append(f"at_us < {m}")
            params.append(flt.until_us)
        rows = self._run(
            f"SELECT {AUDIT_FIELDS} FROM catalog_audit WHERE {' AND '.join(where)} "
            f"ORDER BY seq LIMIT {int(limit)} OFFSET {int(offset)}",
            tuple(params),
        )
        return [_audit(r) for r in rows]
