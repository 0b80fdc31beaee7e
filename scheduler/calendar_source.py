"""The calendar as a source of broadcasts, and its resolution with local overrides.

A municipality may skip an entry (always or one occurrence) or replace its text; that is looked up
when the broadcast becomes due, so a change made after planning still counts. The text is then
made local, also at that moment: the variant for a municipality without free advice, and the
placeholders filled in from its name and burglary figures (escaped). A local entry that the
municipality has not written yet, or a text with anything left to fill in, is skipped with the
reason instead of sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from messages.loader import Calendar
from messages.placeholders import (
    FIGURE_PLACEHOLDERS,
    figure_values,
    placeholder_names,
    render,
    unfilled,
)
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


class FiguresPort(Protocol):
    async def per_year(self, municipalities: Iterable[str]) -> dict[int, int]: ...


@dataclass(frozen=True)
class Place:
    """What the texts may say about a municipality."""

    name: str
    free_advice: bool = True


@dataclass
class CalendarSource:
    calendar: Calendar
    resolver: MomentResolver
    municipalities: Sequence[tuple[str, str]]  # (slug, school region)
    overrides: OverridePort
    tz: ZoneInfo
    places: Mapping[str, Place] = field(default_factory=dict)  # by slug
    figures: FiguresPort | None = None

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
        if override is not None and override.action == "skip":
            return f"skipped by {municipality}"
        place = self.places.get(municipality, Place(municipality))
        texts = dict(entry.texts_for(place.free_advice))
        if override is not None and override.texts:
            texts.update(override.texts)
        elif entry.local:
            return f"local entry, not written yet by {municipality}"
        localised = await self._localise(texts, municipality, place)
        if isinstance(localised, str):
            return localised
        audience = Audience(
            municipalities=frozenset({municipality}),
            topic=entry.topic,
            kinds=KINDS[entry.audience],
        )
        return Content(texts=localised, image=entry.image), audience

    async def _localise(
        self, texts: dict[str, str], municipality: str, place: Place
    ) -> dict[str, str] | str:
        """The texts with their placeholders filled in for the municipality, or the reason
        why they cannot be sent."""
        for text in texts.values():
            if left := unfilled(text):
                return f"text for {municipality} still has {', '.join(left)} to fill in"
        names = set().union(*(placeholder_names(text) for text in texts.values()))
        needs_figures = bool(names & FIGURE_PLACEHOLDERS)
        per_year: dict[int, int] = {}
        if needs_figures and self.figures is not None:
            per_year = await self.figures.per_year([municipality])
        result: dict[str, str] = {}
        for locale, text in texts.items():
            values = {"municipality": place.name}
            if needs_figures:
                figures = figure_values(per_year, locale)
                if figures is None:
                    return f"no burglary figures of two years for {municipality}"
                values.update(figures)
            result[locale] = render(text, values)
        return result
