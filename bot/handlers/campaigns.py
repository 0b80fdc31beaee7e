"""Campaigns after the wizard (bot.handlers.campaign_wizard): /campaigns lists them with
buttons to cancel (asked once more: one tap must not stop a campaign), reschedule and approve;
other advisers and admins are asked to approve a new campaign when the configuration requires
it.

Every button carries only the campaign's id and is checked in this order: the presser's role
covers the campaign (bot.auth.guard), the press is on a /campaigns list or an approval request
the bot sent to this person in this chat (flow LIST_FLOW in bot/handlers/prompts.py), and the
campaign's state allows it. The reschedule dialog runs in the wizard's persistent conversation
"campaign" (state RESCHEDULE).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.advisers import campaigns
from bot.advisers.campaigns import (
    MOMENT_FORMAT,
    approvers,
    is_upcoming,
    release_text,
    status_text,
    upcoming,
)
from bot.advisers.moments import MomentProblem, parse_moment
from bot.advisers.stats import delivery_counts
from bot.advisers.texts import counts_text, scope_text, title_of
from bot.auth import Roles, guard, user_roles
from bot.handlers import conversation, prompts
from bot.handlers.conversation import END, send, spend
from bot.handlers.preview import send_as_recipients_see_it
from bot.i18n import Translator
from bot.services import BotApplication, BotContext
from bot.storage.campaigns import Campaign
from bot.teamwork import chat_translator
from bot.telegram_errors import tell

log = logging.getLogger(__name__)

PREFIX = "cmp"
# The wizard's prompts are flow PREFIX; lists and approval requests are bound apart, so that
# one does not make the other's buttons stale.
LIST_FLOW = "cmp-list"
RESCHEDULE_KEY = "campaign_reschedule"
RESCHEDULE = "reschedule"  # a state of the conversation "campaign"


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def moment_problem_text(_: Translator, problem: MomentProblem) -> str:
    return {
        "format": _("I don't understand that moment. Try e.g. 28-12-2026 19:00 or tomorrow 19:00."),
        "past": _("That moment has passed. Please choose one in the future."),
        "too_far": _("That is more than a year ahead. Please choose an earlier moment."),
    }[problem]


# --- approval --------------------------------------------------------------------------------


async def ask_approval(context: BotContext, campaign: Campaign) -> int:
    """Send the campaign and the question to everyone who may approve it; how many were asked
    (someone who never opened a chat with the bot cannot be messaged)."""
    services = context.services
    asked = 0
    for user_id in await approvers(services, campaign.author_id, campaign.audience.municipalities):
        chat = await services.chats.get(user_id)
        if chat is None:
            continue
        _ = services.i18n.get(chat.locale)
        if await send_as_recipients_see_it(
            context, user_id, campaign.content, [chat.locale], "campaign"
        ):
            continue
        due = campaign.due_at
        request = await tell(
            context.bot,
            user_id,
            _(
                "👆 Campaign #{id} for {audience} waits for your approval. {release}",
                id=campaign.id,
                audience=scope_text(_, services.config, campaign.audience.municipalities),
                release=_("It goes out as soon as it is approved.")
                if due <= services.now()
                else _("It goes out on {moment}.", moment=_.fmt_datetime(due, MOMENT_FORMAT)),
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(_("Approve"), f"ap:{campaign.id}"),
                        _button(_("Reject"), f"rj:{campaign.id}"),
                    ]
                ]
            ),
        )
        if request is None:
            continue
        prompts.bind(context, request, flow=LIST_FLOW, keep_previous=True, user_id=user_id)
        asked += 1
    return asked


# --- /campaigns ------------------------------------------------------------------------------


async def _campaigns_view(
    context: BotContext, _: Translator, roles: Roles, user_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    services = context.services
    campaigns = [
        c
        for c in await services.campaigns.recent(20)
        if roles.admin or c.audience.municipalities & roles.municipalities
    ]
    if not campaigns:
        return _("There are no campaigns yet. /campaign starts one."), None
    counts = await delivery_counts(
        services.db,
        services.now(),
        keys=[c.key for c in campaigns],
        municipalities=None if roles.admin else roles.municipalities,
    )
    lines, rows = [_("<b>Campaigns</b>")], []
    for c in campaigns:
        broadcast = await services.outbox.get_broadcast(c.key)
        status = status_text(_, c, broadcast, counts[c.key].counts if c.key in counts else None)
        lines.append(
            _(
                "#{id} <b>{title}</b> · {moment} · {audience} · <b>{status}</b>",
                id=c.id,
                title=title_of(c.content.text(_.locale)),
                moment=_.fmt_datetime(c.due_at, "d MMM y HH:mm"),
                audience=scope_text(_, services.config, c.audience.municipalities),
                status=status,
            )
        )
        if c.key in counts:
            lines.append("   " + counts_text(_, counts[c.key].counts))
        if upcoming(c, broadcast) and roles.covers(c.audience.municipalities):
            rows.append(
                [
                    _button(_("Cancel #{id}", id=c.id), f"x:{c.id}"),
                    _button(_("Reschedule #{id}", id=c.id), f"rs:{c.id}"),
                ]
            )
            second = [_button(_("Edit text #{id}", id=c.id), f"ed:{c.id}")]
            if c.state == "awaiting_approval" and c.author_id != user_id:
                second.append(_button(_("Approve #{id}", id=c.id), f"ap:{c.id}"))
            rows.append(second)
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def list_campaigns(update: Update, context: BotContext) -> None:
    roles = await guard(update, context, "campaigns")
    if not roles:
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    _ = await context.translator(update)
    text, markup = await _campaigns_view(context, _, roles, user.id)
    listing = await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    prompts.bind(context, listing, flow=LIST_FLOW, keep_previous=True)


async def campaign_for(update: Update, context: BotContext, action: str) -> Campaign | None:
    """The campaign of a button, when the presser's scope covers its whole audience and the
    press is on a list or approval request the bot sent them."""
    query = update.callback_query
    assert query is not None and query.data is not None
    ident = query.data.rsplit(":", 1)[1]
    campaign = await context.services.campaigns.get(int(ident)) if ident.isdigit() else None
    municipalities = campaign.audience.municipalities if campaign else ()
    if not await guard(
        update, context, f"campaign.{action}", municipalities=municipalities, target=ident
    ):
        return None
    if not await prompts.claim(update, context, LIST_FLOW):
        return None
    if campaign is None:
        _ = await context.translator(update)
        await query.answer(_("This campaign does not exist."), show_alert=True)
    return campaign


async def on_cancel_campaign(update: Update, context: BotContext) -> None:
    """ "Cancel #N" on the list: the list becomes the question whether to cancel it."""
    campaign = await campaign_for(update, context, "cancel")
    if campaign is None:
        return
    query = update.callback_query
    assert query is not None
    _ = await context.translator(update)
    services = context.services
    if not await is_upcoming(services, campaign):
        await _not_cancelled(update, context, _, campaign)
        return
    await query.edit_message_text(
        _(
            "Cancel campaign #{id} <b>{title}</b> ({moment}, {audience})? It will not go out.",
            id=campaign.id,
            title=title_of(campaign.content.text(_.locale)),
            moment=_.fmt_datetime(campaign.due_at, "d MMM y HH:mm"),
            audience=scope_text(_, services.config, campaign.audience.municipalities),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(
            [
                [_button(_("Yes, cancel #{id}", id=campaign.id), f"xy:{campaign.id}")],
                [_button(_("No, keep it"), f"xn:{campaign.id}")],
            ]
        ),
    )
    await query.answer()


async def on_cancel_confirmed(update: Update, context: BotContext) -> None:
    campaign = await campaign_for(update, context, "cancel")
    if campaign is None:
        return
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    _ = await context.translator(update)
    if not await campaigns.cancel(context.services, user.id, campaign):
        await _not_cancelled(update, context, _, campaign)
        return
    await _show_list(update, context, _)
    await query.answer(_("Campaign #{id} is cancelled.", id=campaign.id))


async def on_cancel_kept(update: Update, context: BotContext) -> None:
    """ "No, keep it": back to the list, nothing changed."""
    if await campaign_for(update, context, "cancel") is None:
        return
    query = update.callback_query
    assert query is not None
    _ = await context.translator(update)
    await _show_list(update, context, _)
    await query.answer()


async def _not_cancelled(
    update: Update, context: BotContext, _: Translator, campaign: Campaign
) -> None:
    """It can no longer be cancelled: said, and the list shown as it is now. Answered first:
    the list may already show this (an edit to the same view is a no-op). From an older list,
    another adviser (or a rejection) may have cancelled it meanwhile."""
    query = update.callback_query
    assert query is not None
    why = (
        _("Campaign #{id} was already cancelled.", id=campaign.id)
        if campaign.state == "cancelled"
        else _("Campaign #{id} has already gone out.", id=campaign.id)
    )
    await query.answer(why, show_alert=True)
    await _show_list(update, context, _)


async def _show_list(update: Update, context: BotContext, _: Translator) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    roles = await user_roles(context.services, user.id)
    text, markup = await _campaigns_view(context, _, roles, user.id)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_approve(update: Update, context: BotContext) -> None:
    """ap:<id> approves, rj:<id> rejects; never by the author, only while awaiting approval."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    approve = query.data.split(":")[1] == "ap"
    campaign = await campaign_for(update, context, "approve" if approve else "reject")
    if campaign is None:
        return
    _ = await context.translator(update)
    services = context.services
    decision = await campaigns.decide(services, user.id, campaign, approve=approve)
    if decision == "own":
        await query.answer(_("You cannot approve your own campaign."), show_alert=True)
        return
    if decision == "not_waiting":
        await query.answer(_("This campaign no longer waits for approval."), show_alert=True)
        return
    decided = await services.campaigns.get(campaign.id)
    assert decided is not None
    release = release_text(_, services, decided.due_at, decided.audience.kinds)
    outcome = (
        _("Campaign #{id} is approved. {release}", id=campaign.id, release=release)
        if approve
        else _("Campaign #{id} is rejected.", id=campaign.id)
    )
    # The request itself says what became of it (it said "waits for your approval").
    await query.edit_message_text(("✅ " if approve else "❌ ") + outcome)
    await query.answer(outcome)
    await tell_author(context, decided, approve)


