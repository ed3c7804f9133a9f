"""The scale store: PostgreSQL + PostGIS through a psycopg connection pool."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb, set_json_dumps, set_json_loads
from psycopg_pool import ConnectionPool

from cityhub.errors import AlreadyExists
from cityhub.store import history_sql, rollups, subscription_sql
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
_ANALYZE_EVERY = 20_000
_COLUMNS = "pk, id, types, doc, created_at, modified_at"
_QUERY_GEOM = "ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)"
_SPATIAL = {
    "within": "ST_Within(g.geom, {q})",
    "contains": "ST_Contains(g.geom, {q})",
    "intersects": "ST_Intersects(g.geom, {q})",
    "disjoint": "ST_Disjoint(g.geom, {q})",
    "overlaps": "ST_Overlaps(g.geom, {q})",
    "equals": "ST_Equals(g.geom, {q})",
}


def _configure(conn: psycopg.Connection[Any]) -> None:
    """All per-connection setup for PostgreSQL lives here."""
    conn.autocommit = True
    set_json_loads(orjson.loads, conn)
    set_json_dumps(lambda obj: orjson.dumps(obj).decode(), conn)


def _row_to_entity(row: tuple[Any, ...]) -> Entity:
    doc = row[3]
    return Entity(
        id=row[1],
        types=row[2].split("\n"),
        attrs=doc.get("attrs", {}),
        created_at=row[4],
        modified_at=row[5],
        scope=doc.get("scope"),
        owner=doc.get("owner"),
    )


def _geo_clause(geo: GeoFilter) -> tuple[str, list[Any]]:
    geometry = orjson.dumps(geo.geometry).decode()
    if geo.relation == "near":
        parts, params = [], []
        if geo.max_distance is not None:
            parts.append(f"ST_DWithin(g.geog, {_QUERY_GEOM}::geography, %s)")
            params += [geometry, geo.max_distance]
        if geo.min_distance is not None:
            parts.append(f"NOT ST_DWithin(g.geog, {_QUERY_GEOM}::geography, %s)")
            params += [geometry, geo.min_distance]
        condition = " AND ".join(parts) or "TRUE"
    else:
        condition = _SPATIAL[geo.relation].format(q=_QUERY_GEOM)
        params = [geometry]
    return (
        f"pk IN (SELECT g.entity_pk FROM entity_geo g WHERE g.attr = %s AND {condition})",
        [geo.attr, *params],
    )


_DEFER_MOST = 64  # rows of one statement queued as literals; more go as one executemany
_TYPE_ROW = (
    "INSERT INTO entity_types (tenant, type, entity_pk) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
)


class PostgresWriter(HistoryWriterMixin, RequestWriterMixin):
    """One write transaction in as few round trips as its reads allow.

    A statement whose answer the caller does not need (an entity UPDATE, a history row, a
    roll-up, a queued notification) is bound on the client and held; the next statement that
    must answer (a read, a row count) carries everything held before it in the same message,
    and COMMIT carries the rest. A one-entity PATCH is two round trips (BEGIN with its locking
    read; the writes with COMMIT) where one prepared statement each made seven. On this
    platform a round trip's system calls cost more than the server's parsing of the statement;
    psycopg's pipeline mode, which would also save them, spins while it waits. An error in a
    held statement surfaces at the message that carries it and rolls the transaction back."""

    _mark = "%s"
    _dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any], tenant: str) -> None:
        self._conn = conn
        self._tenant = tenant
        self._known: dict[str, tuple[int, str]] = {}
        self._old_geo: dict[str, bytes] = {}
        self.inserted = 0  # geometries as read, to skip unchanged
        self._cur = psycopg.ClientCursor(conn)
        self._held: list[str] = ["BEGIN"]

    # -- the held statements --------------------------------------------------------------------
    def _hold(self, sql: str, rows: list[Any]) -> None:
        """Queue `sql` once per parameter row, bound here; many rows go at once instead."""
        if len(rows) > _DEFER_MOST:
            self._send()
            with self._conn.cursor() as cur:
                cur.executemany(sql, rows)
            return
        self._held.extend(self._cur.mogrify(sql, row) for row in rows)

    def _send(self, sql: str = "", params: Any = None) -> psycopg.ClientCursor[Any]:
        """Run what is held and then `sql` in one message; the cursor holds `sql`'s answer."""
        statements = self._held
        self._held = []
        if sql:
            statements.append(sql if params is None else self._cur.mogrify(sql, params))
        if not statements:
            return self._cur
        self._cur.execute(";\n".join(statements))
        while self._cur.nextset():  # the last statement's answer
            pass
        return self._cur

    def commit(self) -> None:
        self._send("COMMIT")

    def rollback(self) -> None:
        self._held = []
        if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._conn.execute("ROLLBACK")

    # -- entities -------------------------------------------------------------------------------
    def get_many(self, ids: list[str]) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        if not ids:
            return found
        rows = self._send(
            f"SELECT {_COLUMNS} FROM entities WHERE tenant = %s AND id = ANY(%s) "
            "ORDER BY pk FOR UPDATE",
            (self._tenant, ids),
        ).fetchall()
        for row in rows:
            entity = _row_to_entity(row)
            found[row[1]] = entity
            self._known[row[1]] = (row[0], row[2])
            self._old_geo[row[1]] = orjson.dumps(entity.geometries())
        return found

    def insert(self, entities: list[Entity]) -> None:
        if not entities:
            return
        self.inserted += len(entities)
        pks = [
            r[0]
            for r in self._send(
                "SELECT nextval('entities_pk_seq') FROM generate_series(1, %s)", (len(entities),)
            ).fetchall()
        ]
        rows: list[tuple[Any, ...]] = []
        type_rows: list[tuple[Any, ...]] = []
        geo_rows: list[tuple[Any, ...]] = []
        for pk, entity in zip(pks, entities, strict=True):
            types = "\n".join(entity.types)
            rows.append(
                (
                    pk,
                    self._tenant,
                    entity.id,
                    types,
                    entity.attr_index(),
                    Jsonb(entity.document()),
                    entity.created_at,
                    entity.modified_at,
                )
            )
            type_rows.extend((self._tenant, t, pk) for t in entity.types)
            geo_rows.extend((pk, a, orjson.dumps(g).decode()) for a, g in entity.geometries())
            self._known[entity.id] = (pk, types)
        try:  # sent now: a duplicate id is told apart from other failures here
            self._hold(
                "INSERT INTO entities (pk, tenant, id, types, attr_index, doc, created_at, "
                "modified_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
            self._send()
        except psycopg.errors.UniqueViolation as exc:
            raise AlreadyExists("an entity with this id already exists") from exc
        self._hold(_TYPE_ROW, type_rows)
        self._hold_geo(geo_rows)

    def _hold_geo(self, geo_rows: list[tuple[Any, ...]]) -> None:
        self._hold(
            f"INSERT INTO entity_geo (entity_pk, attr, geom) VALUES (%s, %s, {_QUERY_GEOM})",
            geo_rows,
        )

    def update(self, entities: list[Entity]) -> None:
        if not entities:
            return
        rows: list[tuple[Any, ...]] = []
        geo_rows: list[tuple[Any, ...]] = []
        pks: list[int] = []
        for entity in entities:
            pk, old_types = self._known[entity.id]
            types = "\n".join(entity.types)
            rows.append(
                (types, entity.attr_index(), Jsonb(entity.document()), entity.modified_at, pk)
            )
            if types != old_types:
                self._hold("DELETE FROM entity_types WHERE entity_pk = %s", [(pk,)])
                self._hold(_TYPE_ROW, [(self._tenant, t, pk) for t in entity.types])
            geoms = entity.geometries()
            dumped = orjson.dumps(geoms)
            if dumped != self._old_geo.get(entity.id):
                pks.append(pk)
                geo_rows.extend((pk, a, orjson.dumps(g).decode()) for a, g in geoms)
                self._old_geo[entity.id] = dumped
            self._known[entity.id] = (pk, types)
        self._hold(
            "UPDATE entities SET types = %s, attr_index = %s, doc = %s, modified_at = %s "
            "WHERE pk = %s",
            rows,
        )
        if pks:
            self._hold("DELETE FROM entity_geo WHERE entity_pk = ANY(%s)", [(pks,)])
            self._hold_geo(geo_rows)

    def delete(self, ids: list[str]) -> int:
        cur = self._send(
            "DELETE FROM entities WHERE tenant = %s AND id = ANY(%s)", (self._tenant, ids)
        )
        for entity_id in ids:
            self._known.pop(entity_id, None)
        return cur.rowcount

    # -- what the shared writer mixins call -------------------------------------------------------
    def _execute(self, sql: str, params: Any) -> int:
        return self._send(sql, params).rowcount

    def _fetch(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        return self._send(sql, params).fetchall()

    def _lock_suffix(self) -> str:
        return " FOR UPDATE"

    def _execute_many(self, sql: str, rows: list[Any]) -> None:
        self._hold(sql, rows)

    def _json(self, doc: Any) -> Any:
        return Jsonb(doc)

    def _insert_history(self, params: list[tuple[Any, ...]]) -> None:
        """History is append-only: a large batch is streamed with COPY, several times cheaper
        than an INSERT per row; a few rows are held like any other write."""
        if len(params) < 8:
            self._hold(history_sql.insert_sql(self._mark), params)
            return
        self._send()
        with self._conn.cursor() as cur, cur.copy(history_sql.copy_sql()) as copy:
            for row in params:
                copy.write_row(row)

    def _upsert_rollups(self, parts: list[tuple[Any, ...]], keys: list[tuple[Any, ...]]) -> None:
        """A few hours go as one statement each; many as one statement over arrays, which
        costs the server one plan instead of one per hour (a 1,000-entity batch touches
        thousands)."""
        if len(parts) + len(keys) <= _DEFER_MOST:
            super()._upsert_rollups(parts, keys)
            return
        self._send()  # arrays are bound on the server (binary), not quoted here
        if parts:
            self._conn.execute(rollups.upsert_arrays_sql(), (self._tenant, *rollups.columns(parts)))
        if keys:
            self._conn.execute(
                rollups.upsert_keys_arrays_sql(), (self._tenant, *rollups.columns(keys))
            )

    def mark_seen(self, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
        """Record (device, time) keys; returns those not seen before."""
        if not keys:
            return set()
        rows = self._send(
            "INSERT INTO ingest_seen (tenant, device_id, ts_us) "
            "SELECT %s, d, t FROM unnest(%s::text[], %s::bigint[]) AS k(d, t) "
            "ON CONFLICT DO NOTHING RETURNING device_id, ts_us",
            (self._tenant, [k[0] for k in keys], [k[1] for k in keys]),
        ).fetchall()
        return {(r[0], int(r[1])) for r in rows}

    def enqueue(self, items: list[tuple[str, str, bytes, int]]) -> None:
        """(subscription id, endpoint, payload, due time) rows, committed with the change."""
        self._hold(subscription_sql.enqueue_sql("%s"), [(self._tenant, *item) for item in items])


class PostgresStore(HistoryReadsMixin, AggregatesMixin):
    dialect = "postgres"
    exact_geo = True
    _mark = "%s"

    def _run(self, sql: str, params: Any = (), write: bool = False) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _run_many(self, statements: list[tuple[str, list[Any]]]) -> None:
        """Several (sql, rows) executemany calls in one transaction."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for sql, rows in statements:
                if rows:
                    cur.executemany(sql, rows)

    def _json_in(self, doc: Any) -> Any:
        return Jsonb(doc)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Every PostgreSQL write commits on its own: callbacks run at once."""
        callback()

    @contextmanager
    def _transaction(self, lock: int | None = None) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on a pooled connection; `lock` serialises it with its kind."""
        with self._pool.connection() as conn, conn.transaction():
            if lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            yield conn

    def __init__(self, url: str, min_size: int = 1, max_size: int = 16) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, configure=_configure, open=True
        )
        self._tenants: set[str] = {""}  # tenants known to exist (they are never removed)
        self._attach_repositories()  # cityhub.store.aggregates
        self._rows_since_analyze = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def migrate(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(424242)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )

            def current() -> int:
                row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
                return int(row.fetchone()[0])  # type: ignore[index]

            def apply(number: int, sql: str) -> None:
                conn.execute(sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                    (number, now_iso()),
                )

            apply_migrations("postgres", current, apply)

    def close(self) -> None:
        self._pool.close()

    # -- tenants ------------------------------------------------------------------------------
    def _one(self, sql: str, params: Any = ()) -> tuple[Any, ...] | None:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchone()

    def tenant_exists(self, tenant: str) -> bool:
        if tenant in self._tenants:
            return True
        found = self._one("SELECT 1 FROM tenants WHERE name = %s", (tenant,)) is not None
        if found:
            self._tenants.add(tenant)
        return found

    def tenant_is_private(self, tenant: str) -> bool:
        row = self._one("SELECT private FROM tenants WHERE name = %s", (tenant,))
        return bool(row and row[0])

    def set_tenant_private(self, tenant: str, private: bool) -> None:
        self._one(
            "INSERT INTO tenants (name, private, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET private = excluded.private RETURNING name",
            (tenant, private, now_iso()),
        )

    # -- entities -----------------------------------------------------------------------------
    @contextmanager
    def write(self, tenant: str) -> Iterator[PostgresWriter]:
        with self._pool.connection() as conn:
            writer = PostgresWriter(conn, tenant)
            try:
                if tenant not in self._tenants:
                    writer._execute_many(
                        "INSERT INTO tenants (name, private, created_at) VALUES (%s, FALSE, %s) "
                        "ON CONFLICT DO NOTHING",
                        [(tenant, now_iso())],
                    )
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            self._tenants.add(tenant)
            self._rows_since_analyze += writer.inserted
            if self._rows_since_analyze >= _ANALYZE_EVERY:
                # Fresh statistics after bulk loads keep the planner on the geo and type indexes.
                self._rows_since_analyze = 0
                conn.execute("ANALYZE entities, entity_types, entity_geo")

    def get_entity(self, tenant: str, entity_id: str) -> Entity | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM entities WHERE tenant = %s AND id = %s", (tenant, entity_id)
        )
        return _row_to_entity(row) if row else None

    def _where(self, tenant: str, flt: EntityFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = ["tenant = %s"]
        params: list[Any] = [tenant]
        if flt.ids is not None:
            clauses.append("id = ANY(%s)")
            params.append(list(flt.ids))
        if flt.any_types is not None:
            clauses.append(
                "pk IN (SELECT entity_pk FROM entity_types WHERE tenant = %s AND type = ANY(%s))"
            )
            params += [tenant, list(flt.any_types)]
        if flt.geo is not None:
            clause, geo_params = _geo_clause(flt.geo)
            clauses.append(clause)
            params += geo_params
        return " AND ".join(clauses), params

    def iter_entities(
        self, tenant: str, flt: EntityFilter, limit: int | None = None, offset: int = 0
    ) -> Iterator[Entity]:
        where, params = self._where(tenant, flt)
        if limit is not None:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM entities WHERE {where} ORDER BY pk LIMIT %s OFFSET %s",
                    [*params, limit, offset],
                ).fetchall()
            yield from (_row_to_entity(r) for r in rows)
            return
        last = 0
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM entities WHERE {where} AND pk > %s "
                    "ORDER BY pk LIMIT %s",
                    [*params, last, _CHUNK],
                ).fetchall()
            for row in rows:
                yield _row_to_entity(row)
            if len(rows) < _CHUNK:
                return
            last = rows[-1][0]

    def count_entities(self, tenant: str, flt: EntityFilter) -> int:
        where, params = self._where(tenant, flt)
        row = self._one(f"SELECT count(*) FROM entities WHERE {where}", params)
        return int(row[0]) if row else 0

    def type_summaries(self, tenant: str) -> list[TypeSummary]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT types, attr_index FROM entities WHERE tenant = %s", (tenant,)
            ).fetchall()
        return summarise_types(rows)
