"""The embedded store: one SQLite file in WAL mode, one locked writer, a reader per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from cityhub.errors import AlreadyExists
from cityhub.geo import GeometryError, bbox, expand_bbox_metres
from cityhub.store import ingest_sql, subscription_sql
from cityhub.store.aggregates import AggregatesMixin
from cityhub.store.citizen_sql import RequestWriterMixin
from cityhub.store.history_sql import HistoryReadsMixin
from cityhub.store.history_writes import HistoryWriterMixin
from cityhub.store.migrate import apply_migrations
from cityhub.store.records import (
    Entity,
    EntityFilter,
    GeoFilter,
    TypeSummary,
)
from cityhub.store.summaries import summarise_types
from cityhub.timeutil import now_iso

_CHUNK = 500
_GEO_SLOTS = 256
_COLUMNS = "pk, id, types, doc, created_at, modified_at, geo_count"


@dataclass
class _Group:
    """The writer thread's open batch: callbacks to run after it commits, and where each open
    savepoint's callbacks begin (a rolled-back savepoint drops its own)."""

    after: list[Callable[[], None]] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)


def _connect(path: str) -> sqlite3.Connection:
    """All per-connection setup for SQLite lives here."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA mmap_size=268435456")
    conn.execute("PRAGMA wal_autocheckpoint=10000")  # checkpoint every ~40 MB, not every 4 MB
    return conn


def _row_to_entity(row: tuple[Any, ...]) -> Entity:
    doc = orjson.loads(row[3])
    return Entity(
        id=row[1],
        types=row[2].split("\n"),
        attrs=doc.get("attrs", {}),
        created_at=row[4],
        modified_at=row[5],
        scope=doc.get("scope"),
        owner=doc.get("owner"),
    )


def geo_prefilter_box(geo: GeoFilter) -> tuple[float, float, float, float] | None:
    """The lon/lat box every matching entity's geometry must intersect, or None for no box."""
    if geo.relation == "disjoint" or (geo.relation == "near" and geo.max_distance is None):
        return None
    try:
        box = bbox(geo.geometry)
    except GeometryError:
        return None
    if geo.relation == "near" and geo.max_distance is not None:
        return expand_bbox_metres(box, geo.max_distance)
    return box


