"""Reporting periods (day, month, quarter, year) in the city's time zone, as UTC microseconds.

Labels: ``2024``, ``2024-Q2``, ``2024-05``, ``2024-05-17``. A period runs from local midnight of
its first day to local midnight after its last, so an annual figure for Shenzhen starts at
2023-12-31T16:00Z. Stores bucket instants into local days with integer arithmetic
(``day_key``): days are cut at the zone's standard offset, exact for zones without summer time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cityhub.errors import BadRequestData

GRAINS = ("day", "month", "quarter", "year")
DAY_US = 86_400_000_000
EPOCH = date(1970, 1, 1)
_LABEL = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class Period:
    label: str
    grain: str
    first: date  # first local day
    last: date  # last local day (inclusive)

    def bounds_us(self, zone: str) -> tuple[int, int]:
        return local_midnight_us(self.first, zone), local_midnight_us(
            self.last + timedelta(days=1), zone
        )

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def day_keys(self) -> tuple[int, int]:
        """[first, end) as day keys (days since 1970-01-01, local calendar)."""
        return (self.first - EPOCH).days, (self.last - EPOCH).days + 1


def local_midnight_us(day: date, zone: str) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


def standard_offset_us(zone: str) -> int:
    """The zone's UTC offset in January (its standard time in the north) in microseconds."""
    offset = datetime(2001, 1, 15, tzinfo=ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() * 1_000_000) if offset else 0


def parse_period(label: str) -> Period:
    match = _LABEL.match(label.strip()) if isinstance(label, str) else None
    if not match:
        raise BadRequestData(f"'{label}' is not a period: use 2024, 2024-Q2, 2024-05 or 2024-05-17")
    year = int(match.group(1))
    part, day = match.group(2), match.group(3)
    try:
        if part is None:
            return Period(f"{year}", "year", date(year, 1, 1), date(year, 12, 31))
        if part.startswith("Q"):
            quarter = int(part[1])
            first = date(year, 3 * quarter - 2, 1)
            return Period(f"{year}-{part}", "quarter", first, _month_end(year, 3 * quarter))
        month = int(part)
        if day is None:
            return Period(
                f"{year}-{month:02d}", "month", date(year, month, 1), _month_end(year, month)
            )
        when = date(year, month, int(day))
        return Period(when.isoformat(), "day", when, when)
    except ValueError as exc:
        raise BadRequestData(f"'{label}' is not a calendar period: {exc}") from exc


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_containing(day: date, grain: str) -> Period:
    if grain == "day":
        return parse_period(day.isoformat())
    if grain == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if grain == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if grain == "year":
        return parse_period(f"{day.year}")
    raise BadRequestData(f"unknown periodicity '{grain}': use one of {', '.join(GRAINS)}")


def periods_between(grain: str, first: date, last: date) -> list[Period]:
    """Every period of `grain` that overlaps [first, last] (local days), oldest first."""
    if first > last:
        return []
    out = [period_containing(first, grain)]
    while out[-1].last < last:
        out.append(period_containing(out[-1].last + timedelta(days=1), grain))
    return out


def local_day(us: int, zone: str) -> date:
    return datetime.fromtimestamp(us / 1_000_000, ZoneInfo(zone)).date()


def elapsed_share(period: Period, today: date) -> float:
    """Share of the period's days that have passed by the end of `today` (序时进度)."""
    if today < period.first:
        return 0.0
    if today >= period.last:
        return 1.0
    return ((today - period.first).days + 1) / period.days


def parse_time(text: str) -> tuple[str, date]:
    """A time cell of an uploaded series: a year, a quarter, a month, a date or a date-time.

    Returns the grain it names and its first local day.
    """
    value = str(text).strip()
    if re.fullmatch(r"\d{4}(\.0)?", value):
        value = value[:4]
    if re.fullmatch(r"\d{4}[/.]\d{1,2}", value):
        value = f"{value[:4]}-{int(value[5:]):02d}"
    value = value.replace("/", "-")
    stamp = re.match(r"^(\d{4}-\d{1,2}-\d{1,2})[T ]", value)
    if stamp:
        value = stamp.group(1)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        y, m, d = (int(x) for x in value.split("-"))
        value = f"{y}-{m:02d}-{d:02d}"
    period = parse_period(value)
    return period.grain, period.first
