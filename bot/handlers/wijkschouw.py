"""The wijkschouw in a neighbourhood group: /wijkschouw (/inspection) starts one, the
invitation's buttons let members join and the organiser close it.

Who may start one: a group administrator (asked of Telegram live), an adviser of the group's
municipality, or a member of that municipality's prevention team (live getChatMember in the
team's group). The municipality and neighbourhood come from the group's subscription; the date,
time and meeting point follow the command or come as a reply to the bot's question.

"I'm joining" is for anyone in the group: its authority is the row (this walk, on its own
invitation message, still open) and a live membership check, not a prompt. "Close" asks the
presser to confirm on a message bound to them (bot/handlers/prompts.py).
"""

from __future__ import annotations

import logging

from telegram import Chat as TgChat
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advice.validation import APPOINTMENT_PROBLEMS, AppointmentError
from bot.auth import is_chat_member, may_manage_chat, user_roles
from bot.handlers import conversation, replies
from bot.i18n import Translator
from bot.inspection_reports import (
    CLOSE_PREFIX,
    JOIN_PREFIX,
    finish,
    post_invitation,
    refresh_invitation,
)
from bot.services import BotApplication, BotContext
from bot.storage.chats import Chat
from bot.storage.inspections import Inspection, NewInspection
from bot.wijkschouw.model import parse_plan

log = logging.getLogger(__name__)

CONFIRM_PREFIX = "wsx"
PLAN_PROMPT = "wijkschouw-plan"


async def may_organise(update: Update, context: BotContext, municipality: str) -> bool:
    """A group administrator, an adviser of `municipality` (or an admin), or a member of its
    prevention team; every part asked at this moment."""
    user = update.effective_user
    if user is None:
        return False
    if await may_manage_chat(update, context):
        return True
    if (await user_roles(context.services, user.id)).covers([municipality]):
        return True
    team = await context.services.teams.team_of(municipality)
    return team is not None and await is_chat_member(context, team, user.id)


async def _refuse(update: Update, context: BotContext, action: str, text: str) -> None:
    """Tell the presser or sender why not, and audit-log it (ids only)."""
    user, chat = update.effective_user, update.effective_chat
    log.warning("refused %s user_id=%s", action, user.id if user else None)
    await context.services.audit.record(
        user.id if user else None,
        action,
        str(chat.id) if chat else "",
        outcome="refused",
        now=context.services.now(),
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def _plan_question(_: Translator, update: Update, error: str = "") -> str:
    assert update.effective_user is not None
    question = _(
        "{member}, reply to this message with the date, the time and the meeting point of the "
        "wijkschouw, for example: 14-11-2026 19:00 playground Kerkstraat",
        member=replies.mention(update.effective_user),
    )
    return f"{error}\n{question}" if error else question


async def _subscribed_group(update: Update, context: BotContext, _: Translator) -> Chat | None:
    """The group's subscription (the walk's municipality and neighbourhood), or a reply why
    there is none."""
    assert update.effective_chat is not None and update.effective_message is not None
    group = await context.services.chats.get(update.effective_chat.id)
    if group is None or not group.subscribed or group.municipality is None:
        await update.effective_message.reply_text(
            _(
                "First subscribe this group with /subscribe: the wijkschouw takes the "
                "municipality and neighbourhood from the group's settings."
            )
        )
        return None
    return group


async def _organiser_group(update: Update, context: BotContext, _: Translator) -> Chat | None:
    """The subscribed group, if the sender may organise a wijkschouw in it now."""
    group = await _subscribed_group(update, context, _)
    if group is None:
        return None
    assert group.municipality is not None
    if not await may_organise(update, context, group.municipality):
        await _refuse(
            update,
            context,
            "wijkschouw.start",
            _(
                "Only the group's administrators, the municipality's advisers and its "
                "prevention team can start a wijkschouw."
            ),
        )
        return None
    return group


async def inspection_command(update: Update, context: BotContext) -> None:
    """/wijkschouw or /inspection [date time meeting point] in a neighbourhood group."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    assert chat is not None and message is not None and user is not None
    _ = await context.translator(update)
    if chat.type == TgChat.PRIVATE:
        await message.reply_text(
            _("A wijkschouw is organised in the neighbourhood group: send /wijkschouw there.")
        )
        return
    group = await _organiser_group(update, context, _)
    if group is None:
        return
    if await context.services.inspections.open_in(chat.id) is not None:
        await message.reply_text(
            _("This group already has a wijkschouw open. Close it first with its button.")
        )
        return
    text = " ".join(context.args or [])
    if not text:
        await replies.ask(context, chat.id, user, _plan_question(_, update), PLAN_PROMPT)
        return
    await _create(update, context, group, text)


async def plan_reply(update: Update, context: BotContext) -> None:
    """The organiser's reply with the date, time and meeting point."""
    if replies.take(update, context) is None:
        return
    _ = await context.translator(update)
    group = await _organiser_group(update, context, _)
    if group is None:
        return
    assert update.effective_message is not None
    await _create(update, context, group, update.effective_message.text or "")


async def _create(update: Update, context: BotContext, group: Chat, text: str) -> None:
    user = update.effective_user
    assert user is not None and group.municipality is not None
    services = context.services
    _ = await context.translator(update)
    try:
        plan = parse_plan(text, services.now(), services.config.locale.tz)
    except AppointmentError as exc:
        error = (
            _("Please add a short meeting point (at most 100 characters).")
            if exc.reason == "meeting_point"
            else _(APPOINTMENT_PROBLEMS[exc.reason])
        )
        await replies.ask(
            context, group.chat_id, user, _plan_question(_, update, error), PLAN_PROMPT
        )
        return
    inspection = await services.inspections.create(
        NewInspection(
            chat_id=group.chat_id,
            municipality=group.municipality,
            neighbourhood=group.neighbourhood,
            walk_at=plan.walk_at,
            meeting_point=plan.meeting_point,
            organiser_id=user.id,
        ),
        services.now(),
    )
    if inspection is None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _("This group already has a wijkschouw open. Close it first with its button.")
        )
        return
    await services.audit.record(user.id, "wijkschouw.start", str(inspection.id), now=services.now())
    log.info("inspection id=%s started in chat_id=%s", inspection.id, group.chat_id)
    await post_invitation(services, context.bot, inspection)


