"""Time helpers: store UTC, accept any offset, render in the city's zone when asked."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")


def now_iso() -> str:
    """Current UTC time in NGSI-LD's DateTime form (microseconds, trailing Z)."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_datetime(text: str, default_zone: str = "UTC") -> datetime:
    """Parse an ISO 8601 date-time; a value without offset is read in `default_zone`."""
    if not isinstance(text, str) or not _DATETIME.match(text):
        raise ValueError(f"'{text}' is not an ISO 8601 date-time")
    value = text.replace("Z", "+00:00")
    frac = re.search(r"\.(\d+)", value)
    if frac and len(frac.group(1)) > 6:  # Python keeps microseconds only
        value = value.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(default_zone))
        moment = moment.astimezone(UTC)
        moment.timestamp()  # some moments near the year bounds cannot be converted
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"'{text}' is not a date-time that can be stored: {exc}") from exc
    return moment


def normalise_datetime(text: str) -> str:
    """Any accepted date-time string, as stored: UTC with a trailing Z.

    A value already in UTC is kept exactly as written (clients compare what they sent); others
    are converted, keeping the precision they were given.
    """
    if text.endswith("Z"):
        parse_datetime(text)
        return text
    moment = parse_datetime(text)
    frac = re.search(r"\.(\d+)", text)
    digits = min(len(frac.group(1)), 6) if frac else 0
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        base += "." + f"{moment.microsecond:06d}"[:digits]
    return base + "Z"


def is_datetime(text: object) -> bool:
    """A well-formed ISO 8601 date-time of a real moment that can be stored."""
    if not isinstance(text, str) or not _DATETIME.match(text):
        return False
    try:
        parse_datetime(text)
    except ValueError:
        return False
    return True


def now_us() -> int:
    """Current time as microseconds since the epoch (UTC)."""
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def city_today(zone: str) -> date:
    """Today in the city's zone: a "day" is the city's day, whatever zone the server runs in."""
    return datetime.now(ZoneInfo(zone)).date()


def iso_local(at_us: int, zone: str) -> str:
    """Microseconds since the epoch as an ISO 8601 time with the city's offset (+08:00)."""
    moment = datetime.fromtimestamp(at_us / 1_000_000, UTC).astimezone(ZoneInfo(zone))
    return moment.isoformat(timespec="seconds")
