"""/help, replies to input the bot does not expect (edits included), outdated buttons, and the
error handler.

`register_fallbacks` must be called after every feature's handlers: these catch what nothing
else handled.
"""

from __future__ import annotations

import logging

from telegram import Chat as TgChat
from telegram import Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.auth import may_manage_chat, user_roles
from bot.commands import visible
from bot.erasure import in_conversation
from bot.handlers.prompts import refuse_outdated
from bot.services import BotApplication, BotContext
from bot.subscription import WIZARD_KEY, Draft
from bot.telegram_errors import is_not_modified, is_unreachable

log = logging.getLogger(__name__)


async def help_command(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None
    if chat.type == TgChat.PRIVATE:
        roles = await user_roles(context.services, user.id if user else None)
        specs = visible("private", admin=roles.admin, adviser=roles.adviser)
    else:
        specs = visible(
            "group",
            group_admin=await may_manage_chat(update, context),
            team=bool(await context.services.teams.municipalities_of(chat.id)),
        )
    lines = [_("<b>What I can do here</b>")]
    lines += [
        " ".join([f"/{spec.name}", *(f"(/{alias})" for alias in spec.aliases)])
        + f" – {_(spec.description)}"
        for spec in specs
    ]
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def unknown_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    command = (message.text or "").split(maxsplit=1)[0]
    # In groups only commands addressed to this bot by name get a reply; other bots' commands
    # are none of our business.
    if chat.type != TgChat.PRIVATE and not command.lower().endswith(
        f"@{context.bot.username}".lower()
    ):
        return
    _ = await context.translator(update)
    await message.reply_text(_("I don't know that command. /help lists what I can do."))


async def unexpected_text(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    message = update.effective_message
    assert message is not None
    if len(message.text or "") > MessageLimit.MAX_TEXT_LENGTH:
        await message.reply_text(_("That message is too long for me. Please keep it short."))
    elif context.chat_data and (draft := Draft.from_dict(context.chat_data.get(WIZARD_KEY))):
        # /settings only opens for a subscription; before the first one it is /start again.
        if draft.mode == "new":
            await message.reply_text(_("Please use the buttons above, or /start to start again."))
        else:
            await message.reply_text(
                _("Please use the buttons above, or /settings to start again.")
            )
    else:
        await message.reply_text(_("I work with commands and buttons. /help lists what I can do."))


async def unexpected_media(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None
    if user is not None and in_conversation(context.application, user.id, chat.id):
        # Mid-question (a name, a street): the question still waits, /help would lead away.
        await message.reply_text(
            _("I can't use that here. Please answer the question above, or /cancel.")
        )
        return
    await message.reply_text(
        _("I can't do anything with stickers, photos or files here. /help lists what I can do.")
    )


async def ignore_edit(update: Update, context: BotContext) -> None:
    """An edited message is not a new answer: a conversation would take the corrected postcode
    as the name it waits for now, and an edit to /stop would run it again. So no handler sees
    edits; in a private chat the person hears why nothing happened."""
    chat, message = update.effective_chat, update.effective_message
    if chat is not None and chat.type == TgChat.PRIVATE and message is not None:
        _ = await context.translator(update)
        await message.reply_text(
            _("I only read new messages, not edits. Please send it again as a new message.")
        )
    raise ApplicationHandlerStop


async def _answer_quietly(update: Update) -> None:
    """Stop the client's spinner of a press whose handler ended early; never raises."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.debug("press already answered update_id=%s", update.update_id)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with ids only (never names, texts, phone numbers or the token).

    Two Telegram answers are not failures (bot.telegram_errors): "message is not modified"
    means the message already shows what we wanted, and an unreachable chat (the bot was
    removed or blocked) is marked inactive. Replies go to the update's own chat; a handler that
    writes to another chat uses `tell`, so an unreachable chat here is the update's.
    """
    ids = {}
    if isinstance(update, Update):
        ids = {
            "update_id": update.update_id,
            "chat_id": update.effective_chat.id if update.effective_chat else None,
            "user_id": update.effective_user.id if update.effective_user else None,
        }
        if is_not_modified(context.error):
            log.debug("message not modified %s", ids)
            await _answer_quietly(update)
            return
        if is_unreachable(context.error) and update.effective_chat is not None:
            await context.services.chats.set_active(update.effective_chat.id, False)
            log.info("chat unreachable, marked inactive %s", ids)
            await _answer_quietly(update)
            return
    log.error("handler failed %s", ids, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        _ = await context.translator(update)
    except Exception:  # the database itself may be what failed
        _ = context.services.i18n.get(None)
    text = _("Sorry, something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not send the apology %s", ids)


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["help", "hulp"], help_command))
    # Before every feature (group -1): Telegram sends edits by default (no allowed_updates).
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, ignore_edit), group=-1)
    app.add_error_handler(on_error)


def register_fallbacks(app: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & private, unexpected_text))
    app.add_handler(
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, unexpected_media)
    )
    # A press that passed bot.handlers.presses but that no handler takes in the state its flow
    # is in (an old keyboard, e.g. from before a restart).
    app.add_handler(CallbackQueryHandler(refuse_outdated))