class SQLiteWriter(HistoryWriterMixin, RequestWriterMixin):
    _mark = "?"
    _dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, tenant: str) -> None:
        self._conn = conn
        self._tenant = tenant
        self._known: dict[str, tuple[int, int, str]] = {}  # id -> (pk, geo_count, types)
        self._old_geo: dict[str, bytes] = {}  # geometries as read, to skip unchanged

    def get_many(self, ids: list[str]) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE tenant = ? AND id IN ({marks})",
                [self._tenant, *chunk],
            )
            for row in rows:
                entity = _row_to_entity(row)
                found[row[1]] = entity
                self._known[row[1]] = (row[0], row[6], row[2])
                self._old_geo[row[1]] = orjson.dumps(entity.geometries()[:_GEO_SLOTS])
        return found

    def insert(self, entities: list[Entity]) -> None:
        if not entities:
            return
        (max_pk,) = self._conn.execute("SELECT coalesce(max(pk), 0) FROM entities").fetchone()
        rows: list[tuple[Any, ...]] = []
        type_rows: list[tuple[Any, ...]] = []
        geo_rows: list[tuple[Any, ...]] = []
        for offset, entity in enumerate(entities, start=1):
            pk = max_pk + offset
            geoms = entity.geometries()[:_GEO_SLOTS]
            types = "\n".join(entity.types)
            rows.append(
                (
                    pk,
                    self._tenant,
                    entity.id,
                    types,
                    entity.attr_index(),
                    orjson.dumps(entity.document()),
                    len(geoms),
                    entity.created_at,
                    entity.modified_at,
                )
            )
            type_rows.extend((self._tenant, t, pk) for t in entity.types)
            geo_rows.extend(self._geo_rows(pk, geoms))
            self._known[entity.id] = (pk, len(geoms), types)
        try:
            self._conn.executemany(
                "INSERT INTO entities (pk, tenant, id, types, attr_index, doc, geo_count, "
                "created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists("an entity with this id already exists") from exc
        self._conn.executemany(
            "INSERT OR IGNORE INTO entity_types (tenant, type, entity_pk) VALUES (?, ?, ?)",
            type_rows,
        )
        self._insert_geo(geo_rows)

    @staticmethod
    def _geo_rows(pk: int, geoms: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
        rows = []
        for slot, (attr, geometry) in enumerate(geoms):
            minx, miny, maxx, maxy = bbox(geometry)
            rows.append((pk * _GEO_SLOTS + slot, minx, maxx, miny, maxy, pk, attr))
        return rows

    def _insert_geo(self, geo_rows: list[tuple[Any, ...]]) -> None:
        if geo_rows:
            self._conn.executemany(
                "INSERT INTO entity_geo (id, minx, maxx, miny, maxy, entity_pk, attr) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                geo_rows,
            )

    def _delete_geo(self, pk: int, count: int) -> None:
        if count:
            self._conn.executemany(
                "DELETE FROM entity_geo WHERE id = ?",
                [(pk * _GEO_SLOTS + slot,) for slot in range(count)],
            )

    def update(self, entities: list[Entity]) -> None:
        rows, geo_rows = [], []
        for entity in entities:
            pk, old_geo, old_types = self._known[entity.id]
            geoms = entity.geometries()[:_GEO_SLOTS]
            types = "\n".join(entity.types)
            rows.append(
                (
                    types,
                    entity.attr_index(),
                    orjson.dumps(entity.document()),
                    len(geoms),
                    entity.modified_at,
                    pk,
                )
            )
            if types != old_types:
                self._conn.execute("DELETE FROM entity_types WHERE entity_pk = ?", (pk,))
                self._conn.executemany(
                    "INSERT OR IGNORE INTO entity_types (tenant, type, entity_pk) VALUES (?,?,?)",
                    [(self._tenant, t, pk) for t in entity.types],
                )
            if orjson.dumps(geoms) != self._old_geo.get(entity.id):
                self._delete_geo(pk, old_geo)
                geo_rows.extend(self._geo_rows(pk, geoms))
                self._old_geo[entity.id] = orjson.dumps(geoms)
            self._known[entity.id] = (pk, len(geoms), types)
        self._conn.executemany(
            "UPDATE entities SET types = ?, attr_index = ?, doc = ?, geo_count = ?, "
            "modified_at = ? WHERE pk = ?",
            rows,
        )
        self._insert_geo(geo_rows)

    def delete(self, ids: list[str]) -> int:
        missing = [i for i in ids if i not in self._known]
        if missing:
            self.get_many(missing)
        deleted = 0
        for entity_id in ids:
            known = self._known.pop(entity_id, None)
            if known is None:
                continue
            pk, geo_count, _ = known
            self._conn.execute("DELETE FROM entity_types WHERE entity_pk = ?", (pk,))
            self._delete_geo(pk, geo_count)
            self._conn.execute("DELETE FROM entities WHERE pk = ?", (pk,))
            deleted += 1
        return deleted

    def _execute(self, sql: str, params: Any) -> int:
        return self._conn.execute(sql, params).rowcount

    def _fetch(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def _execute_many(self, sql: str, rows: list[Any]) -> None:
        self._conn.executemany(sql, rows)

    def _json(self, doc: Any) -> Any:
        return orjson.dumps(doc)

    def mark_seen(self, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
        """Record (device, time) keys; returns those not seen before."""
        fresh = set()
        sql = ingest_sql.seen_sql("?")
        for device_id, ts_us in keys:
            if self._conn.execute(sql, (self._tenant, device_id, ts_us)).fetchone():
                fresh.add((device_id, ts_us))
        return fresh

    def enqueue(self, items: list[tuple[str, str, bytes, int]]) -> None:
        """(subscription id, endpoint, payload, due time) rows, committed with the change."""
        if items:
            self._conn.executemany(
                subscription_sql.enqueue_sql("?"), [(self._tenant, *item) for item in items]
            )


class SQLiteStore(HistoryReadsMixin, AggregatesMixin):
    dialect = "sqlite"
    exact_geo = False
    _mark = "?"

    def _json_in(self, doc: Any) -> Any:
        return orjson.dumps(doc)

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]:
        if not write:
            return self._reader().execute(sql, params).fetchall()
        with self._write_lock:
            return self._writer.execute(sql, params).fetchall()

    def _run_many(self, statements: list[tuple[str, list[Any]]]) -> None:
        """Several (sql, rows) executemany calls in one transaction."""
        with self._transaction() as conn:
            for sql, rows in statements:
                conn.executemany(sql, rows)

    @contextmanager
    def _transaction(self, lock: int | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection (SQLite has one writer anyway); in the
        group-commit writer's batch, a savepoint inside the batch's transaction."""
        with self._write_lock:
            conn = self._writer
            group: _Group | None = getattr(self._local, "group", None)
            if group is not None:
                name = f"sp{len(group.marks)}"
                group.marks.append(len(group.after))
                conn.execute(f"SAVEPOINT {name}")
                try:
                    yield conn
                    conn.execute(f"RELEASE {name}")
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    del group.after[group.marks[-1] :]  # what was rolled back is not announced
                    raise
                finally:
                    group.marks.pop()
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextmanager
    def group(self) -> Iterator[None]:
        """The writer thread's batch: one transaction around several callers' writes (each in a
        savepoint); callbacks given to `after_commit` meanwhile run once it has committed."""
        group = _Group()
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            self._local.group = group
            try:
                yield
                self._writer.execute("COMMIT")
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            finally:
                self._local.group = None
        for callback in group.after:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what was just written is committed (at once outside a batch)."""
        group: _Group | None = getattr(self._local, "group", None)
        if group is None:
            callback()
        else:
            group.after.append(callback)

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._write_lock = threading.RLock()
        self._writer = _connect(path)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._tenants: set[str] = {""}  # tenants known to exist (they are never removed)
        self._attach_repositories()  # cityhub.store.aggregates

    # -- lifecycle ----------------------------------------------------------------------------
    def migrate(self) -> None:
        conn = self._writer
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )

        def current() -> int:
            (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            return int(version[0]) if isinstance(version, tuple) else int(version)

        def apply(number: int, sql: str) -> None:
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in sql.split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                        (number, now_iso()),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

        apply_migrations("sqlite", current, apply)

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._writer.close()

    def _reader(self) -> sqlite3.Connection:
        if getattr(self._local, "group", None) is not None:
            return self._writer  # the writer's batch reads what it has written
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    # -- tenants ------------------------------------------------------------------------------
    def tenant_exists(self, tenant: str) -> bool:
        if tenant in self._tenants:
            return True
        row = self._reader().execute("SELECT 1 FROM tenants WHERE name = ?", (tenant,)).fetchone()
        if row is not None:
            self._tenants.add(tenant)
        return row is not None

    def tenant_is_private(self, tenant: str) -> bool:
        row = (
            self._reader()
            .execute("SELECT private FROM tenants WHERE name = ?", (tenant,))
            .fetchone()
        )
        return bool(row and row[0])

    def set_tenant_private(self, tenant: str, private: bool) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT INTO tenants (name, private, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET private = excluded.private",
                (tenant, int(private), now_iso()),
            )

    # -- entities -----------------------------------------------------------------------------
    @contextmanager
    def write(self, tenant: str) -> Iterator[SQLiteWriter]:
        with self._transaction() as conn:
            if tenant not in self._tenants:
                conn.execute(
                    "INSERT OR IGNORE INTO tenants (name, private, created_at) VALUES (?, 0, ?)",
                    (tenant, now_iso()),
                )
            yield SQLiteWriter(conn, tenant)
        self.after_commit(lambda: self._tenants.add(tenant))

    def get_entity(self, tenant: str, entity_id: str) -> Entity | None:
        row = (
            self._reader()
            .execute(
                f"SELECT {_COLUMNS} FROM entities WHERE tenant = ? AND id = ?", (tenant, entity_id)
            )
            .fetchone()
        )
        return _row_to_entity(row) if row else None

    def _where(self, tenant: str, flt: EntityFilter) -> tuple[str, list[Any]]:
        """WHERE clause whose first list drives the plan: ids, else the R*Tree, else types.

        '+tenant' keeps the tenant test without letting the planner scan the tenant's index.
        """
        box = geo_prefilter_box(flt.geo) if flt.geo is not None else None
        driven = flt.ids is None and (flt.any_types is not None or box is not None)
        clauses: list[str] = ["+tenant = ?" if driven else "tenant = ?"]
        params: list[Any] = [tenant]
        if flt.ids is not None:
            clauses.append(f"id IN ({','.join('?' * len(flt.ids))})")
            params.extend(flt.ids)
        if box is not None and flt.geo is not None:
            clauses.append(
                "pk IN (SELECT entity_pk FROM entity_geo WHERE minx <= ? AND maxx >= ? "
                "AND miny <= ? AND maxy >= ? AND attr = ?)"
            )
            params.extend([box[2], box[0], box[3], box[1], flt.geo.attr])
        if flt.any_types is not None:
            marks = ",".join("?" * len(flt.any_types))
            if flt.ids is None and box is None:
                clauses.append(
                    f"pk IN (SELECT entity_pk FROM entity_types WHERE tenant = ? "
                    f"AND type IN ({marks}))"
                )
            else:  # checked per candidate through the primary key
                clauses.append(
                    f"EXISTS (SELECT 1 FROM entity_types t WHERE t.tenant = ? AND t.type IN "
                    f"({marks}) AND t.entity_pk = entities.pk)"
                )
            params.extend([tenant, *flt.any_types])
        return " AND ".join(clauses), params

    def iter_entities(
        self, tenant: str, flt: EntityFilter, limit: int | None = None, offset: int = 0
    ) -> Iterator[Entity]:
        where, params = self._where(tenant, flt)
        conn = self._reader()
        if limit is not None:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE {where} ORDER BY pk LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            yield from (_row_to_entity(r) for r in rows)
            return
        last = 0
        while True:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entities WHERE {where} AND pk > ? ORDER BY pk LIMIT ?",
                [*params, last, _CHUNK],
            ).fetchall()
            for row in rows:
                yield _row_to_entity(row)
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]

    def count_entities(self, tenant: str, flt: EntityFilter) -> int:
        where, params = self._where(tenant, flt)
        (count,) = self._reader().execute(f"SELECT count(*) FROM entities WHERE {where}", params)
        return int(count[0]) if isinstance(count, tuple) else int(count)

    def type_summaries(self, tenant: str) -> list[TypeSummary]:
        rows = self._reader().execute(
            "SELECT types, attr_index FROM entities WHERE tenant = ?", (tenant,)
        )
        return summarise_types(rows)
