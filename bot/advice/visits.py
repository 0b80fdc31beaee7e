"""The visit itself, without Telegram: whether a moment fits the resident's preferred moments,
when the day-before reminder is due, the undo window of "done", and an example appointment
for the team's prompt that is always in the future."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

# The resident's preferred moments as local hours [from, to); "evening" overlaps "afternoon"
# by an hour, because 17:00-18:00 is both to most people. Saturday is the whole day.
MOMENT_HOURS: dict[str, tuple[int, int]] = {
    "morning": (0, 12),
    "afternoon": (12, 18),
    "evening": (17, 24),
}
SATURDAY = 5
# The reminder goes out the day before the appointment from this local time on (outside the
# private chats' quiet hours), or at once when the bot comes back later that day.
REMIND_AT = time(10, 0)
# No reminder any more this close to the appointment: it would only arrive on the doorstep.
REMIND_UNTIL_BEFORE = timedelta(hours=1)
# A team member can take back "done" this long; then the resident is told.
UNDO_WINDOW = timedelta(minutes=10)


def fits_moments(moments: tuple[str, ...], moment: datetime, tz: tzinfo) -> bool:
    """True when `moment` falls in one of the resident's preferred moments (or they chose
    none, which the request flow does not allow)."""
    if not moments:
        return True
    local = moment.astimezone(tz)
    if local.weekday() == SATURDAY:
        return "saturday" in moments
    if local.weekday() > SATURDAY:
        return False
    return any(
        low <= local.hour < high for key, (low, high) in MOMENT_HOURS.items() if key in moments
    )


def reminder_due_at(planned_for: datetime, tz: tzinfo) -> datetime:
    """The day before the appointment at REMIND_AT, local time."""
    day_before = planned_for.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(day_before, REMIND_AT, tzinfo=tz)


def reminder_due(planned_for: datetime, now: datetime, tz: tzinfo) -> bool:
    """Whether the day-before reminder should go now (from REMIND_AT the day before until an
    hour before the appointment)."""
    return reminder_due_at(planned_for, tz) <= now < planned_for - REMIND_UNTIL_BEFORE


def notice_is_reminder(planned_for: datetime, now: datetime, tz: tzinfo) -> bool:
    """An appointment planned for today or tomorrow needs no reminder: the resident was just
    told (with the same advice on recognising the adviser)."""
    return planned_for.astimezone(tz).date() <= now.astimezone(tz).date() + timedelta(days=1)


def example_appointment(now: datetime, tz: tzinfo) -> datetime:
    """A week from today at 19:30 local time, moved to a weekday: an example date the team's
    prompt can show and the parser accepts."""
    day = now.astimezone(tz).date() + timedelta(days=7)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, time(19, 30), tzinfo=tz)
