"""The calendar as a source of broadcasts, and its resolution with local overrides.

A municipality may skip an entry (always or one occurrence) or replace its text; that is looked up
when the broadcast becomes due, so a change made after planning still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from messages.loader import Calendar
from scheduler.delivery import Audience, Content
from scheduler.moments import MomentResolver
from scheduler.occurrences import occurrences_for_municipalities
from scheduler.planner import PlannedBroadcast

KINDS = {
    "private": frozenset({"private"}),
    "groups": frozenset({"group"}),
    "both": frozenset({"private", "group"}),
}


class OverrideLike(Protocol):
    @property
    def action(self) -> Literal["skip", "replace"]: ...

    @property
    def texts(self) -> dict[str, str] | None: ...


class OverridePort(Protocol):
    async def override_for(
        self, municipality: str, entry_id: str, local_date: str
    ) -> OverrideLike | None: ...


@dataclass
class CalendarSource:
    calendar: Calendar
    resolver: MomentResolver
    municipalities: Sequence[tuple[str, str]]  # (slug, school region)
    overrides: OverridePort
    tz: ZoneInfo

    def broadcasts(self, start: date, end: date) -> list[PlannedBroadcast]:
        return [
            PlannedBroadcast(
                key=occ.key,
                source="calendar",
                ref=occ.entry_id,
                municipality=occ.municipality,
                due_at=occ.at,
            )
            for occ in occurrences_for_municipalities(
                self.calendar, start, end, self.municipalities, self.resolver
            )
        ]

    async def resolve(self, broadcast: PlannedBroadcast) -> tuple[Content, Audience] | str:
        try:
            entry = self.calendar.get(broadcast.ref)
        except KeyError:
            return f"entry {broadcast.ref} is no longer in the calendar"
        municipality = broadcast.municipality or ""
        local_date = broadcast.due_at.astimezone(self.tz).date().isoformat()
        override = await self.overrides.override_for(municipality, entry.id, local_date)
        texts = dict(entry.texts)
        if override is not None and override.action == "skip":
            return f"skipped by {municipality}"
        if override is not None and override.texts:
            texts.update(override.texts)
        audience = Audience(
            municipalities=frozenset({municipality}),
            topic=entry.topic,
            kinds=KINDS[entry.audience],
        )
        return Content(texts=texts, image=entry.image), audience
