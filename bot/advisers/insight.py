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
from dataclasses import dataclass
from datetime import datetime

from bot.advisers.charts import ChartLabels, burglary_chart
from bot.advisers.stats import Counts, _in, delivery_counts, subscribers
from bot.advisers.texts import scope_text
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


@dataclass(frozen=True)
class Feedback:
    """Usefulness votes and shares of one message (a broadcast's source and ref)."""

    source: str
    ref: str
    useful: int
    not_useful: int
    shares: int


# Where the votes and shares live, once the feature that records them is merged: the tables
# this module reads, each with columns broadcast_key and the counts below. Until they exist the
# insight page says the figures are not collected yet.
FEEDBACK_TABLES = ("feedback_votes", "feedback_shares")


async def feedback(
    db: Database, municipalities: Iterable[str], start: datetime, end: datetime
) -> list[Feedback] | None:
    """Votes and shares per message in the period, or None while the schema has no such tables
    (the one place to point at them)."""
    found = await db.fetchall(
        f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
        f"({','.join('?' * len(FEEDBACK_TABLES))})",
        FEEDBACK_TABLES,
    )
    if len(found) < len(FEEDBACK_TABLES):
        return None
    where, params = _in("b.municipality", municipalities)
    rows = await db.fetchall(
        f"""
        SELECT b.source, b.ref,
               COALESCE(SUM(v.useful), 0) AS useful, COALESCE(SUM(v.not_useful), 0) AS not_useful,
               COALESCE(SUM(s.shares), 0) AS shares
        FROM broadcasts b
        LEFT JOIN feedback_votes v ON v.broadcast_key = b.key
        LEFT JOIN feedback_shares s ON s.broadcast_key = b.key
        WHERE (b.municipality IS NULL OR {where}) AND b.due_at >= ? AND b.due_at < ?
        GROUP BY b.source, b.ref ORDER BY b.source, b.ref
        """,
        [*params, to_db_time(start), to_db_time(end)],
    )
    return [
        Feedback(r["source"], r["ref"], int(r["useful"]), int(r["not_useful"]), int(r["shares"]))
        for r in rows
        if r["useful"] or r["not_useful"] or r["shares"]
    ]


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
