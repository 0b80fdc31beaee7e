"""The year calendar: twelve months of calendar messages, campaigns and alerts for one or more
municipalities, with the school holidays and the dark days behind them; and one calendar
message on one day with its text per language as recipients get it, its audience, and skip /
replace / restore (bot/advisers/tailoring.py, the same functions and audit rows as /calendar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from aiohttp import web

from bot.advisers import tailoring
from bot.advisers.agenda import Item, item_title, topic_label
from bot.advisers.texts import scope_text, text_refusals
from bot.config import Municipality
from bot.dashboard import access
from bot.dashboard.server import SERVER, DashboardServer
from bot.delivery import academic_overrides
from bot.i18n import Translator
from bot.services import Services
from messages.placeholders import unfilled
from messages.validation import MAX_TEXT_LENGTH
from scheduler.calendar_source import KINDS
from scheduler.delivery import Audience, Content
from scheduler.moments import MomentResolver
from scheduler.occurrences import Occurrence, occurrences_for_municipalities
from scheduler.planner import PlannedBroadcast

YEARS_BACK, YEARS_AHEAD = 1, 2
ACTIONS = ("skip_once", "skip_always", "restore", "replace")


def routes(prefix: str) -> list[web.RouteDef]:
    return [
        web.get(prefix + "/calendar", year_page),
        web.get(prefix + "/calendar/entry", entry_page),
        web.post(prefix + "/calendar/entry", entry_action),
    ]


@dataclass
class ItemView:
    kind: str
    title: str
    topic: str
    time: str
    href: str | None
    state: str | None
    where: str


@dataclass
class DayView:
    day: date
    in_month: bool
    bands: list[str] = field(default_factory=list)
    items: list[ItemView] = field(default_factory=list)


@dataclass
class MonthView:
    first: date
    weeks: list[list[DayView]]

    @property
    def days_with_items(self) -> list[DayView]:
        return [d for week in self.weeks for d in week if d.in_month and d.items]


def _today(services: Services) -> date:
    return services.now().astimezone(services.config.locale.tz).date()


def _chosen(services: Services, who: access.Visitor, wanted: list[str]) -> list[str]:
    """The municipalities asked for, or by default all of the visitor's."""
    if wanted:
        return sorted(set(wanted))
    return sorted(who.scope)


def _bands(services: Services, slugs: list[str], year: int) -> dict[date, list[str]]:
    """Background bands per day: school holidays of the municipalities' regions, dark days."""
    resolver = MomentResolver(services.config.locale.tz, academic_overrides(services.config))
    regions = {m.school_region for m in services.config.municipalities if m.slug in set(slugs)}
    bands: dict[date, list[str]] = {}
    for region in sorted(regions):
        for _name, start, end in resolver.school_holidays(region, year):
            day = start
            while day <= end:
                if day.year == year and "holiday" not in bands.setdefault(day, []):
                    bands[day].append("holiday")
                day += timedelta(days=1)
    winter_starts = resolver.resolve("winter_time_start", year, "noord")
    winter_ends = resolver.resolve("winter_time_end", year, "noord")
    day = date(year, 1, 1)
    while day.year == year:
        dark = (winter_ends and day < winter_ends[0]) or (winter_starts and day >= winter_starts[0])
        if dark:
            bands.setdefault(day, []).append("dark")
        day += timedelta(days=1)
    return bands


def _month(first: date, bands: dict[date, list[str]]) -> MonthView:
    start = first - timedelta(days=first.weekday())
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    weeks: list[list[DayView]] = []
    day = start
    while day < next_month:
        weeks.append(
            [
                DayView(d, d.month == first.month, bands.get(d, []))
                for d in (day + timedelta(days=i) for i in range(7))
            ]
        )
        day += timedelta(days=7)
    return MonthView(first, weeks)


Overrides = dict[str, dict[tuple[str, str], str]]


