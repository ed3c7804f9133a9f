"""Home-care service orders and their workflow.

An order asks for one service at a client's home within a time window: meal delivery, a home
visit, nursing, cleaning, bathing, an escort — or `emergency`, made by an alarm. Its life:

    open → assigned → accepted → arrived → done        (cancelled from any state before done)

`assigned` names a caregiver (by the day's plan, by hand, or by the alarm desk for an urgent
order); the caregiver accepts, arrives and finishes; each step keeps its moment, so response
times (alarm → accepted, alarm → arrived) are measured, not estimated."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from cityhub.errors import BadRequestData, Conflict
from cityhub.store.homecare_sql import OrderRow
from cityhub.timeutil import parse_datetime

KINDS: dict[str, tuple[int, tuple[str, ...], str, str]] = {
    # kind: (default minutes at the home, skills it needs, zh, en)
    "meal": (10, (), "助餐送餐", "meal delivery"),
    "visit": (30, (), "上门探访", "home visit"),
    "nursing": (45, ("nursing",), "上门护理", "nursing"),
    "cleaning": (60, (), "助洁", "cleaning"),
    "bathing": (45, ("bathing",), "助浴", "bathing"),
    "escort": (90, (), "陪同就医", "escort to a clinic"),
    "emergency": (30, ("emergency",), "紧急呼叫", "emergency alarm"),
}
NEXT: dict[str, tuple[str, ...]] = {
    "open": ("assigned", "cancelled"),
    "assigned": ("accepted", "assigned", "cancelled"),
    "accepted": ("arrived", "cancelled"),
    "arrived": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
STEP_COLUMN = {"assigned": "assigned_us", "accepted": "accepted_us", "arrived": "arrived_us",
               "done": "done_us"}  # fmt: skip
LONGEST_MIN = 8 * 60


def read_order(body: Any, zone: str, now: dt.datetime) -> dict[str, Any]:
    """{client, kind, start, end, minutes, skills, note} from JSON; every fault named."""
    if not isinstance(body, dict):
        raise BadRequestData("an order is a JSON object")
    unknown = set(body) - {"client", "kind", "start", "end", "minutes", "skills", "note"}
    if unknown:
        raise BadRequestData(f"unknown fields: {', '.join(sorted(unknown))}")
    client = body.get("client")
    if isinstance(client, bool) or not isinstance(client, int) or client < 1:
        raise BadRequestData("client is the register id of the person served")
    kind = body.get("kind")
    if kind not in KINDS or kind == "emergency":
        shown = ", ".join(k for k in KINDS if k != "emergency")
        raise BadRequestData(f"kind is one of {shown} (emergencies come from alarms)")
    times = []
    for name in ("start", "end"):
        try:
            times.append(parse_datetime(str(body.get(name, "")), zone))
        except ValueError:
            raise BadRequestData(f"{name} must be an ISO 8601 date-time") from None
    start, end = times
    if end <= start:
        raise BadRequestData("the window ends after it starts")
    if end - start > dt.timedelta(days=1):
        raise BadRequestData("a window is at most one day")
    if end < now:
        raise BadRequestData("the window has already passed")
    minutes = body.get("minutes", KINDS[kind][0])
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= LONGEST_MIN:
        raise BadRequestData(f"minutes is a whole number from 1 to {LONGEST_MIN}")
    skills = body.get("skills", list(KINDS[kind][1]))
    if not isinstance(skills, list) or not all(isinstance(s, str) and s for s in skills):
        raise BadRequestData("skills is a list of names")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise BadRequestData("note is text of at most 500 characters")
    return {"client": client, "kind": kind, "start": start, "end": end, "minutes": minutes,
            "skills": sorted(set(skills)), "note": note}  # fmt: skip


def step(order: OrderRow, status: str, at_us: int, caregiver: str | None = None) -> OrderRow:
    """The order after one step of its workflow; a step it cannot take is a 409."""
    if status not in NEXT:
        raise BadRequestData(f"status is one of {', '.join(NEXT)}")
    if status not in NEXT[order.status]:
        allowed = ", ".join(NEXT[order.status]) or "nothing: it is finished"
        raise Conflict(f"order {order.id} is {order.status}; it may become {allowed}")
    if status == "assigned":
        if not caregiver:
            raise BadRequestData("assigning names the caregiver")
        order.caregiver = caregiver
    order.status = status
    column = STEP_COLUMN.get(status)
    if column is not None:
        setattr(order, column, at_us)
    return order


def _iso(us: int | None, tz: ZoneInfo) -> str | None:
    if us is None:
        return None
    return dt.datetime.fromtimestamp(us / 1e6, tz).isoformat(timespec="seconds")


def order_view(o: OrderRow, client: dict[str, Any] | None, zone: str) -> dict[str, Any]:
    tz = ZoneInfo(zone)
    waited = {
        f"{name}Seconds": round((us - o.created_us) / 1e6, 1)
        for name, us in (("accepted", o.accepted_us), ("arrived", o.arrived_us))
        if us is not None
    }
    return {
        "id": o.id,
        "client": client,
        "department": o.department,
        "kind": o.kind,
        "kindName": {"zh": KINDS[o.kind][2], "en": KINDS[o.kind][3]},
        "priority": o.priority,
        "status": o.status,
        "start": _iso(o.window_start_us, tz),
        "end": _iso(o.window_end_us, tz),
        "minutes": o.duration_min,
        "skills": o.skills,
        "caregiver": o.caregiver,
        "planned": _iso(o.planned_us, tz),
        "source": o.source,
        "alarms": o.alarms,
        "note": o.note,
        "created": _iso(o.created_us, tz),
        "assigned": _iso(o.assigned_us, tz),
        "notified": _iso(o.notified_us, tz),
        "accepted": _iso(o.accepted_us, tz),
        "arrived": _iso(o.arrived_us, tz),
        "done": _iso(o.done_us, tz),
        **waited,
    }
