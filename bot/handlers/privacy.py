"""/privacy, /mydata and /forgetme: the AVG/GDPR rights of access and erasure, in the chat."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import neighbourhood_privacy
from bot.advice.privacy import export_document
from bot.erasure import complete_erasure, forget_ptb_state
from bot.handlers import prompts
from bot.handlers.team import forget_member_prompts
from bot.services import BotApplication, BotContext
from bot.teamwork import refresh_team_message

log = logging.getLogger(__name__)

PREFIX = "forget"


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
        await services.advice.handled_by(user.id),
        extra=await neighbourhood_privacy.personal_data(services, user.id),
    )
    await message.reply_document(
        InputFile(document, filename="buurtwacht-mydata.json"),
        caption=_("Everything I store about you, as a JSON file."),
    )
    log.info("data export sent to user_id=%s", user.id)


async def forget_me(update: Update, context: BotContext) -> None:
    """/forgetme asks first; only this question, pressed by this person, can confirm it."""
    _ = await context.translator(update)
    assert update.effective_message is not None
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, delete my data"), callback_data=f"{PREFIX}:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data=f"{PREFIX}:no"),
            ]
        ]
    )
    question = await update.effective_message.reply_text(
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
    prompts.bind(context, question)


async def forget_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    if not await prompts.claim(update, context, PREFIX):
        return
    _ = await context.translator(update)
    prompts.release(context, PREFIX)
    if query.data != f"{PREFIX}:yes":
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
        return
    services = context.services
    requests = await services.advice.forget_user(user.id, services.now())
    handled = await services.advice.forget_team_member(user.id, services.now())
    await services.chats.delete(user.id)
    await services.roles.forget_label(user.id)
    await services.dashboard.forget(user.id)
    await neighbourhood_privacy.forget(services, context.bot, user.id)
    forget_member_prompts(context.application, user.id)
    # Drafts in PTB's persisted data may hold a name or phone number too, and a conversation
    # in progress must not wait for a draft that is gone.
    forget_ptb_state(context.application, user.id)
    for request in [*requests, *handled]:
        await refresh_team_message(services, context.bot, request)
    log.info(
        "forgot user_id=%s: %d advice request(s) erased, %d handled as a team member",
        user.id,
        len(requests),
        len(handled),
    )
    await complete_erasure(context.application)
    await query.edit_message_text(
        _("Done: your subscription and personal details are deleted. Take care!")
    )
    await query.answer()


def register(app: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("privacy", privacy))
    app.add_handler(CommandHandler(["mydata", "mijngegevens"], my_data, filters=private))
    app.add_handler(CommandHandler(["forgetme", "vergeetmij"], forget_me, filters=private))
    app.add_handler(CallbackQueryHandler(forget_button, pattern=rf"^{PREFIX}:(yes|no)$"))
