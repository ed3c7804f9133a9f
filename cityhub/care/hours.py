"""Opening hours in the OpenStreetMap `opening_hours` syntax, read by the `opening-hours-py`
library, judged on the city's own calendar of working days (cityhub.citizen.workdays):

- on a statutory holiday (a rest day that is not a weekend) the expression's `PH` rules apply,
  as OSM defines them; an expression without `PH` rules keeps its weekday rules;
- on a make-up working day (调休, a Saturday or Sunday worked) a point keeps weekday hours: the
  day is judged as a Wednesday;
- overnight ranges (`Mo-Su 22:00-06:00`) run past midnight as written.

The library is given no country: which days are holidays is the calendar's answer, never the
library's own list."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours, ParserError  # type: ignore[attr-defined]

from cityhub.citizen.workdays import is_workday
from cityhub.errors import BadRequestData

# A day the library knows as a public holiday when told the country, used to read PH rules:
# 1 January 2025 (a Wednesday).
_PH_DAY = dt.date(2025, 1, 1)
_WEDNESDAY = dt.date(2025, 1, 8)
_MAX_TEXT = 500


@lru_cache(maxsize=4096)
def _parsed(text: str, zone: str, holidays: bool) -> OpeningHours:
    try:
        if holidays:
            return OpeningHours(text, timezone=ZoneInfo(zone), country="CN")
        return OpeningHours(text, timezone=ZoneInfo(zone))
    except (ParserError, ValueError) as exc:
        raise BadRequestData(f"opening hours {text!r} are not in the opening_hours syntax") from exc


def check_hours(text: str, zone: str = "Asia/Shanghai") -> str:
    """The text if it parses, or a 400 naming it."""
    if not isinstance(text, str) or not text.strip() or len(text) > _MAX_TEXT:
        raise BadRequestData(f"opening hours are 1 to {_MAX_TEXT} characters")
    _parsed(text.strip(), zone, False)
    return text.strip()


def is_open(text: str, moment: dt.datetime, zone: str) -> bool:
    """Is a point with these hours open at `moment` (aware) in the city's calendar?"""
    local = moment.astimezone(ZoneInfo(zone))
    day = local.date()
    weekend = day.weekday() >= 5
    workday = is_workday(day)
    if not workday and not weekend and "PH" in text:  # a statutory holiday
        at = dt.datetime.combine(_PH_DAY, local.time(), ZoneInfo(zone))
        return bool(_parsed(text, zone, True).is_open(at))
    if workday and weekend:  # 调休: worked like a weekday
        at = dt.datetime.combine(_WEDNESDAY, local.time(), ZoneInfo(zone))
        return bool(_parsed(text, zone, False).is_open(at))
    return bool(_parsed(text, zone, False).is_open(local))
