"""Home care in the store (both dialects): the register of people receiving care, the
caregivers, and service orders."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cityhub.errors import AlreadyExists, ResourceNotFound
from cityhub.store.repository import Repository

_CLIENT = (
    "id, department, district, street, lat, lon, care_level, device, device_tenant, active, "
    "doc, created_us, updated_us"
)
_CAREGIVER = (
    "id, department, name, phone, skills, shift_start, shift_end, lat, lon, on_duty, updated_us"
)
_ORDER = (
    "id, client_id, department, kind, priority, status, window_start_us, window_end_us, "
    "duration_min, skills, caregiver, planned_us, source, alarms, note, created_us, assigned_us, "
    "notified_us, accepted_us, arrived_us, done_us"
)
OPEN_STATUSES = ("open", "assigned", "accepted", "arrived")


@dataclass
class ClientRow:
    id: int
    department: str
    district: str | None
    street: str | None
    lat: float
    lon: float
    care_level: str
    device: str | None
    device_tenant: str
    active: bool
    doc: dict[str, Any]  # the personal details: name, idNumber, phone, address, contact…
    created_us: int
    updated_us: int


@dataclass
class CaregiverRow:
    id: str
    department: str
    name: str
    phone: str
    skills: list[str]
    shift_start: int  # minutes after the city's midnight
    shift_end: int
    lat: float
    lon: float
    on_duty: bool
    updated_us: int


@dataclass
class OrderRow:
    id: int
    client_id: int
    department: str
    kind: str
    priority: str  # urgent, normal
    status: str  # open, assigned, accepted, arrived, done, cancelled
    window_start_us: int
    window_end_us: int
    duration_min: int
    skills: list[str]
    caregiver: str | None = None
    planned_us: int | None = None
    source: str = ""
    alarms: int = 0
    note: str = ""
    created_us: int = 0
    assigned_us: int | None = None
    notified_us: int | None = None
    accepted_us: int | None = None
    arrived_us: int | None = None
    done_us: int | None = None


@dataclass(frozen=True)
class OrderFilter:
    department: str | None = None
    since_us: int | None = None  # window starting at or after
    until_us: int | None = None  # window starting before
    status: tuple[str, ...] = ()
    caregiver: str | None = None
    client_id: int | None = None
    priority: str | None = None


@dataclass(frozen=True)
class ClientFilter:
    department: str | None = None
    district: str | None = None
    active: bool | None = True
    ids: tuple[int, ...] = field(default=())


class HomeCareRepository(Repository):
    # -- the register -------------------------------------------------------------------------
    def _client(self, r: tuple[Any, ...]) -> ClientRow:
        return ClientRow(
            int(r[0]), str(r[1]), r[2], r[3], float(r[4]), float(r[5]), str(r[6]), r[7],
            str(r[8]), bool(r[9]), self._json_out(r[10]), int(r[11]), int(r[12]),
        )  # fmt: skip

    def add_client(self, c: ClientRow) -> int:
        m = self._mark
        try:
            (row,) = self._run(
                f"INSERT INTO care_clients ({_CLIENT.split(', ', 1)[1]}) VALUES "
                f"({', '.join([m] * 12)}) RETURNING id",
                (
                    c.department, c.district, c.street, c.lat, c.lon, c.care_level, c.device,
                    c.device_tenant, c.active, self._json_in(c.doc), c.created_us, c.updated_us,
                ),
                write=True,
            )  # fmt: skip
        except Exception as exc:  # the unique device index: both drivers' integrity errors
            if "unique" in str(exc).lower():
                raise AlreadyExists(f"device {c.device} already belongs to a client") from None
            raise
        return int(row[0])

    def update_client(self, c: ClientRow) -> None:
        m = self._mark
        try:
            self._run(
                f"UPDATE care_clients SET district = {m}, street = {m}, lat = {m}, lon = {m}, "
                f"care_level = {m}, device = {m}, device_tenant = {m}, active = {m}, doc = {m}, "
                f"updated_us = {m} WHERE id = {m}",
                (
                    c.district, c.street, c.lat, c.lon, c.care_level, c.device, c.device_tenant,
                    c.active, self._json_in(c.doc), c.updated_us, c.id,
                ),
                write=True,
            )  # fmt: skip
        except Exception as exc:
            if "unique" in str(exc).lower():
                raise AlreadyExists(f"device {c.device} already belongs to a client") from None
            raise

    def client(self, ident: int) -> ClientRow:
        m = self._mark
        rows = self._run(f"SELECT {_CLIENT} FROM care_clients WHERE id = {m}", (ident,))
        if not rows:
            raise ResourceNotFound(f"client {ident} is not in the register")
        return self._client(rows[0])

    def clients(self, flt: ClientFilter, limit: int, offset: int = 0) -> list[ClientRow]:
        m = self._mark
        where, params = self._equal(flt, ("department", "district", "active"))
        if flt.ids:
            where.append(f"id IN ({', '.join([m] * len(flt.ids))})")
            params.extend(flt.ids)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._run(
            f"SELECT {_CLIENT} FROM care_clients {clause}ORDER BY id LIMIT {m} OFFSET {m}",
            (*params, limit, offset),
        )
        return [self._client(r) for r in rows]

    def client_with_device(self, tenant: str, device: str) -> ClientRow | None:
        """The active client whose home alarm is this device entity (the unique index)."""
        m = self._mark
        rows = self._run(
            f"SELECT {_CLIENT} FROM care_clients WHERE device_tenant = {m} AND device = {m} "
            "AND active = TRUE",
            (tenant, device),
        )
        return self._client(rows[0]) if rows else None

    # -- caregivers ---------------------------------------------------------------------------
    def _caregiver(self, r: tuple[Any, ...]) -> CaregiverRow:
        return CaregiverRow(
            str(r[0]), str(r[1]), str(r[2]), str(r[3]), list(self._json_out(r[4])), int(r[5]),
            int(r[6]), float(r[7]), float(r[8]), bool(r[9]), int(r[10]),
        )  # fmt: skip

    def put_caregiver(self, c: CaregiverRow) -> None:
        m = self._mark
        self._run(
            f"INSERT INTO care_caregivers ({_CAREGIVER}) VALUES ({', '.join([m] * 11)}) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, "
            "skills = excluded.skills, shift_start = excluded.shift_start, "
            "shift_end = excluded.shift_end, lat = excluded.lat, lon = excluded.lon, "
            "on_duty = excluded.on_duty, updated_us = excluded.updated_us",
            (
                c.id, c.department, c.name, c.phone, self._json_in(c.skills), c.shift_start,
                c.shift_end, c.lat, c.lon, c.on_duty, c.updated_us,
            ),
            write=True,
        )  # fmt: skip

    def caregiver(self, ident: str) -> CaregiverRow:
        m = self._mark
        rows = self._run(f"SELECT {_CAREGIVER} FROM care_caregivers WHERE id = {m}", (ident,))
        if not rows:
            raise ResourceNotFound(f"caregiver {ident} was not found")
        return self._caregiver(rows[0])

    def caregivers(self, department: str | None = None) -> list[CaregiverRow]:
        m = self._mark
        if department is None:
            rows = self._run(f"SELECT {_CAREGIVER} FROM care_caregivers ORDER BY id")
        else:
            rows = self._run(
                f"SELECT {_CAREGIVER} FROM care_caregivers WHERE department = {m} ORDER BY id",
                (department,),
            )
        return [self._caregiver(r) for r in rows]

    # -- orders -------------------------------------------------------------------------------
    def _order(self, r: tuple[Any, ...]) -> OrderRow:
        return OrderRow(
            int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]),
            int(r[7]), int(r[8]), list(self._json_out(r[9])), r[10], r[11], str(r[12]),
            int(r[13]), str(r[14]), int(r[15]), r[16], r[17], r[18], r[19], r[20],
        )  # fmt: skip

    def _values(self, o: OrderRow) -> tuple[Any, ...]:
        return (
            o.client_id, o.department, o.kind, o.priority, o.status, o.window_start_us,
            o.window_end_us, o.duration_min, self._json_in(o.skills), o.caregiver, o.planned_us,
            o.source, o.alarms, o.note, o.created_us, o.assigned_us, o.notified_us,
            o.accepted_us, o.arrived_us, o.done_us,
        )  # fmt: skip

    def add_order(self, o: OrderRow) -> int:
        m = self._mark
        (row,) = self._run(
            f"INSERT INTO care_orders ({_ORDER.split(', ', 1)[1]}) VALUES "
            f"({', '.join([m] * 20)}) RETURNING id",
            self._values(o),
            write=True,
        )
        return int(row[0])

    def _update_sql(self) -> str:
        m = self._mark
        names = _ORDER.split(", ")[1:]
        return f"UPDATE care_orders SET {', '.join(f'{n} = {m}' for n in names)} WHERE id = {m}"

    def save_order(self, o: OrderRow) -> None:
        self._run(self._update_sql(), (*self._values(o), o.id), write=True)

    def save_orders(self, orders: list[OrderRow]) -> None:
        """Several orders in one transaction (a day's plan is stored whole or not at all)."""
        sql = self._update_sql()
        with self._transaction() as conn:
            for o in orders:
                conn.execute(sql, (*self._values(o), o.id))

    def order(self, ident: int) -> OrderRow:
        m = self._mark
        rows = self._run(f"SELECT {_ORDER} FROM care_orders WHERE id = {m}", (ident,))
        if not rows:
            raise ResourceNotFound(f"order {ident} was not found")
        return self._order(rows[0])

    def orders(self, flt: OrderFilter, limit: int = 1000, offset: int = 0) -> list[OrderRow]:
        m = self._mark
        where, params = self._equal(flt, ("department", "caregiver", "client_id", "priority"))
        if flt.since_us is not None:
            where.append(f"window_start_us >= {m}")
            params.append(flt.since_us)
        if flt.until_us is not None:
            where.append(f"window_start_us < {m}")
            params.append(flt.until_us)
        if flt.status:
            where.append(f"status IN ({', '.join([m] * len(flt.status))})")
            params.extend(flt.status)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._run(
            f"SELECT {_ORDER} FROM care_orders {clause}ORDER BY window_start_us, id "
            f"LIMIT {m} OFFSET {m}",
            (*params, limit, offset),
        )
        return [self._order(r) for r in rows]

    def raise_alarm(self, o: OrderRow) -> tuple[OrderRow, bool]:
        """An urgent order for the client unless one is still open (then its alarm count goes
        up): one transaction, so a burst of messages from one button makes one order. Returns
        the order and whether it is new."""
        m = self._mark
        with self._transaction() as conn:
            found = conn.execute(
                f"SELECT {_ORDER} FROM care_orders WHERE client_id = {m} AND priority = 'urgent' "
                f"AND status IN ({', '.join([m] * len(OPEN_STATUSES))}) ORDER BY id LIMIT 1",
                (o.client_id, *OPEN_STATUSES),
            ).fetchall()
            if found:
                conn.execute(
                    f"UPDATE care_orders SET alarms = alarms + 1 WHERE id = {m}", (found[0][0],)
                )
                held = self._order(found[0])
                return replace(held, alarms=held.alarms + 1), False
            (row,) = conn.execute(
                f"INSERT INTO care_orders ({_ORDER.split(', ', 1)[1]}) VALUES "
                f"({', '.join([m] * 20)}) RETURNING id",
                self._values(o),
            ).fetchall()
        return replace(o, id=int(row[0])), True
