"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Deadlines of the 12345 workflow are counted in working days in the city's time zone. The
official calendar comes from `chinese-calendar`, which knows each year once the State Council
has published it; for a year it does not know yet, only weekends are treated as rest days and
`calendar_known` says so, so an operator sees the deadline is provisional.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

UTC = dt.UTC


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the calendar has not been published for
        return day.weekday() < 5


def calendar_known(day: dt.date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def add_working_days(start: dt.datetime, days: float, tz: str) -> dt.datetime:
    """The moment `days` working days after `start` (aware), counted in the city's time zone.

    A request received on a rest day starts counting at the next working day's start; a
    fraction of a day counts as that fraction of 24 hours on a working day.
    """
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    if not is_workday(local.date()):
        day = local.date() + dt.timedelta(days=1)
        while not is_workday(day):
            day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0, 0), zone)
    whole = int(days)
    rest = days - whole
    day = local.date()
    for _ in range(whole):
        day += dt.timedelta(days=1)
        while not is_workday(day):
            day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, local.timetz().replace(tzinfo=None), zone)
    if rest:
        moment += dt.timedelta(hours=24 * rest)
    return moment.astimezone(UTC)


def working_days_between(start: dt.datetime, end: dt.datetime, tz: str) -> int:
    """Whole working days from start's local date (exclusive) to end's (inclusive)."""
    zone = ZoneInfo(tz)
    a, b = start.astimezone(zone).date(), end.astimezone(zone).date()
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    while day < b:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return sign * count