async def _view(
    server: DashboardServer, _: Translator, item: Item, slugs: list[str], states: Overrides
) -> ItemView:
    services = server.services
    tz = services.config.locale.tz
    day = item.at.astimezone(tz).date()
    inside = [s for s in slugs if s in item.municipalities]
    href = None
    state = None
    if item.kind == "calendar":
        slug = inside[0]
        href = server.url(f"/calendar/entry?m={slug}&entry={item.ref}&date={day.isoformat()}")
        local = services.calendar.get(item.ref).local
        found = {tailoring.occurrence_state(states[s], item.ref, day, local=local) for s in inside}
        state = next((s for s in ("skip", "replace", "write") if s in found), None)
    elif item.kind == "campaign":
        href = server.url(f"/campaigns/{item.ref}")
    return ItemView(
        kind=item.kind,
        title=(item_title(_, item)),
        topic=item.topic or "all",
        time=_.fmt_datetime(item.at, "HH:mm"),
        href=href,
        state=state,
        where=scope_text(_, services.config, inside) if len(slugs) > 1 else "",
    )


async def year_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.calendar")
    slugs = _chosen(services, who, request.query.getall("m", []))
    await access.require(services, request, who, "dashboard.calendar", slugs)
    _ = who.translator
    this_year = _today(services).year
    try:
        year = int(request.query.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, this_year - YEARS_BACK), this_year + YEARS_AHEAD)
    items = await tailoring.agenda(services, slugs, date(year, 1, 1), date(year, 12, 31), _.locale)
    states = {slug: await tailoring.overrides_of(services, slug) for slug in slugs}
    bands = _bands(services, slugs, year)
    months = [_month(date(year, m, 1), bands) for m in range(1, 13)]
    by_day = {(d.day): d for month in months for week in month.weeks for d in week if d.in_month}
    for item in items:
        day = item.at.astimezone(services.config.locale.tz).date()
        if day in by_day:
            by_day[day].items.append(await _view(server, _, item, slugs, states))
    scope = [m for m in services.config.municipalities if m.slug in who.scope]
    return server.render(
        _,
        "calendar.html",
        who=who,
        months=months,
        year=year,
        years=list(range(this_year - YEARS_BACK, this_year + YEARS_AHEAD + 1)),
        chosen=slugs,
        scope=scope,
        title=scope_text(_, services.config, slugs),
        topics=[(key, topic_label(_, key)) for key in (*TOPIC_KEYS, "all")],
        today=_today(services),
    )


TOPIC_KEYS = ("burglary", "holidays", "students", "valuables", "alerts")


@dataclass(frozen=True)
class Occasion:
    """One calendar message on one day in one municipality, as the page shows it."""

    municipality: Municipality
    occurrence: Occurrence


async def _occasion(request: web.Request, who: access.Visitor, action: str) -> Occasion:
    """The municipality (in scope), entry and date of the request, or 404."""
    server = request.app[SERVER]
    services = server.services
    source = who.form if request.method == "POST" else None
    get = source.get if source is not None else (lambda k: request.query.get(k, ""))
    slug, entry_id, day_text = get("m"), get("entry"), get("date")
    await access.require(
        services, request, who, action, [slug] if slug else ["?"], f"{slug}:{entry_id}:{day_text}"
    )
    municipality = services.config.municipality(slug)
    try:
        day = date.fromisoformat(day_text)
        services.calendar.get(entry_id)
    except (ValueError, KeyError):
        raise web.HTTPNotFound() from None
    assert municipality is not None
    resolver = MomentResolver(services.config.locale.tz, academic_overrides(services.config))
    found = [
        occ
        for occ in occurrences_for_municipalities(
            services.calendar,
            day,
            day,
            [(municipality.slug, municipality.school_region)],
            resolver,
        )
        if occ.entry_id == entry_id
    ]
    if not found:
        raise web.HTTPNotFound()
    return Occasion(municipality, found[0])


