"""Insight: subscribers per municipality over the last twelve months, deliveries and failures per
month, usefulness votes and shares per message (once the schema has them), the advice funnel,
and the burglary figures beside the subscribers. Charts are drawn on the server with matplotlib
(bot/advisers/charts.py); every chart's numbers are also on the page as a table.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web

from bot.advisers.charts import line_chart, stacked_bars
from bot.advisers.insight import (
    figures_chart,
    message_label,
    monthly_deliveries,
    subscriber_history,
)
from bot.advisers.stats import Counts, advice_summary, feedback_counts
from bot.advisers.texts import duration_text, scope_text
from bot.dashboard import access
from bot.dashboard.server import SERVER
from bot.i18n import Translator
from bot.services import Services

MONTHS = 12
MAX_LINES = 7  # more municipalities than this: one line for them together


def routes(prefix: str) -> list[web.RouteDef]:
    return [
        web.get(prefix + "/insight", insight_page),
        web.get(prefix + "/insight/subscribers.svg", subscribers_chart),
        web.get(prefix + "/insight/deliveries.svg", deliveries_chart),
        web.get(prefix + "/insight/figures.png", burglaries_chart),
    ]


@dataclass(frozen=True)
class Period:
    """The last twelve months: where each starts (local midnight) and, last, now."""

    bounds: list[datetime]
    labels: list[str]


def _period(services: Services, _: Translator) -> Period:
    tz = services.config.locale.tz
    now = services.now()
    today = now.astimezone(tz).date()
    index = today.year * 12 + today.month - 1
    firsts = [date((index - i) // 12, (index - i) % 12 + 1, 1) for i in range(MONTHS - 1, -1, -1)]
    bounds = [datetime.combine(d, datetime.min.time(), tzinfo=tz) for d in firsts]
    return Period([*bounds, now + timedelta(seconds=1)], [_.fmt_date(d, "MMM yy") for d in firsts])


async def _scope(request: web.Request, action: str) -> tuple[access.Visitor, list[str]]:
    server = request.app[SERVER]
    services = server.services
    who = await access.visitor(services, request, action)
    slugs = sorted(set(request.query.getall("m", []))) or sorted(who.scope)
    await access.require(services, request, who, action, slugs)
    return who, slugs


async def _subscriber_series(
    services: Services, _: Translator, slugs: list[str], period: Period
) -> dict[str, list[int]]:
    names = {m.slug: m.name for m in services.config.municipalities}
    history = await subscriber_history(services.db, slugs, period.bounds[1:])
    if len(slugs) > MAX_LINES:
        together = [sum(values) for values in zip(*history.values(), strict=True)]
        return {_("Together"): together}
    return {names[slug]: values for slug, values in history.items()}


async def insight_page(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER]
    services = server.services
    who, slugs = await _scope(request, "dashboard.insight")
    _ = who.translator
    period = _period(services, _)
    names = {m.slug: m.name for m in services.config.municipalities}
    history = await subscriber_history(services.db, slugs, period.bounds[1:])
    deliveries = await monthly_deliveries(services.db, services.now(), slugs, period.bounds)
    # Up to and including this second: rows keep whole seconds.
    year_start, end = period.bounds[0], period.bounds[-1]
    advice = await advice_summary(services.db, slugs, year_start, end)
    found = await feedback_counts(services.db, slugs, start=year_start, end=end)
    votes = [
        (await message_label(services, _, source, ref), counts)
        for (source, ref), counts in sorted(found.items())
    ]
    figures = await services.figures.per_year(set(slugs))
    query = "&".join(f"m={slug}" for slug in slugs)
    return server.render(
        _,
        "insight.html",
        who=who,
        title=scope_text(_, services.config, slugs),
        chosen=slugs,
        scope=[m for m in services.config.municipalities if m.slug in who.scope],
        labels=period.labels,
        history=[(names[slug], values) for slug, values in history.items()],
        deliveries=list(zip(period.labels, deliveries, strict=True)),
        totals=_total(deliveries),
        advice=advice,
        requests=advice.open + advice.claimed + advice.done,
        to_claim=duration_text(_, advice.median_days_to_claim),
        to_close=duration_text(_, advice.median_days_to_close),
        votes=votes,
        figures=sorted(figures.items()),
        query=query,
    )


def _total(months: list[Counts]) -> Counts:
    total = Counts()
    for month in months:
        total.add(month)
    return total


def _svg(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="image/svg+xml")


async def subscribers_chart(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVER].services
    who, slugs = await _scope(request, "dashboard.insight")
    _ = who.translator
    period = _period(services, _)
    series = await _subscriber_series(services, _, slugs, period)
    return _svg(await asyncio.to_thread(line_chart, _("Subscribed chats"), period.labels, series))


async def deliveries_chart(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVER].services
    who, slugs = await _scope(request, "dashboard.insight")
    _ = who.translator
    period = _period(services, _)
    months = await monthly_deliveries(services.db, services.now(), slugs, period.bounds)
    return _svg(
        await asyncio.to_thread(
            stacked_bars,
            _("Deliveries per month"),
            period.labels,
            [m.sent for m in months],
            [m.failed for m in months],
            (_("sent"), _("failed")),
        )
    )


async def burglaries_chart(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVER].services
    who, slugs = await _scope(request, "dashboard.insight")
    png, _title = await figures_chart(services, who.translator, set(slugs))
    return web.Response(body=png, content_type="image/png")
