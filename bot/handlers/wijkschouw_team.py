"""The municipality marks each finding of a wijkschouw: forwarded, solved or not our task, with
a reason. The group hears when a finding is solved.

The marking message (the "board", sent with the report) has a button per finding; it is a
row-bound button for anyone of the municipality: in the team's group the presser must be a
member of that group now (live getChatMember) and the team must serve the walk's municipality;
in an adviser's private chat the adviser must cover the municipality now. The press must be on
the board the bot sent for that walk in that chat. The choice of mark then comes on a message
bound to the presser (bot/handlers/prompts.py), and the reason as a reply to a question asked
of them only.
"""

from __future__ import annotations

import logging

from telegram import Chat as TgChat
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.advice.validation import parse_note
from bot.auth import is_chat_member, user_roles
from bot.handlers import conversation, replies
from bot.inspection_reports import BOARD_PREFIX, notify_solved, refresh_boards
from bot.services import BotApplication, BotContext
from bot.storage.inspections import Finding, Inspection
from bot.wijkschouw import texts
from bot.wijkschouw.model import MARKS, Status, allowed, marks_for

log = logging.getLogger(__name__)

MARK_PREFIX = "wss"
REASON_PROMPT = "wijkschouw-reason"


async def _may_mark(update: Update, context: BotContext, inspection: Inspection) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    services = context.services
    if chat.type == TgChat.PRIVATE:
        return (await user_roles(services, user.id)).covers([inspection.municipality])
    return inspection.municipality in await services.teams.municipalities_of(
        chat.id
    ) and await is_chat_member(context, chat.id, user.id)


async def _finding(
    context: BotContext, finding_id: int
) -> tuple[Finding, Inspection] | tuple[None, None]:
    finding = await context.services.inspections.finding(finding_id)
    inspection = await context.services.inspections.get(finding.inspection_id) if finding else None
    if finding is None or inspection is None:
        return None, None
    return finding, inspection


async def _refuse(update: Update, context: BotContext, why: str) -> None:
    user, chat = update.effective_user, update.effective_chat
    log.warning(
        "wijkschouw mark refused (%s) chat_id=%s user_id=%s",
        why,
        chat.id if chat else None,
        user.id if user else None,
    )
    await context.services.audit.record(
        user.id if user else None,
        "wijkschouw.mark",
        str(chat.id) if chat else "",
        outcome="refused",
        detail=why,
        now=context.services.now(),
    )
    _ = await context.translator(update)
    text = (
        _("Only the prevention team or the municipality's advisers can mark findings.")
        if why == "role"
        else _("This button is not valid here.")
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def board_button(update: Update, context: BotContext) -> None:
    """wsb:<finding id> on the walk's board in this chat: offer the marks still possible."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and chat is not None and user is not None
    raw = query.data.split(":", 1)[1]
    finding, inspection = await _finding(context, int(raw)) if raw.isdigit() else (None, None)
    on_board = (
        inspection is not None
        and query.message is not None
        and (chat.id, query.message.message_id)
        in await context.services.inspections.boards(inspection.id)
    )
    if finding is None or inspection is None or not on_board:
        await _refuse(update, context, "not this board")
        return
    if not await _may_mark(update, context, inspection):
        await _refuse(update, context, "role")
        return
    _ = await context.translator(update)
    marks = marks_for(finding.status)
    if not marks:
        await query.answer(
            _("This finding is {status} already.", status=texts.status_text(_, finding.status)),
            show_alert=True,
        )
        return
    buttons = [
        conversation.button(MARK_PREFIX, texts.status_text(_, mark), f"{finding.id}:{mark}")
        for mark in marks
    ]
    markup = InlineKeyboardMarkup(
        [buttons, [conversation.button(MARK_PREFIX, _("Cancel"), f"{finding.id}:cancel")]]
    )
    text = _(
        "{member}: {finding}\nStatus now: {status}. How do you mark it?",
        member=replies.mention(user),
        finding=texts.finding_line(_, finding),
        status=texts.status_text(_, finding.status),
    )
    await conversation.send(update, context, text, markup)
    await query.answer()


async def mark_button(update: Update, context: BotContext) -> None:
    """wss:<finding id>:<mark> on the presser's own prompt: ask them for the reason."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and chat is not None and user is not None
    _prefix, raw, mark = query.data.split(":")
    _ = await context.translator(update)
    if mark == "cancel":
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
        return
    finding, inspection = await _finding(context, int(raw))
    if finding is None or inspection is None or mark not in MARKS:
        await _refuse(update, context, "unknown finding")
        return
    if not await _may_mark(update, context, inspection):
        await _refuse(update, context, "role")
        return
    status: Status = mark
    if not allowed(status, finding.status):
        await query.answer(
            _("This finding is {status} already.", status=texts.status_text(_, finding.status)),
            show_alert=True,
        )
        return
    await query.edit_message_text(
        _(
            "{finding}\nMarked as {mark}: waiting for the reason.",
            finding=texts.finding_line(_, finding),
            mark=texts.status_text(_, status),
        ),
        parse_mode=ParseMode.HTML,
    )
    await query.answer()
    visible = (
        _("The neighbourhood group will see it.")
        if status == "solved"
        else _("Only the municipality sees it.")
    )
    await replies.ask(
        context,
        chat.id,
        user,
        _(
            "{member}, reply to this message with a short reason for finding #{number} "
            "({mark}). {visible}",
            member=replies.mention(user),
            number=finding.number,
            mark=texts.status_text(_, status),
            visible=visible,
        ),
        REASON_PROMPT,
        finding=finding.id,
        status=status,
    )


async def reason_reply(update: Update, context: BotContext) -> None:
    """The reason: the mark is stored, the boards updated, and a solved finding announced."""
    prompt = replies.take(update, context)
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if prompt is None or message is None or user is None or chat is None:
        return
    _ = await context.translator(update)
    finding, inspection = await _finding(context, int(prompt["finding"]))
    if finding is None or inspection is None:
        await _refuse(update, context, "unknown finding")
        return
    if not await _may_mark(update, context, inspection):
        await _refuse(update, context, "role")
        return
    status: Status = prompt["status"]
    reason = parse_note(message.text or "")
    if reason is None:
        await replies.ask(
            context,
            chat.id,
            user,
            _(
                "{member}, please keep the reason short (at most 200 characters) and reply again.",
                member=replies.mention(user),
            ),
            REASON_PROMPT,
            finding=finding.id,
            status=status,
        )
        return
    services = context.services
    marked = await services.inspections.mark(finding.id, status, reason, services.now())
    if marked is None:
        await message.reply_text(_("Someone else marked this finding meanwhile."))
        return
    await services.audit.record(
        user.id, "wijkschouw.mark", f"{finding.id}:{status}", now=services.now()
    )
    log.info("finding id=%s of inspection id=%s marked %s", finding.id, inspection.id, status)
    await message.reply_text(
        _(
            "Saved: finding #{number} is now {status}.",
            number=marked.number,
            status=texts.status_text(_, status),
        )
    )
    await refresh_boards(services, context.bot, inspection.id)
    if status == "solved":
        await notify_solved(services, context.bot, inspection, marked)


def register(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(board_button, pattern=rf"^{BOARD_PREFIX}:\d+$"))
    app.add_handler(
        conversation.press(MARK_PREFIX, mark_button, rf"\d+:({'|'.join(MARKS)}|cancel)")
    )
    app.add_handler(
        MessageHandler(
            filters.REPLY & filters.TEXT & ~filters.COMMAND & replies.RepliesTo(app, REASON_PROMPT),
            reason_reply,
        )
    )