async def tell_author(context: BotContext, campaign: Campaign, approved: bool) -> None:
    """The author hears the decision in their own language, and when an approved one goes out."""
    services = context.services
    _ = await chat_translator(services, campaign.author_id, None)
    text = (
        _(
            "Your campaign #{id} was approved. {release}",
            id=campaign.id,
            release=release_text(_, services, campaign.due_at, campaign.audience.kinds),
        )
        if approved
        else _("Your campaign #{id} was rejected.", id=campaign.id)
    )
    await tell(context.bot, campaign.author_id, text)


async def on_reschedule(update: Update, context: BotContext) -> str | int | None:
    """A refused press returns None: a wizard the adviser is in keeps its step."""
    campaign = await campaign_for(update, context, "reschedule")
    if campaign is None:
        return None
    if not await is_upcoming(context.services, campaign):
        _ = await context.translator(update)
        assert update.callback_query is not None
        await update.callback_query.answer(
            _("Campaign #{id} can no longer be rescheduled.", id=campaign.id), show_alert=True
        )
        return None
    assert context.user_data is not None
    context.user_data[RESCHEDULE_KEY] = campaign.id
    _ = await context.translator(update)
    await spend(update)
    await send(
        update,
        context,
        _(
            "New moment for campaign #{id}? Type e.g. <code>28-12-2026 19:00</code> or "
            "<code>tomorrow 19:00</code>, or /cancel.",
            id=campaign.id,
        ),
    )
    return RESCHEDULE


