"""Quiet hours for private chats (21:00-08:00 by default), across midnight and DST."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from scheduler.quiet import quiet_release

TZ = ZoneInfo("Europe/Amsterdam")
START, END = time(21, 0), time(8, 0)


@pytest.mark.parametrize(
    ("local", "released"),
    [
        ("2027-01-12 19:00", None),
        ("2027-01-12 20:59", None),
        ("2027-01-12 21:00", "2027-01-13 08:00"),
        ("2027-01-12 23:30", "2027-01-13 08:00"),
        ("2027-01-13 02:00", "2027-01-13 08:00"),
        ("2027-01-13 07:59", "2027-01-13 08:00"),
        ("2027-01-13 08:00", None),
        # The night of the spring switch (28 March 2027): still 08:00 local, one hour less.
        ("2027-03-27 22:00", "2027-03-28 08:00"),
    ],
)
def test_release_time(local: str, released: str | None) -> None:
    moment = datetime.fromisoformat(local).replace(tzinfo=TZ)
    result = quiet_release(moment, START, END, TZ)
    if released is None:
        assert result is None
    else:
        assert result is not None
        assert result.astimezone(TZ).strftime("%Y-%m-%d %H:%M") == released


def test_window_within_a_day_and_empty_window() -> None:
    moment = datetime(2027, 5, 1, 13, 0, tzinfo=TZ)
    released = quiet_release(moment, time(12, 0), time(14, 0), TZ)
    assert released == datetime(2027, 5, 1, 14, 0, tzinfo=TZ)
    assert quiet_release(moment, time(9, 0), time(9, 0), TZ) is None
