"""Quiet hours for private chats: a message due in them waits until they end."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.occurrences import local_instant


def quiet_release(moment: datetime, start: time, end: time, tz: ZoneInfo) -> datetime | None:
    """When quiet hours that contain `moment` end, or None when `moment` is outside them.

    A window with start > end runs over midnight (21:00-08:00); start == end means none.
    """
    local = moment.astimezone(tz)
    t = local.time()
    if start == end:
        return None
    inside = (t >= start or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return local_instant(day, end, tz)
