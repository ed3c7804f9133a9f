"""Service requests, their events, notices owed to reporters and classifier versions.

Written once for both dialects over `_run`/`_fetch` and a placeholder mark, like the ingest and
subscription tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from cityhub.store.repository import Repository

FIELDS = (
    "id",
    "token",
    "service_code",
    "status",
    "department",
    "category",
    "confidence",
    "urgency",
    "district",
    "street",
    "lat",
    "lon",
    "requested_us",
    "updated_us",
    "response_due_us",
    "deadline_us",
    "responded_us",
    "resolved_us",
    "escalation",
    "merged_into",
    "satisfaction",
    "doc",
)
COLUMNS = ", ".join(FIELDS)
OPEN_STATUSES = ("received", "dispatched", "in_progress", "returned", "reopened")


@dataclass
class RequestRow:
    """One stored service request: the queryable columns and a document for the rest."""

    id: int
    token: str
    service_code: str
    status: str
    department: str | None
    category: str | None
    confidence: float | None
    urgency: str
    district: str | None
    street: str | None
    lat: float | None
    lon: float | None
    requested_us: int
    updated_us: int
    response_due_us: int
    deadline_us: int
    responded_us: int | None = None
    resolved_us: int | None = None
    escalation: int = 0
    merged_into: int | None = None
    satisfaction: int | None = None
    doc: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass
class RequestEvent:
    request_id: int
    at_us: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    note: str = ""


@dataclass
class RequestFilter:
    ids: list[int] | None = None
    service_codes: list[str] | None = None
    statuses: list[str] | None = None
    department: str | None = None
    district: str | None = None
    start_us: int | None = None
    end_us: int | None = None
    overdue_at_us: int | None = None  # open and past the deadline at this time
    due_from_us: int | None = None  # deadline at or after this time (not yet overdue then)
    unrouted: bool = False  # waiting in the human dispatch queue (no department)
    order: Literal["newest", "deadline"] = "newest"  # or by deadline, soonest first


# Orders a caller may ask for, by name; only the store writes SQL.
ORDERS = {"newest": "requested_us DESC, id DESC", "deadline": "deadline_us ASC, id ASC"}


def _doc(value: Any) -> dict[str, Any]:
    if isinstance(value, bytes | bytearray | memoryview | str):
        loaded = orjson.loads(bytes(value) if not isinstance(value, str) else value)
        assert isinstance(loaded, dict)
        return loaded
    assert isinstance(value, dict)
    return value


def row_of(values: tuple[Any, ...]) -> RequestRow:
    row = RequestRow(*values)
    row.doc = _doc(row.doc)
    return row


def where(flt: RequestFilter, mark: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def within(column: str, values: list[Any]) -> None:
        clauses.append(f"{column} IN ({', '.join([mark] * len(values))})")
        params.extend(values)

    if flt.ids is not None:
        within("id", flt.ids or [-1])
    if flt.service_codes:
        within("service_code", flt.service_codes)
    if flt.statuses:
        within("status", flt.statuses)
    if flt.department is not None:
        clauses.append(f"department = {mark}")
        params.append(flt.department)
    if flt.district is not None:
        clauses.append(f"district = {mark}")
        params.append(flt.district)
    if flt.start_us is not None:
        clauses.append(f"requested_us >= {mark}")
        params.append(flt.start_us)
    if flt.end_us is not None:
        clauses.append(f"requested_us <= {mark}")
        params.append(flt.end_us)
    if flt.overdue_at_us is not None:
        within("status", list(OPEN_STATUSES))
        clauses.append(f"deadline_us < {mark}")
        params.append(flt.overdue_at_us)
    if flt.due_from_us is not None:
        clauses.append(f"deadline_us >= {mark}")
        params.append(flt.due_from_us)
    if flt.unrouted:
        clauses.append("department IS NULL")
        within("status", ["received", "returned", "reopened"])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def insert_sql(mark: str) -> str:
    names = FIELDS[1:]
    return (
        f"INSERT INTO service_requests ({', '.join(names)}) "
        f"VALUES ({', '.join([mark] * len(names))}) RETURNING id"
    )


def update_sql(mark: str) -> str:
    names = FIELDS[2:]
    return (
        "UPDATE service_requests SET "
        + ", ".join(f"{name} = {mark}" for name in names)
        + f" WHERE id = {mark}"
    )


def values_of(row: RequestRow, json_in: Any) -> list[Any]:
    return [getattr(row, name) for name in FIELDS[1:-1]] + [json_in(row.doc)]


class RequestWriterMixin:
    """Request writes inside an entity transaction: the request row and its NGSI-LD entity
    commit together, or neither does."""

    _mark: str

    def _fetch(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _execute(self, sql: str, params: Any) -> int:
        raise NotImplementedError

    def _json(self, doc: Any) -> Any:
        raise NotImplementedError

    def _lock_suffix(self) -> str:
        return ""

    def insert_request(self, row: RequestRow) -> int:
        rows = self._fetch(insert_sql(self._mark), values_of(row, self._json))
        row.id = int(rows[0][0])
        return row.id

    def insert_requests(self, rows: list[RequestRow]) -> None:
        """Bulk insert (history imports); ids are assigned by the store."""
        sql = insert_sql(self._mark).removesuffix(" RETURNING id")
        self._execute_many(sql, [values_of(row, self._json) for row in rows])

    def _execute_many(self, sql: str, rows: list[Any]) -> None:
        raise NotImplementedError

    def lock_requests(self, ids: list[int]) -> list[RequestRow]:
        if not ids:
            return []
        marks = ", ".join([self._mark] * len(ids))
        rows = self._fetch(
            f"SELECT {COLUMNS} FROM service_requests WHERE id IN ({marks}) ORDER BY id"
            + self._lock_suffix(),
            ids,
        )
        return [row_of(r) for r in rows]

    def merged_into(self, request_id: int) -> list[RequestRow]:
        rows = self._fetch(
            f"SELECT {COLUMNS} FROM service_requests WHERE merged_into = {self._mark} ORDER BY id"
            + self._lock_suffix(),
            (request_id,),
        )
        return [row_of(r) for r in rows]

    def update_request(self, row: RequestRow) -> None:
        self._execute(update_sql(self._mark), [*values_of(row, self._json)[1:], row.id])

    def add_events(self, events: list[RequestEvent]) -> None:
        m = self._mark
        for e in events:
            self._execute(
                "INSERT INTO request_events (request_id, at_us, action, from_status, to_status, "
                f"actor, note) VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m})",
                (e.request_id, e.at_us, e.action, e.from_status, e.to_status, e.actor, e.note),
            )

    def add_notices(self, notices: list[tuple[int, int, str, str, str]]) -> None:
        """(request_id, at_us, channel, address, message) for each reporter to tell."""
        m = self._mark
        for notice in notices:
            self._execute(
                "INSERT INTO citizen_notices (request_id, at_us, channel, address, message) "
                f"VALUES ({m}, {m}, {m}, {m}, {m})",
                notice,
            )


class RequestRepository(Repository):
    """Citizen requests as read back (queues, events, notices, rates) and the text models;
    writes of requests go with their entity through the transaction (RequestWriterMixin)."""

    def get_request(self, request_id: int) -> RequestRow | None:
        rows = self._run(
            f"SELECT {COLUMNS} FROM service_requests WHERE id = {self._mark}", (request_id,)
        )
        return row_of(rows[0]) if rows else None

    def find_request_token(self, token: str) -> int | None:
        rows = self._run(f"SELECT id FROM service_requests WHERE token = {self._mark}", (token,))
        return int(rows[0][0]) if rows else None

    def list_requests(self, flt: RequestFilter, limit: int, offset: int = 0) -> list[RequestRow]:
        sql, params = where(flt, self._mark)
        rows = self._run(
            f"SELECT {COLUMNS} FROM service_requests{sql} ORDER BY {ORDERS[flt.order]} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}",
            params,
        )
        return [row_of(r) for r in rows]

    def count_requests(self, flt: RequestFilter) -> int:
        sql, params = where(flt, self._mark)
        return int(self._run(f"SELECT count(*) FROM service_requests{sql}", params)[0][0])

    def last_request_by(self, action: str, actor: str) -> int | None:
        """The request `actor` last did `action` to (e.g. the last one the demo's replay filed)."""
        m = self._mark
        rows = self._run(
            f"SELECT request_id FROM request_events WHERE action = {m} AND actor = {m} "
            "ORDER BY id DESC LIMIT 1",
            (action, actor),
        )
        return int(rows[0][0]) if rows else None

    def request_events(self, request_id: int) -> list[RequestEvent]:
        rows = self._run(
            "SELECT request_id, at_us, action, from_status, to_status, actor, note "
            f"FROM request_events WHERE request_id = {self._mark} ORDER BY id",
            (request_id,),
        )
        return [RequestEvent(*r) for r in rows]

    def request_notices(self, request_id: int) -> list[tuple[int, str, str, str]]:
        """(at_us, channel, address, message) owed to the reporters of one request."""
        rows = self._run(
            "SELECT at_us, channel, address, message FROM citizen_notices "
            f"WHERE request_id = {self._mark} ORDER BY id",
            (request_id,),
        )
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def nearby_requests(
        self,
        service_code: str,
        since_us: int,
        box: tuple[float, float, float, float] | None,
        district: str | None,
        limit: int = 200,
    ) -> list[RequestRow]:
        """Recent requests of one service in a lon/lat box (or district): merge candidates."""
        m = self._mark
        sql = (
            f"SELECT {COLUMNS} FROM service_requests WHERE service_code = {m} "
            f"AND requested_us >= {m}"
        )
        params: list[Any] = [service_code, since_us]
        if box is not None:
            sql += f" AND lon BETWEEN {m} AND {m} AND lat BETWEEN {m} AND {m}"
            params += [box[0], box[2], box[1], box[3]]
        elif district is not None:
            sql += f" AND district = {m}"
            params.append(district)
        else:
            return []
        sql += f" ORDER BY requested_us DESC LIMIT {int(limit)}"
        return [row_of(r) for r in self._run(sql, params)]

    def department_rates(
        self, now_us: int, start_us: int, end_us: int
    ) -> list[tuple[str, int, int, int, int, int, int, int]]:
        """Per department over requests received in [start, end): (department, received,
        response due, responded in time, resolution due, resolved in time, follow-ups,
        satisfied follow-ups). A request counts as due once its deadline has passed or it
        was answered, so requests still inside their time do not lower a rate."""
        m = self._mark
        sql = (
            "SELECT department, count(*), "
            f"sum(CASE WHEN responded_us IS NOT NULL OR response_due_us < {m} THEN 1 ELSE 0 END), "
            "sum(CASE WHEN responded_us IS NOT NULL AND responded_us <= response_due_us "
            "THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN resolved_us IS NOT NULL OR deadline_us < {m} THEN 1 ELSE 0 END), "
            "sum(CASE WHEN resolved_us IS NOT NULL AND resolved_us <= deadline_us "
            "THEN 1 ELSE 0 END), "
            "sum(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN satisfaction >= 4 THEN 1 ELSE 0 END) "
            "FROM service_requests WHERE department IS NOT NULL AND merged_into IS NULL "
            f"AND requested_us >= {m} AND requested_us < {m} "
            "GROUP BY department ORDER BY department"
        )
        rows = self._run(sql, (now_us, now_us, start_us, end_us))
        return [(r[0], *(int(v or 0) for v in r[1:])) for r in rows]

    def put_model(self, kind: str, created_at: str, model: bytes, report: dict[str, Any]) -> int:
        m = self._mark
        rows = self._run(
            "INSERT INTO citizen_models (kind, created_at, model, report) "
            f"VALUES ({m}, {m}, {m}, {m}) RETURNING version",
            (kind, created_at, model, self._json_in(report)),
            write=True,
        )
        return int(rows[0][0])

    def latest_model(self, kind: str) -> tuple[int, str, bytes, dict[str, Any]] | None:
        rows = self._run(
            "SELECT version, created_at, model, report FROM citizen_models "
            f"WHERE kind = {self._mark} ORDER BY version DESC LIMIT 1",
            (kind,),
        )
        if not rows:
            return None
        version, created_at, model, report = rows[0]
        return int(version), created_at, bytes(model), _doc(report)

    def model_versions(self, kind: str) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self._run(
            "SELECT version, created_at, report FROM citizen_models "
            f"WHERE kind = {self._mark} ORDER BY version",
            (kind,),
        )
        return [(int(r[0]), r[1], _doc(r[2])) for r in rows]
