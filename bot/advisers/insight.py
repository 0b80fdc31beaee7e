"""Figures over time for the dashboard's insight page (and the /figures chart): subscribers per
municipality month by month, deliveries and failures per month, usefulness votes and shares per
message where the schema has them, and the burglary chart.

Subscribers in the past are today's count minus the net subscription events since then
(`subscription_events`, anonymous), so the history needs no snapshots and survives /forgetme.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from datetime import datetime

from bot.advisers.charts import ChartLabels, burglary_chart
from bot.advisers.stats import Counts, _in, delivery_counts, subscribers
from bot.advisers.texts import scope_text, title_of
from bot.i18n import Translator
from bot.services import Services
from bot.storage.database import Database, to_db_time


async def subscriber_history(
    db: Database, municipalities: Iterable[str], moments: list[datetime]
) -> dict[str, list[int]]:
    """Per municipality: the subscribed chats at each of `moments` (oldest first)."""
    slugs = sorted(municipalities)
    now = {slug: s.total for slug, s in (await subscribers(db, slugs, moments[0])).items()}
    where, params = _in("municipality", slugs)
    history: dict[str, list[int]] = {slug: [] for slug in slugs}
    for moment in moments:
        rows = await db.fetchall(
            f"SELECT municipality, SUM(delta) AS change FROM subscription_events "
            f"WHERE at >= ? AND {where} GROUP BY municipality",
            [to_db_time(moment), *params],
        )
        later = {r["municipality"]: int(r["change"]) for r in rows}
        for slug in slugs:
            history[slug].append(max(0, now[slug] - later.get(slug, 0)))
    return history


async def monthly_deliveries(
    db: Database, now: datetime, municipalities: Iterable[str], bounds: list[datetime]
) -> list[Counts]:
    """Deliveries to chats in `municipalities` of broadcasts due in each [bounds[i],
    bounds[i+1])."""
    slugs = sorted(municipalities)
    months = []
    for start, end in itertools.pairwise(bounds):
        total = Counts()
        for item in (
            await delivery_counts(db, now, municipalities=slugs, start=start, end=end)
        ).values():
            total.add(item.counts)
        months.append(total)
    return months


async def message_label(services: Services, _: Translator, source: str, ref: str) -> str:
    """What a reader calls a broadcast: a campaign or a calendar message by its title."""
    if source == "campaign":
        campaign = await services.campaigns.get(int(ref)) if ref.isdigit() else None
        title = title_of(campaign.content.text(_.locale)) if campaign else "?"
        return _("Campaign #{id}: {title}", id=ref, title=title)
    if source == "alert":
        return _("Alert #{id}", id=ref)
    if source == "alert-follow-up":
        return _("Follow-up of alert #{id}", id=ref)
    try:
        return title_of(services.calendar.get(ref).text(_.locale))
    except KeyError:  # an entry removed from the calendar since
        return ref


async def figures_chart(services: Services, _: Translator, scope: set[str]) -> tuple[bytes, str]:
    """The /figures chart of `scope` (PNG) and its title: burglaries per year, subscribers now."""
    per_year = await services.figures.per_year(scope)
    counts = (await subscribers(services.db, scope, services.now())).values()
    title = scope_text(_, services.config, scope)
    if len(scope) == len(services.config.municipalities):
        title = "Twente"
    labels = ChartLabels(
        title=title,
        burglaries=_("Home burglaries per year"),
        subscribers=_("Subscribers now"),
        private=_("private"),
        groups=_("groups"),
    )
    png = await asyncio.to_thread(
        burglary_chart,
        labels,
        per_year,
        sum(c.private for c in counts),
        sum(c.groups for c in counts),
    )
    return png, title
