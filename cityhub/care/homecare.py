"""Home care for the elderly (居家养老): the register, caregivers, service orders, the alarm
desk and the day's visit plan, for the department that serves the clients.

Who may do what: a department's keys keep their own clients, caregivers and orders (admins any
department's); a department key of another department may list orders with the clients masked;
everything else is refused. Each read of client details, raw or masked, is audited."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from cityhub.auth.principal import Principal
from cityhub.care import orders as workflow
from cityhub.care.alarms import AlarmCall
from cityhub.care.points import great_circle_m
from cityhub.care.register import client_view, read_client, reads_raw, register_id
from cityhub.catalog.audit import AuditLog
from cityhub.errors import BadRequestData, Forbidden, ResourceNotFound, Unauthorized
from cityhub.store import Store
from cityhub.store.homecare_sql import (
    OPEN_STATUSES,
    CaregiverRow,
    ClientFilter,
    ClientRow,
    OrderFilter,
    OrderRow,
)
from cityhub.timeutil import now_us

if TYPE_CHECKING:
    from cityhub.care.routing import Plan, Problem

DESK = Principal("care-alarm-desk", "", "admin")  # the server's alarm desk, as audited
RIDE_M_PER_MIN = 250.0  # a caregiver's e-bike, about 15 km/h
DETOUR = 1.3  # streets are longer than the straight line


@dataclass(frozen=True)
class Dispatch:
    """What the alarm desk did with one alarm."""

    order: OrderRow
    client: ClientRow
    caregiver: CaregiverRow | None
    new: bool
    distance_m: float | None = None


def ride_minutes(metres: float) -> float:
    return metres * DETOUR / RIDE_M_PER_MIN


def _department(reader: Principal) -> str:
    if reader.is_anonymous and not reader.open_mode:
        raise Unauthorized("home care is kept by the serving department: send its key")
    if not reader.department:
        raise Forbidden("home-care records belong to a department: use a department's key")
    return reader.department


def _minutes(text: Any, name: str) -> int:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise BadRequestData(f"{name} is HH:MM") from None
    if not 0 <= value <= 24 * 60:
        raise BadRequestData(f"{name} is between 00:00 and 24:00")
    return value


class HomeCareService:
    def __init__(self, store: Store, audit: AuditLog, zone: str) -> None:
        self.store = store
        self.repo = store.homecare
        self.audit = audit
        self.zone = zone
        self.tz = ZoneInfo(zone)

    # -- the register -------------------------------------------------------------------------
    def _check_reader(self, reader: Principal, c: ClientRow) -> None:
        if not reads_raw(reader, c.department):
            raise Forbidden(f"client {c.id} is served by {c.department}; only it reads the entry")

    def _audited(self, reader: Principal, department: str, ids: list[int], raw: bool,
                 via: str) -> None:  # fmt: skip
        if ids:
            self.audit.record(
                reader, "read", register_id(department), rows=len(ids),
                detail={"clients": ids[:100], "masked": not raw, "via": via},
            )  # fmt: skip

    def add_client(self, reader: Principal, body: Any) -> dict[str, Any]:
        department = _department(reader)
        given = read_client(body)
        at = now_us()
        row = ClientRow(
            0, department, given.district, given.street, given.lat, given.lon, given.care_level,
            given.device, given.device_tenant, True, given.details, at, at,
        )  # fmt: skip
        row.id = self.repo.add_client(row)
        self.audit.record(reader, "create", register_id(department), rows=1,
                          detail={"clients": [row.id]})  # fmt: skip
        return client_view(row, True)

    def replace_client(self, reader: Principal, ident: int, body: Any) -> dict[str, Any]:
        held = self.repo.client(ident)
        self._check_reader(reader, held)
        given = read_client(body)
        row = replace(
            held, district=given.district, street=given.street, lat=given.lat, lon=given.lon,
            care_level=given.care_level, device=given.device, device_tenant=given.device_tenant,
            doc=given.details, updated_us=now_us(),
        )  # fmt: skip
        self.repo.update_client(row)
        self.audit.record(reader, "update", register_id(held.department), rows=1,
                          detail={"clients": [ident]})  # fmt: skip
        return client_view(row, True)

    def end_care(self, reader: Principal, ident: int) -> None:
        """The client leaves the register's active list (kept for the orders' history)."""
        held = self.repo.client(ident)
        self._check_reader(reader, held)
        self.repo.update_client(replace(held, active=False, device=None, updated_us=now_us()))
        self.audit.record(reader, "update", register_id(held.department), rows=1,
                          detail={"clients": [ident], "active": False})  # fmt: skip

    def client(self, reader: Principal, ident: int) -> dict[str, Any]:
        found = self.repo.client(ident)
        self._check_reader(reader, found)
        self._audited(reader, found.department, [ident], True, "client")
        return client_view(found, True)

    def clients(
        self, reader: Principal, district: str | None, active: bool | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        department = _department(reader)
        rows = self.repo.clients(ClientFilter(department, district, active), limit, offset)
        self._audited(reader, department, [c.id for c in rows], True, "list")
        return [client_view(c, True) for c in rows]

    # -- caregivers ---------------------------------------------------------------------------
    def put_caregiver(self, reader: Principal, ident: str, body: Any) -> dict[str, Any]:
        department = _department(reader)
        if not isinstance(body, dict):
            raise BadRequestData("a caregiver is a JSON object")
        if not ident or len(ident) > 100 or not ident.replace("-", "").replace("_", "").isalnum():
            raise BadRequestData("a caregiver id is letters, digits, '-' and '_'")
        try:
            held: CaregiverRow | None = self.repo.caregiver(ident)
        except ResourceNotFound:
            held = None
        if held is not None and not reads_raw(reader, held.department):
            raise Forbidden(f"caregiver {ident} works for {held.department}")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadRequestData("name is required (at most 100 characters)")
        skills = body.get("skills", [])
        if not isinstance(skills, list) or not all(isinstance(s, str) and s for s in skills):
            raise BadRequestData("skills is a list of names")
        shift = str(body.get("shift", "08:00-18:00")).split("-")
        if len(shift) != 2:
            raise BadRequestData("shift is HH:MM-HH:MM in the city's time")
        start, end = _minutes(shift[0], "shift start"), _minutes(shift[1], "shift end")
        if end <= start:
            raise BadRequestData("a shift ends after it starts (within one day)")
        lat, lon = body.get("lat"), body.get("lon")
        for value, low, high, label in ((lat, -90, 90, "lat"), (lon, -180, 180, "lon")):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (low <= value <= high)
            ):
                raise BadRequestData(f"{label} must be a number from {low} to {high}")
        on_duty = body.get("onDuty", True)
        if not isinstance(on_duty, bool):
            raise BadRequestData("onDuty is true or false")
        phone = body.get("phone", "")
        if not isinstance(phone, str) or len(phone) > 40:
            raise BadRequestData("phone is text of at most 40 characters")
        row = CaregiverRow(
            ident, held.department if held else department, name.strip(), phone,
            sorted(set(skills)), start, end, float(lat), float(lon),  # type: ignore[arg-type]
            on_duty, now_us(),
        )  # fmt: skip
        self.repo.put_caregiver(row)
        return caregiver_view(row)

    def caregivers(self, reader: Principal) -> list[dict[str, Any]]:
        department = None if reader.is_admin else _department(reader)
        return [caregiver_view(c) for c in self.repo.caregivers(department)]

    # -- orders -------------------------------------------------------------------------------
    def add_order(self, reader: Principal, body: Any) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        given = workflow.read_order(body, self.zone, now)
        client = self.repo.client(given["client"])
        self._check_reader(reader, client)
        if not client.active:
            raise BadRequestData(f"client {client.id} no longer receives care")
        if given["end"] - given["start"] < dt.timedelta(minutes=given["minutes"]):
            raise BadRequestData("the window is shorter than the service takes")
        order = OrderRow(
            0, client.id, client.department, given["kind"], "normal", "open",
            int(given["start"].timestamp() * 1e6), int(given["end"].timestamp() * 1e6),
            given["minutes"], given["skills"], note=given["note"], created_us=now_us(),
        )  # fmt: skip
        order.id = self.repo.add_order(order)
        return workflow.order_view(order, {"id": client.id}, self.zone)

    def orders(
        self, reader: Principal, day: dt.date | None, department: str | None,
        status: tuple[str, ...], caregiver: str | None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """A day's orders (the city's day) with their clients, masked for other departments.
        Without `department`: the reader's own, or every department's for an admin."""
        everyone = reader.is_admin or reader.open_mode
        if department is None and not everyone:
            department = _department(reader)
        elif not reader.in_a_department and not reader.open_mode:
            raise Forbidden("orders are read with a department's key")
        since = until = None
        if day is not None:
            midnight = dt.datetime.combine(day, dt.time(), self.tz)
            since = int(midnight.timestamp() * 1e6)
            until = int((midnight + dt.timedelta(days=1)).timestamp() * 1e6)
        for s in status:
            if s not in workflow.NEXT:
                raise BadRequestData(f"status is one of {', '.join(workflow.NEXT)}")
        found = self.repo.orders(OrderFilter(department, since, until, status, caregiver), 2000)
        ids = sorted({o.client_id for o in found})
        wanted = ClientFilter(ids=tuple(ids), active=None)
        clients = {c.id: c for c in self.repo.clients(wanted, len(ids) or 1)}
        served: dict[str, list[int]] = {}
        for c in clients.values():
            served.setdefault(c.department, []).append(c.id)
        for held, members in served.items():
            self._audited(reader, held, members, reads_raw(reader, held), "orders")
        return [
            workflow.order_view(o, client_view(who, reads_raw(reader, who.department)), self.zone)
            for o in found
            if (who := clients.get(o.client_id)) is not None
        ]

    def step(
        self, reader: Principal, ident: int, status: str, caregiver: str | None
    ) -> dict[str, Any]:
        order = self.repo.order(ident)
        if not reads_raw(reader, order.department):
            raise Forbidden(f"order {ident} belongs to {order.department}")
        if caregiver is not None:
            held = self.repo.caregiver(caregiver)
            if held.department != order.department:
                raise BadRequestData(f"caregiver {caregiver} works for {held.department}")
        workflow.step(order, status, now_us(), caregiver)
        self.repo.save_order(order)
        return workflow.order_view(order, {"id": order.client_id}, self.zone)

    # -- the alarm desk -----------------------------------------------------------------------
    def nearest_caregiver(
        self, department: str, lat: float, lon: float, skills: list[str]
    ) -> tuple[CaregiverRow, float] | None:
        """The nearest caregiver on duty now, in shift, not already at an emergency; those
        with the skills first."""
        now = dt.datetime.now(self.tz)
        minute = now.hour * 60 + now.minute
        busy = {
            o.caregiver
            for o in self.repo.orders(
                OrderFilter(department, status=OPEN_STATUSES[1:], priority="urgent"), 10_000
            )
        }
        free = [
            c for c in self.repo.caregivers(department)
            if c.on_duty and c.shift_start <= minute < c.shift_end and c.id not in busy
        ]  # fmt: skip
        if not free:
            return None
        able = [c for c in free if set(skills) <= set(c.skills)] or free
        metres = great_circle_m(
            lat, lon, np.radians([c.lat for c in able]), np.radians([c.lon for c in able])
        )
        best = int(np.argmin(metres))
        return able[best], float(metres[best])

    def raise_alarm(self, call: AlarmCall) -> Dispatch | None:
        """The urgent order for an alarm (one per client while it is open) and its caregiver.
        None when the device is on nobody's register entry."""
        client = self.repo.client_with_device(call.tenant, call.device)
        if client is None:
            return None
        order = OrderRow(
            0, client.id, client.department, "emergency", "urgent", "open", call.at_us,
            call.at_us + 3_600_000_000, workflow.KINDS["emergency"][0],
            list(workflow.KINDS["emergency"][1]), source=f"alarm:{call.device}:{call.value}",
            alarms=1, created_us=call.at_us,
        )  # fmt: skip
        order, new = self.repo.raise_alarm(order)
        if not new or order.status != "open":
            return Dispatch(order, client, None, new)
        return self._assign(order, client, new)

    def _assign(self, order: OrderRow, client: ClientRow, new: bool) -> Dispatch:
        picked = self.nearest_caregiver(client.department, client.lat, client.lon, order.skills)
        if picked is None:
            return Dispatch(order, client, None, new)
        caregiver, metres = picked
        workflow.step(order, "assigned", now_us(), caregiver.id)
        self.repo.save_order(order)
        self._audited(DESK, client.department, [client.id], True, f"alarm:{order.id}")
        return Dispatch(order, client, caregiver, new, metres)

    def assign_waiting(self) -> list[Dispatch]:
        """Urgent orders still without a caregiver (none was free): tried again."""
        out = []
        for order in self.repo.orders(OrderFilter(status=("open",), priority="urgent"), 1000):
            dispatch = self._assign(order, self.repo.client(order.client_id), False)
            if dispatch.caregiver is not None:
                out.append(dispatch)
        return out

    def notified(self, ident: int, at_us: int) -> None:
        order = self.repo.order(ident)
        order.notified_us = at_us
        self.repo.save_order(order)

    # -- the day's visits ---------------------------------------------------------------------
    def plan_day(self, reader: Principal, day: dt.date, time_limit: float) -> dict[str, Any]:
        """Plan the day's open visits over the department's caregivers on duty (a VRPTW):
        each visit gets its caregiver and planned start; what cannot be fitted stays open.
        In one call, for the CLI and the demo; the API runs the three steps apart so the
        search happens in a worker process, off the store's writer."""
        from cityhub.care.routing import solve

        job = self.day_problem(reader, day)
        plan = solve(job.problem, time_limit, True) if job.problem is not None else None
        return self.save_plan(job, plan)

    def day_problem(self, reader: Principal, day: dt.date) -> DayProblem:
        """The day's open visits and the caregivers on duty as a routing problem (reads only);
        visits nobody on duty can make (skills, or a window too short) are left out at once."""
        from cityhub.care.routing import Carer, Problem, Stop

        department = _department(reader)
        midnight = dt.datetime.combine(day, dt.time(), self.tz)
        base = int(midnight.timestamp() * 1e6)
        todo = [
            o for o in self.repo.orders(
                OrderFilter(department, base, base + 86_400_000_000, ("open", "assigned")), 5000
            ) if o.priority == "normal"
        ]  # fmt: skip
        job = DayProblem(day, base, todo, [], None)
        if not todo:
            return job
        carers = [c for c in self.repo.caregivers(department) if c.on_duty]
        if not carers:
            raise BadRequestData(f"{department} has no caregivers on duty")
        wanted = ClientFilter(ids=tuple({o.client_id for o in todo}), active=None)
        clients = {c.id: c for c in self.repo.clients(wanted, len(todo))}
        lat0 = float(np.mean([c.lat for c in carers]))
        lon0 = float(np.mean([c.lon for c in carers]))

        def place(lat: float, lon: float) -> tuple[float, float]:  # minutes east, north
            east = (lon - lon0) * 111_320 * math.cos(math.radians(lat0))
            return ride_minutes(east), ride_minutes((lat - lat0) * 110_540)

        def minute(us: int) -> float:
            return (us - base) / 60e6

        stops = []
        skilled = frozenset().union(*(c.skills for c in carers))
        for o in todo:
            c = clients[o.client_id]
            x, y = place(c.lat, c.lon)
            ready = max(0.0, minute(o.window_start_us))
            due = minute(o.window_end_us) - o.duration_min
            if due < ready or not set(o.skills) <= skilled:
                job.left.append(o.id)
                continue
            stops.append(Stop(str(o.id), x, y, 1, ready, due, o.duration_min,
                              frozenset(o.skills)))  # fmt: skip
        if stops:
            job.problem = Problem(
                f"{department} {day}", Stop("station", 0.0, 0.0, due=24 * 60), stops,
                [Carer(c.id, len(stops), c.shift_start, c.shift_end, frozenset(c.skills))
                 for c in carers],
            )  # fmt: skip
        return job

    def save_plan(self, job: DayProblem, plan: Plan | None) -> dict[str, Any]:
        """Each planned visit's caregiver and start, stored in one transaction; the answer."""
        from cityhub.care.routing import check

        routes = []
        if plan is not None and job.problem is not None:
            check(job.problem, plan)  # fills each route's start times
            at = now_us()
            by_id = {o.id: o for o in job.orders}
            changed = []
            for route in plan.routes:
                for visit, start in zip(route.stops, route.starts, strict=True):
                    order = by_id[int(visit)]
                    if order.status == "open" or order.caregiver != route.carer:
                        order.status, order.caregiver, order.assigned_us = (
                            "assigned", route.carer, at,
                        )  # fmt: skip
                    order.planned_us = job.base_us + int(start * 60e6)
                    changed.append(order)
            self.repo.save_orders(changed)
            routes = [
                {"caregiver": r.carer, "orders": [int(s) for s in r.stops],
                 "starts": [dt.datetime.fromtimestamp((job.base_us + s * 60e6) / 1e6, self.tz)
                            .isoformat(timespec="minutes") for s in r.starts],
                 "rideMinutes": round(r.distance, 1)}
                for r in plan.routes
            ]  # fmt: skip
        out: dict[str, Any] = {
            "day": job.day.isoformat(),
            "visits": len(job.orders),
            "routes": routes,
            "unassigned": sorted([*job.left, *(int(s) for s in plan.unassigned)] if plan
                                 else job.left),
        }  # fmt: skip
        if plan is not None:
            out["seconds"] = round(plan.seconds, 2)
        return out


@dataclass
class DayProblem:
    """A department's day to plan: its open visits, those nobody can make, the problem."""

    day: dt.date
    base_us: int  # the city's midnight
    orders: list[OrderRow]
    left: list[int]
    problem: Problem | None


def caregiver_view(c: CaregiverRow) -> dict[str, Any]:
    return {
        "id": c.id, "department": c.department, "name": c.name, "phone": c.phone,
        "skills": c.skills, "shift": f"{c.shift_start // 60:02d}:{c.shift_start % 60:02d}-"
        f"{c.shift_end // 60:02d}:{c.shift_end % 60:02d}", "lat": c.lat, "lon": c.lon,
        "onDuty": c.on_duty,
    }  # fmt: skip