async def _as_sent(services: Services, occasion: Occasion) -> tuple[Content, Audience, str]:
    """What recipients get (the planner's own resolution: overrides, local variants and
    placeholders), its audience, and why it would not go out ('' when it would)."""
    occ, municipality = occasion.occurrence, occasion.municipality
    entry = services.calendar.get(occ.entry_id)
    audience = Audience(frozenset({municipality.slug}), entry.topic, KINDS[entry.audience])
    resolve = (services.planner.resolvers or {})["calendar"]
    resolved = await resolve(
        PlannedBroadcast(occ.key, "calendar", occ.entry_id, municipality.slug, occ.at)
    )
    if isinstance(resolved, str):
        override = await services.outbox.override_for(
            municipality.slug, occ.entry_id, occ.local_date.isoformat()
        )
        texts = (
            override.texts
            if override and override.texts
            else entry.texts_for(municipality.free_advice)
        )
        return Content(dict(texts), entry.image), audience, resolved
    return resolved[0], resolved[1], ""


async def entry_page(request: web.Request) -> web.Response:
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.calendar")
    occasion = await _occasion(request, who, "dashboard.calendar")
    return await _entry_view(server, who, occasion, [], request.query.get("done", ""))


async def _entry_view(
    server: DashboardServer,
    who: access.Visitor,
    occasion: Occasion,
    problems: list[str],
    done: str,
    typed: dict[str, str] | None = None,
) -> web.Response:
    services = server.services
    _ = who.translator
    occ, municipality = occasion.occurrence, occasion.municipality
    entry = services.calendar.get(occ.entry_id)
    content, audience, reason = await _as_sent(services, occasion)
    override = await services.outbox.override_for(
        municipality.slug, occ.entry_id, occ.local_date.isoformat()
    )
    locales = services.i18n.available
    return server.render(
        _,
        "entry.html",
        status=422 if problems else 200,
        who=who,
        entry=entry,
        title=(
            item_title(
                _,
                Item("calendar", occ.at, entry.id, frozenset(), entry.topic, entry.text(_.locale)),
            )
        ),
        municipality=municipality,
        at=occ.at,
        day=occ.local_date,
        versions=[(locale, content.text(locale)) for locale in locales],
        image=bool(content.image),
        audience=await services.outbox.audience_size(audience),
        topic=topic_label(_, entry.topic),
        reason=reason,
        override=override,
        local=entry.local,
        upcoming=occ.at > services.now(),
        problems=problems,
        done=done,
        typed=typed
        or {
            locale: (override.texts or {}).get(locale, "")
            if override and override.action == "replace"
            else ""
            for locale in locales
        },
    )


async def entry_action(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, "dashboard.calendar")
    action = who.form.get("action")
    names = {"skip_once": "calendar.skip", "skip_always": "calendar.skip"}
    occasion = await _occasion(request, who, names.get(action, f"calendar.{action or '?'}"))
    occ, slug = occasion.occurrence, occasion.municipality.slug
    if action not in ACTIONS or occ.at <= services.now():
        raise web.HTTPBadRequest()
    if action in ("skip_once", "skip_always"):
        await tailoring.skip(
            services,
            who.user_id,
            slug,
            occ.entry_id,
            occ.local_date,
            always=action == "skip_always",
        )
    elif action == "restore":
        await tailoring.restore(services, who.user_id, slug, occ.entry_id, occ.local_date)
    else:
        typed = {
            locale: who.form.get(f"text_{locale}").strip() for locale in services.i18n.available
        }
        problems = _text_problems(who.translator, typed)
        if problems:
            return await _entry_view(server, who, occasion, problems, "", typed)
        await tailoring.replace(services, who.user_id, slug, occ.entry_id, typed)
    raise web.HTTPSeeOther(
        server.url(
            f"/calendar/entry?m={slug}&entry={occ.entry_id}&date={occ.local_date.isoformat()}"
            f"&done={action}"
        )
    )


def _text_problems(_: Translator, texts: dict[str, str]) -> list[str]:
    """Why a replacement text cannot be stored, per language (the chat's checks)."""
    problems = []
    for locale, text in texts.items():
        language = _.language_name(locale)
        for problem in text_refusals(_, text, MAX_TEXT_LENGTH):
            problems.append(_("{language}: {problem}", language=language, problem=problem))
        if left := unfilled(text):
            problems.append(
                _(
                    "{language}: please fill in or remove {parts} first",
                    language=language,
                    parts=", ".join(left),
                )
            )
    return problems
