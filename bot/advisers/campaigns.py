"""What can happen to a campaign, for the chat (/campaign, /campaigns) and the dashboard alike:
who may approve it, whether it is still upcoming, its status, and the changes themselves
(create, cancel, approve or reject, reschedule, a new text), each with its audit row.

Telling people about a change (approval requests, "your campaign was approved") needs the bot
and stays with the callers (bot/handlers/campaigns.py); the role and scope checks are the
callers' too, made at the moment of the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from bot.advisers.broadcasts import schedule_campaign
from bot.advisers.stats import Counts
from bot.auth import user_roles
from bot.i18n import Translator
from bot.services import Services
from bot.storage.campaigns import Campaign
from scheduler.delivery import Audience, Content

MOMENT_FORMAT = "d MMMM y HH:mm"
Decision = Literal["done", "own", "not_waiting"]
NewText = Literal["saved", "approval", "gone"]
Broadcast = tuple[str, str | None] | None


async def approvers(services: Services, author_id: int, municipalities: Iterable[str]) -> list[int]:
    """Who may approve a campaign of `author_id` for `municipalities`: other advisers whose
    scope covers every one of them, and admins other than the author."""
    wanted = list(municipalities)
    candidates = set(services.config.admins.user_ids) | {
        g.user_id for g in await services.roles.all()
    }
    result = []
    for user_id in sorted(candidates - {author_id}):
        roles = await user_roles(services, user_id)
        if roles.covers(wanted):
            result.append(user_id)
    return result


def release_text(_: Translator, services: Services, due: datetime, kinds: Iterable[str]) -> str:
    """When a campaign reaches its recipients: at its moment (or now), and private chats only
    after the quiet hours, as the engine holds them."""
    now = services.now()
    start = max(due, now)
    held = services.config.quiet_release(start) if "private" in kinds else None
    moment = _.fmt_datetime(start, MOMENT_FORMAT)
    if held is None:
        return _("It goes out now.") if due <= now else _("It goes out on {moment}.", moment=moment)
    release = _.fmt_datetime(held, MOMENT_FORMAT)
    if "group" not in kinds:
        return _("Private chats get it on {release}, when the quiet hours end.", release=release)
    if due <= now:
        return _(
            "Groups get it now; private chats on {release}, when the quiet hours end.",
            release=release,
        )
    return _(
        "Groups get it on {moment}; private chats on {release}, when the quiet hours end.",
        moment=moment,
        release=release,
    )


def upcoming(campaign: Campaign, broadcast: Broadcast) -> bool:
    """Not gone out and not cancelled, given its broadcast row."""
    return campaign.state == "awaiting_approval" or (
        campaign.state == "scheduled" and (broadcast is None or broadcast[0] == "planned")
    )


async def is_upcoming(services: Services, campaign: Campaign) -> bool:
    """Not gone out and not cancelled: it may still be cancelled, moved or given a new text."""
    return upcoming(campaign, await services.outbox.get_broadcast(campaign.key))


def status_text(
    _: Translator, campaign: Campaign, broadcast: Broadcast, counts: Counts | None
) -> str:
    if campaign.state == "cancelled":
        return _("cancelled")
    if campaign.state == "awaiting_approval":
        return _("awaiting approval")
    state = broadcast[0] if broadcast else "planned"
    if state == "materialized" and counts is not None and counts.held + counts.pending:
        return _("being sent")  # e.g. private chats held until the quiet hours end
    if state == "materialized":
        return _("sent")
    if state == "skipped":
        return _("not sent")
    return _("scheduled")


async def create(
    services: Services, author_id: int, content: Content, audience: Audience, due: datetime
) -> Campaign:
    """Save a new campaign; it is planned at once unless four-eyes approval is required (the
    caller asks the approvers)."""
    approval = services.config.campaigns.require_approval
    campaign = await services.campaigns.create(
        author_id, content, audience, due, "awaiting_approval" if approval else "scheduled"
    )
    await services.audit.record(author_id, "campaign.create", str(campaign.id), now=services.now())
    if not approval:
        await schedule_campaign(services, campaign)
    return campaign


async def cancel(services: Services, user_id: int, campaign: Campaign) -> bool:
    """Cancel it while it has not gone out; False when it has."""
    stopped = campaign.state == "awaiting_approval" or (
        campaign.state == "scheduled"
        and await services.outbox.cancel_planned(campaign.key, f"cancelled by user {user_id}")
    )
    if stopped:
        await services.campaigns.set_state(campaign.id, "cancelled")
        await services.audit.record(
            user_id, "campaign.cancel", str(campaign.id), now=services.now()
        )
        await services.planner.schedule_wakeups()
    return stopped


async def decide(
    services: Services, user_id: int, campaign: Campaign, *, approve: bool
) -> Decision:
    """Approve (it is planned) or reject (cancelled) a campaign awaiting approval; never by its
    author."""
    if campaign.author_id == user_id:
        await services.audit.record(
            user_id,
            "campaign.approve",
            str(campaign.id),
            outcome="refused",
            detail="own campaign",
            now=services.now(),
        )
        return "own"
    if approve:
        done = await services.campaigns.approve(
            campaign.id, user_id, max(campaign.due_at, services.now())
        )
        if done:
            approved = await services.campaigns.get(campaign.id)
            assert approved is not None
            await schedule_campaign(services, approved)
    else:
        done = campaign.state == "awaiting_approval"
        if done:
            await services.campaigns.set_state(campaign.id, "cancelled")
    if not done:
        return "not_waiting"
    action = "campaign.approve" if approve else "campaign.reject"
    await services.audit.record(user_id, action, str(campaign.id), now=services.now())
    return "done"


async def reschedule(services: Services, user_id: int, campaign: Campaign, due: datetime) -> bool:
    """A new moment while it has not gone out; False when it has."""
    if not await is_upcoming(services, campaign):
        return False
    await services.campaigns.set_due(campaign.id, due)
    if campaign.state == "scheduled":
        updated = await services.campaigns.get(campaign.id)
        assert updated is not None
        await schedule_campaign(services, updated)
    await services.audit.record(
        user_id, "campaign.reschedule", str(campaign.id), now=services.now()
    )
    return True


async def new_text(
    services: Services, user_id: int, campaign: Campaign, content: Content
) -> NewText:
    """The new text replaces the old one while the campaign has not gone out; with four-eyes
    approval it waits for approval again ("approval": the caller asks the approvers), because
    what was approved was the old text."""
    if not await is_upcoming(services, campaign):
        return "gone"
    approval = services.config.campaigns.require_approval
    if campaign.state == "scheduled" and not approval:
        if not await services.outbox.replace_planned_content(campaign.key, content):
            return "gone"
    elif campaign.state == "scheduled":
        if not await services.outbox.cancel_planned(campaign.key, "new text: approval again"):
            return "gone"
        await services.campaigns.set_state(campaign.id, "awaiting_approval")
        await services.planner.schedule_wakeups()
    await services.campaigns.set_content(campaign.id, content)
    await services.audit.record(user_id, "campaign.edit", str(campaign.id), now=services.now())
    return "approval" if approval else "saved"
