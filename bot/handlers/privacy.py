"""/privacy, /mydata and /forgetme: the AVG/GDPR rights of access and erasure, in the chat."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import neighbourhood_privacy
from bot.advice.privacy import export_document
from bot.services import BotApplication, BotContext
from bot.teamwork import refresh_team_message

log = logging.getLogger(__name__)


async def privacy(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    text = _(
        "<b>Your privacy</b>\n\n"
        "<b>What I store</b>: for a subscription your chat id, language, municipality, "
        "neighbourhood and topics. For an advice request also your reason, postcode, house "
        "number, name, phone number (if you gave it), preferred moments and the dates of each "
        "step.\n"
        "<b>Why</b>: to send you the tips you chose, and to let the prevention team arrange the "
        "advice you asked for. Nothing else, and nothing is shared with others.\n"
        "<b>Who sees it</b>: only the prevention team of your municipality sees your request; "
        "the bot's administrators manage the system.\n"
        "<b>How long</b>: your subscription until you stop. The personal details of a request are "
        "deleted {days} days after it is closed; only anonymous counts remain.\n"
        "<b>Your rights</b>: /mydata sends you everything stored about you; /forgetme deletes "
        "it; /stop ends your subscription.",
        days=context.services.config.privacy.retention_days,
    )
    text += "\n\n" + _(
        "<b>Wijkschouw and self-check</b>: with a finding you report I keep your Telegram id, "
        "only for /mydata and /forgetme; the group and the municipality never see who reported "
        "it. Photos are stored without location and camera details. {days} days after a "
        "wijkschouw is closed, no Telegram ids are kept with it. Self-check answers are kept only "
        "when you ask for a reminder (until it is sent) or send them with an advice request.",
        days=context.services.config.privacy.retention_days,
    )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: a JSON file with the subscription and every request of this user."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    services = context.services
    _ = await context.translator(update)
    document = export_document(
        user.id,
        await services.chats.get(user.id),
        await services.advice.for_user(user.id),
        services.now(),
        [grant for grant in await services.roles.all() if grant.user_id == user.id],
        extra=await neighbourhood_privacy.personal_data(services, user.id),
    )
    await message.reply_document(
        InputFile(document, filename="buurtwacht-mydata.json"),
        caption=_("Everything I store about you, as a JSON file."),
    )
    log.info("data export sent to user_id=%s", user.id)


async def forget_me(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, delete my data"), callback_data="forget:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data="forget:no"),
            ]
        ]
    )
    await update.effective_message.reply_text(
        _(
            "Do you want me to delete your data? Your subscription stops and the personal "
            "details of your advice requests are removed; an open request is withdrawn. "
            "This cannot be undone."
        )
        + "\n\n"
        + _(
            "Your notes and photos of wijkschouw findings go too (the findings stay for the "
            "municipality without them), and so does a pending self-check reminder. Photos the "
            "municipality already received in Telegram stay in its chat."
        ),
        reply_markup=markup,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    _ = await context.translator(update)
    await query.answer()
    if query.data != "forget:yes":
        await query.edit_message_text(_("Good, nothing has changed."))
        return
    services = context.services
    requests = await services.advice.forget_user(user.id, services.now())
    await services.chats.delete(user.id)
    await services.roles.forget_label(user.id)
    await neighbourhood_privacy.forget(services, context.bot, user.id)
    # A draft in PTB's persisted data may hold a name or phone number too.
    context.application.drop_user_data(user.id)
    context.application.drop_chat_data(user.id)
    for request in requests:
        await refresh_team_message(services, context.bot, request)
    log.info("forgot user_id=%s: %d advice request(s) erased", user.id, len(requests))
    await query.edit_message_text(
        _("Done: your subscription and personal details are deleted. Take care!")
    )


def register(app: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("privacy", privacy))
    app.add_handler(CommandHandler(["mydata", "mijngegevens"], my_data, filters=private))
    app.add_handler(CommandHandler(["forgetme", "vergeetmij"], forget_me, filters=private))
    app.add_handler(CallbackQueryHandler(forget_button, pattern=r"^forget:(yes|no)$"))
