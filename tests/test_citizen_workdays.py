"""Working days with Chinese public holidays and make-up workdays (调休)."""

from __future__ import annotations

import datetime as dt

from cityhub.citizen.workdays import (
    add_working_days,
    calendar_known,
    is_workday,
    working_days_between,
)

SZ = dt.timezone(dt.timedelta(hours=8))
TZ = "Asia/Shanghai"


def at(y: int, m: int, d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SZ)


def test_holidays_and_make_up_days_follow_the_official_calendar() -> None:
    assert not is_workday(dt.date(2026, 10, 1))  # National Day
    assert is_workday(dt.date(2026, 10, 10))  # Saturday make-up workday
    assert is_workday(dt.date(2025, 1, 26))  # Sunday make-up day before Spring Festival
    assert not is_workday(dt.date(2025, 1, 28))
    assert not is_workday(dt.date(2026, 11, 28))  # an ordinary Saturday


def test_adding_working_days_skips_the_spring_festival() -> None:
    # Friday 24 Jan 2025; 26 Jan (Sunday) is a workday, 28 Jan - 4 Feb are holidays.
    assert add_working_days(at(2025, 1, 24), 1, TZ) == at(2025, 1, 26).astimezone(dt.UTC)
    assert add_working_days(at(2025, 1, 24), 2, TZ) == at(2025, 1, 27).astimezone(dt.UTC)
    assert add_working_days(at(2025, 1, 24), 3, TZ) == at(2025, 2, 5).astimezone(dt.UTC)


def test_a_request_filed_on_a_rest_day_counts_from_the_next_workday() -> None:
    # Saturday 28 Nov 2026 at 15:00: counting starts Monday 30 Nov 00:00.
    due = add_working_days(at(2026, 11, 28, 15), 1, TZ)
    assert due == dt.datetime(2026, 12, 1, 0, 0, tzinfo=SZ).astimezone(dt.UTC)
    half = add_working_days(at(2026, 11, 30, 10), 0.5, TZ)
    assert half == at(2026, 11, 30, 22).astimezone(dt.UTC)


def test_working_days_between_and_unknown_years() -> None:
    assert working_days_between(at(2026, 9, 30), at(2026, 10, 9), TZ) == 2  # 8 and 9 Oct
    assert working_days_between(at(2026, 10, 9), at(2026, 9, 30), TZ) == -2
    assert calendar_known(dt.date(2026, 1, 5))
    assert not calendar_known(dt.date(2031, 1, 6))
    assert is_workday(dt.date(2031, 1, 6))  # a Monday: weekends only when the year is unknown
    assert not is_workday(dt.date(2031, 1, 4))
