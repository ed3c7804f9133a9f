"""Times: any offset accepted, stored as UTC; Asia/Shanghai input becomes UTC."""

from __future__ import annotations

import pytest

from cityhub.timeutil import normalise_datetime, parse_datetime


def test_shanghai_time_is_stored_as_utc() -> None:
    assert normalise_datetime("2026-11-24T08:00:00+08:00") == "2026-11-24T00:00:00Z"
    assert normalise_datetime("2026-11-24T08:00:00.250+08:00") == "2026-11-24T00:00:00.250Z"


def test_utc_input_is_kept_as_written() -> None:
    assert normalise_datetime("2026-11-24T08:00:00.1Z") == "2026-11-24T08:00:00.1Z"


def test_naive_time_is_read_in_the_given_zone() -> None:
    assert parse_datetime("2026-01-01T08:00", "Asia/Shanghai").hour == 0


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-24 08:00", ""])
def test_invalid_times_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_datetime(bad)