async def _pressed_inspection(update: Update, context: BotContext) -> Inspection | None:
    """The open walk whose own invitation this press is on, in this chat; else None (and the
    press is answered)."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    _ = await context.translator(update)
    raw = query.data.split(":", 1)[1]
    inspection = await context.services.inspections.get(int(raw)) if raw.isdigit() else None
    if (
        inspection is None
        or inspection.chat_id != chat.id
        or query.message is None
        or query.message.message_id != inspection.invite_message_id
        or not inspection.is_open
    ):
        log.info("outdated wijkschouw press chat_id=%s", chat.id)
        await query.answer(
            _("This wijkschouw is closed or this button is outdated."), show_alert=True
        )
        return None
    return inspection


async def join_button(update: Update, context: BotContext) -> None:
    """ "I'm joining": any member of the group; a second press takes the name off the list."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    assert query is not None and user is not None and chat is not None
    inspection = await _pressed_inspection(update, context)
    if inspection is None:
        return
    _ = await context.translator(update)
    if not await is_chat_member(context, chat.id, user.id):
        await query.answer(_("Only members of this group can join."), show_alert=True)
        return
    services = context.services
    joined = await services.inspections.toggle_participant(inspection.id, user.id, services.now())
    await refresh_invitation(services, context.bot, inspection.id)
    await query.answer(
        _("Great, you are joining! Report findings with “Report a finding”.")
        if joined
        else _("You are no longer on the list.")
    )


async def close_button(update: Update, context: BotContext) -> None:
    """ "Close": the organiser or anyone who may organise; asks the presser to confirm."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    inspection = await _pressed_inspection(update, context)
    if inspection is None:
        return
    _ = await context.translator(update)
    if not await _may_close(update, context, inspection):
        await _refuse(
            update,
            context,
            "wijkschouw.close",
            _("Only the organiser or a group administrator can close the wijkschouw."),
        )
        return
    count = len(await context.services.inspections.findings(inspection.id))
    markup = InlineKeyboardMarkup(
        [
            [
                conversation.button(CONFIRM_PREFIX, _("Yes, close it"), f"{inspection.id}:yes"),
                conversation.button(CONFIRM_PREFIX, _("No"), f"{inspection.id}:no"),
            ]
        ]
    )
    await conversation.send(
        update,
        context,
        _(
            "{member}, close the wijkschouw now? I will post the summary here and send the "
            "findings ({n}) to the municipality. Findings can no longer be added after that.",
            member=replies.mention(user),
            n=count,
        ),
        markup,
    )
    await query.answer()


async def _may_close(update: Update, context: BotContext, inspection: Inspection) -> bool:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    if user.id == inspection.organiser_id and await is_chat_member(context, chat.id, user.id):
        return True
    return await may_organise(update, context, inspection.municipality)


async def confirm_button(update: Update, context: BotContext) -> None:
    """wsx:<id>:yes closes the walk (once) and sends the summary and the report."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    _ = await context.translator(update)
    _prefix, raw, answer = query.data.split(":")
    services = context.services
    inspection = await services.inspections.get(int(raw))
    if answer == "no" or inspection is None:
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
        return
    if inspection.chat_id != chat.id or not await _may_close(update, context, inspection):
        await _refuse(
            update, context, "wijkschouw.close", _("Sorry, you are not allowed to do that.")
        )
        return
    closed = await services.inspections.close(inspection.id, services.now())
    if closed is None:
        await query.edit_message_text(_("This wijkschouw was already closed."))
        await query.answer()
        return
    assert update.effective_user is not None
    await services.audit.record(
        update.effective_user.id, "wijkschouw.close", str(closed.id), now=services.now()
    )
    log.info("inspection id=%s closed", closed.id)
    await query.edit_message_text(_("The wijkschouw is closed."))
    await query.answer()
    await refresh_invitation(services, context.bot, closed.id)
    await finish(services, context.bot, closed.id)


def register(app: BotApplication) -> None:
    groups = filters.ChatType.GROUPS
    app.add_handler(CommandHandler(["inspection", "wijkschouw"], inspection_command))
    app.add_handler(
        MessageHandler(
            groups
            & filters.REPLY
            & filters.TEXT
            & ~filters.COMMAND
            & replies.RepliesTo(app, PLAN_PROMPT),
            plan_reply,
        )
    )
    app.add_handler(CallbackQueryHandler(join_button, pattern=rf"^{JOIN_PREFIX}:\d+$"))
    app.add_handler(CallbackQueryHandler(close_button, pattern=rf"^{CLOSE_PREFIX}:\d+$"))
    app.add_handler(conversation.press(CONFIRM_PREFIX, confirm_button, r"\d+:(yes|no)"))
