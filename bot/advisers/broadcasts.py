"""Campaigns and alerts handed to the delivery engine: the only place they become broadcasts.

A campaign is a planned broadcast (key `campaign:<id>`) so that scheduling, rescheduling, quiet
hours for private chats and catch-up after a restart are the planner's, not ours. An alert goes
out at once (`engine.materialize`, not held by quiet hours) to the groups and private chats with
the alerts topic (on by default; a chat that switched it off gets none), as two broadcasts per
kind of chat so that each is counted apart; its follow-up the next day is planned like a
campaign.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Municipality
from bot.i18n import N_, Html
from bot.services import Services
from bot.storage.campaigns import Campaign
from scheduler.delivery import Audience, Content
from scheduler.occurrences import local_instant
from scheduler.planner import PlannedBroadcast
from scheduler.quiet import quiet_release

ALERT_TEMPLATE = N_(
    "⚠️ <b>Neighbourhood alert: {area}</b>\n"
    "{text}\n\n"
    "<b>What you can do (SAAR)</b>\n"
    "👀 <b>Notice</b>: something or someone suspicious? Note what, where and when.\n"
    "📞 <b>Alarm</b>: call 112 first.\n"
    "💬 <b>Share</b>: then tell your neighbours in the group, and say that 112 was called.\n"
    "🛡️ <b>Respond safely</b>: never confront anyone yourself."
)
FOLLOW_UP = N_(
    "Yesterday we sent an alert about burglaries in {area}. Would you like to know how to make "
    "your home harder to break into? Request free prevention advice with /advice."
)


async def schedule_campaign(services: Services, campaign: Campaign) -> bool:
    """Plan the campaign's broadcast with its current text and moment (again, after a new
    moment, text or approval, while it has not gone out); a moment already passed means now.
    False when it has gone out already."""
    now = services.now()
    due = max(campaign.due_at, now)
    planned = await services.outbox.set_planned(
        PlannedBroadcast(
            key=campaign.key,
            source="campaign",
            ref=str(campaign.id),
            municipality=None,
            due_at=due,
            audience=campaign.audience,
            content=campaign.content,
        )
    )
    if due <= now:
        await services.planner.run_due()
    await services.planner.schedule_wakeups()
    return planned


def alert_area(municipality: Municipality, neighbourhoods: list[str]) -> str:
    return (
        ", ".join(neighbourhoods) + f" ({municipality.name})"
        if neighbourhoods
        else municipality.name
    )


def alert_audiences(municipality: str, neighbourhoods: list[str]) -> dict[str, Audience]:
    """The subscribed groups and private chats in the area that have the alerts topic on."""
    hoods = frozenset(neighbourhoods) or None
    munis = frozenset({municipality})
    return {
        kind: Audience(munis, "alerts", frozenset({kind}), hoods) for kind in ("group", "private")
    }


def alert_content(services: Services, area: str, text_html: str) -> Content:
    """The adviser's own HTML inside the SAAR template, in every available language."""
    return Content(
        {
            locale: services.i18n.get(locale)(ALERT_TEMPLATE, area=area, text=Html(text_html))
            for locale in services.i18n.available
        }
    )


async def alert_audience_size(services: Services, municipality: str, hoods: list[str]) -> int:
    return sum(
        [
            await services.outbox.audience_size(a)
            for a in alert_audiences(municipality, hoods).values()
        ]
    )


async def send_alert(
    services: Services, author_id: int, municipality: Municipality, hoods: list[str], text_html: str
) -> tuple[int, int]:
    """Send now and plan the follow-up; returns (alert id, number of chats)."""
    now = services.now()
    alert_id = await services.alerts.create(author_id, municipality.slug, hoods, now, 0)
    area = alert_area(municipality, hoods)
    content = alert_content(services, area, text_html)
    audiences = alert_audiences(municipality.slug, hoods)
    total = 0
    for kind, audience in audiences.items():
        key = f"alert:{alert_id}:{kind}"
        total += await services.engine.materialize(
            key,
            await services.buttons.add("alert", key, str(alert_id), content),
            audience,
            now,
            None,
            source="alert",
            ref=str(alert_id),
        )
    await services.alerts.set_recipients(alert_id, total)
    if municipality.free_advice:
        tz = services.config.locale.tz
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        due = local_instant(tomorrow, services.config.alerts.follow_up_time, tz)
        follow_up = Content(
            {
                locale: services.i18n.get(locale)(FOLLOW_UP, area=area)
                for locale in services.i18n.available
            }
        )
        await services.outbox.plan(
            [
                PlannedBroadcast(
                    key=f"alert:{alert_id}:follow-up:{kind}",
                    source="alert-follow-up",
                    ref=str(alert_id),
                    municipality=municipality.slug,
                    due_at=due,
                    audience=audience,
                    content=follow_up,
                )
                for kind, audience in audiences.items()
            ]
        )
        await services.planner.schedule_wakeups()
    return alert_id, total


def is_night(services: Services, moment: datetime) -> bool:
    """Whether `moment` falls in the alert night window (needs a second confirmation)."""
    start, end = services.config.alerts.night
    return quiet_release(moment, start, end, services.config.locale.tz) is not None