async def on_reschedule_text(update: Update, context: BotContext) -> str | int:
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.text is not None and user is not None
    assert context.user_data is not None
    services = context.services
    campaign = await services.campaigns.get(int(context.user_data.get(RESCHEDULE_KEY, 0)))
    municipalities = campaign.audience.municipalities if campaign else frozenset({"?"})
    if not await guard(update, context, "campaign.reschedule", municipalities=municipalities):
        return END
    assert campaign is not None
    _ = await context.translator(update)
    due = parse_moment(message.text, services.now(), services.config.locale.tz)
    if isinstance(due, str):
        await message.reply_text(moment_problem_text(_, due))
        return RESCHEDULE
    if not await campaigns.reschedule(services, user.id, campaign, due):
        await message.reply_text(_("Campaign #{id} can no longer be rescheduled.", id=campaign.id))
        return END
    context.user_data.pop(RESCHEDULE_KEY, None)
    await message.reply_text(
        _(
            "Campaign #{id} now goes out at {moment}.",
            id=campaign.id,
            moment=_.fmt_datetime(due, "d MMMM y HH:mm"),
        )
    )
    return END


def register(app: BotApplication) -> None:
    """After bot.handlers.campaign_wizard's conversation, which also handles the rs: button."""
    app.add_handler(CommandHandler(["campaigns", "campagnes"], list_campaigns))
    # Bound to the campaign row: each handler checks the role and the campaign's state.
    app.add_handler(conversation.press(PREFIX, on_cancel_campaign, r"x:\d+", bound=False))
    app.add_handler(conversation.press(PREFIX, on_cancel_confirmed, r"xy:\d+", bound=False))
    app.add_handler(conversation.press(PREFIX, on_cancel_kept, r"xn:\d+", bound=False))
    app.add_handler(conversation.press(PREFIX, on_approve, r"(ap|rj):\d+", bound=False))
