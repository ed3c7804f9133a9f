"""The demo's home care: a clearly labelled synthetic register (no real person: every entry's
note says 模拟数据, names are drawn from common surnames and given names, phones are 1380000xxxx
and no ID numbers are made up), caregivers of one street office, today's orders planned over
them, and two alarms of earlier today answered, so the dashboard has something to show."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cityhub.auth.principal import Principal
from cityhub.care.orders import KINDS
from cityhub.store.homecare_sql import CaregiverRow, ClientFilter, ClientRow, OrderRow
from cityhub.timeutil import now_us

if TYPE_CHECKING:
    from cityhub.hub import Hub

DEPARTMENT = "福田区民政局"
NOTE = "模拟数据 (synthetic demo entry, not a real person)"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("秀英", "桂英", "淑珍", "建国", "国华", "玉兰", "德明", "志强", "美兰", "福生", "素芬",
         "永康", "凤英", "金花", "文华")  # fmt: skip
CLIENTS = 60
CAREGIVERS = 16


def _homes(hub: Hub, rng: random.Random) -> list[tuple[float, float, str | None]]:
    from cityhub.demo.care import _stops

    locator = hub.requests.locator
    homes = []
    for _, lon, lat in _stops():
        place = locator.locate(lat, lon)
        if place.district == "福田区":
            homes.append((lat + rng.uniform(-0.001, 0.001), lon + rng.uniform(-0.001, 0.001),
                          place.street))  # fmt: skip
    return homes


def load_demo_homecare(hub: Hub, seed: int = 22) -> int:
    """The synthetic register and today's orders, once (0 when the register has entries)."""
    repo = hub.store.homecare
    if repo.clients(ClientFilter(DEPARTMENT), 1):
        return 0
    rng = random.Random(seed)
    homes = _homes(hub, rng)
    if not homes:
        return 0
    tz = ZoneInfo(hub.settings.timezone)
    at = now_us()
    clients = []
    for i in range(CLIENTS):
        lat, lon, street = rng.choice(homes)
        services = sorted(rng.sample(["meal", "visit", "nursing", "cleaning"], rng.randint(1, 2)))
        doc = {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"1380000{i:04d}",
            "address": f"福田区{street or ''}模拟小区{rng.randint(1, 30)}栋{rng.randint(1, 30)}0"
            f"{rng.randint(1, 4)}",
            "birthYear": rng.randint(1930, 1955),
            "livesAlone": rng.random() < 0.3,
            "services": services,
            "note": NOTE,
        }
        level = rng.choice(["independent", "mild", "mild", "moderate", "severe"])
        row = ClientRow(0, DEPARTMENT, "福田区", street, round(lat, 6), round(lon, 6), level,
                        None, "", True, doc, at, at)  # fmt: skip
        row.id = repo.add_client(row)
        clients.append(row)
    for i in range(CAREGIVERS):
        lat, lon, _ = rng.choice(homes)
        shift = (8 * 60, 17 * 60) if i % 2 == 0 else (12 * 60, 21 * 60)
        repo.put_caregiver(CaregiverRow(
            f"ft-{i + 1:02d}", DEPARTMENT, f"护理员{i + 1:02d}（模拟）", f"1390000{i:04d}",
            ["nursing", "emergency"] if i < 3 else ["emergency"], *shift, lat, lon, True, at,
        ))  # fmt: skip
    today = dt.datetime.now(tz).date()
    midnight = dt.datetime.combine(today, dt.time(), tz)

    def us(hours: float) -> int:
        return int((midnight + dt.timedelta(hours=hours)).timestamp() * 1e6)

    made = 0
    for c in clients:
        for kind in c.doc["services"]:
            if kind == "meal":
                window = (10.5, 12.5)
            else:
                begin = rng.choice([9.0, 10.0, 14.0, 15.0, 16.0])
                window = (begin, begin + 2)
            minutes, skills, _, _ = KINDS[kind]
            repo.add_order(OrderRow(
                0, c.id, DEPARTMENT, kind, "normal", "open", us(window[0]), us(window[1]),
                minutes, list(skills), created_us=at,
            ))  # fmt: skip
            made += 1
    hub.homecare.plan_day(Principal("demo", DEPARTMENT, "admin"), today, 3.0)
    elapsed = at - us(0)  # two alarms earlier today, answered
    for share, (accept_s, arrive_s) in ((1 / 3, (40, 540)), (2 / 3, (25, 420))):
        c = rng.choice(clients)
        raised = us(0) + int(elapsed * share)
        repo.add_order(OrderRow(
            0, c.id, DEPARTMENT, "emergency", "urgent", "done", raised, raised + 3_600_000_000,
            30, ["emergency"], "ft-01", source="alarm:urn:ngsi-ld:Device:demo-sos:fall",
            alarms=1, note=NOTE, created_us=raised, assigned_us=raised + 1_000_000,
            notified_us=raised + 1_200_000, accepted_us=raised + accept_s * 1_000_000,
            arrived_us=raised + arrive_s * 1_000_000, done_us=raised + 2_400_000_000,
        ))  # fmt: skip
    return made
