"""The home self-check: /zelftest (/selfcheck), or `/start zelftest` from a poster.

Twelve questions with buttons, one message edited in place, then the score and the three most
important improvements, with a reminder in four weeks and, where the municipality offers it,
the way into the free advice request with the answers attached.

The answers so far ride in the buttons' callback data (bot/selfcheck/scoring.py): nothing about
the home is stored while the resident answers, nor after the result, unless they ask for the
reminder (a row, deleted once sent) or attach the answers to an advice request (after its
consent step). A press counts only on the message bound to this resident
(bot/handlers/prompts.py) and only when it is one of the buttons that message shows now, so an
old press cannot rewind or skip the check.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler, filters

from bot.handlers import conversation, prompts
from bot.handlers.advice import PREFIX as ADVICE_PREFIX
from bot.handlers.advice import no_free_advice_text
from bot.i18n import Translator
from bot.selfcheck import texts
from bot.selfcheck.questions import QUESTIONS
from bot.selfcheck.scoring import ANSWERS_RE, COMPLETE_RE, complete, reminder_due, valid
from bot.services import BotApplication, BotContext

log = logging.getLogger(__name__)

PREFIX = "sc"
DEEP_LINK = "zelftest"


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _question_markup(_: Translator, answers: str) -> InlineKeyboardMarkup:
    question = QUESTIONS[len(answers)]
    options = [_button(_(o.label), f"a:{answers}{o.code}") for o in question.options]
    navigation = [_button(_("◀ Back"), f"a:{answers[:-1]}")] if answers else []
    return InlineKeyboardMarkup([options, [*navigation, _button(_("Stop"), "stop")]])


async def _offers_advice(context: BotContext, _: Translator, user_id: int) -> tuple[bool, str]:
    """Whether to offer the free advice, and otherwise where the resident can go instead.

    Known municipality (subscription): its `free_advice`. Unknown: offered when any
    municipality has it; the request's postcode step then finds the right one.
    """
    config = context.services.config
    chat = await context.services.chats.get(user_id)
    municipality = config.municipality(chat.municipality if chat else None)
    if municipality is None:
        return any(m.free_advice for m in config.municipalities), ""
    if municipality.free_advice:
        return True, ""
    return False, no_free_advice_text(_, municipality)


async def _result(
    update: Update, context: BotContext, answers: str, *, reminded: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    user = update.effective_user
    assert user is not None
    _ = await context.translator(update)
    offer, alternative = await _offers_advice(context, _, user.id)
    text = texts.result(_, answers)
    if alternative:
        text += "\n\n" + alternative
    rows = []
    if reminded:
        due = reminder_due(context.services.now(), _.tz)
        text += "\n\n" + _(
            "⏰ I will ask you on {date} whether it worked out.", date=_.fmt_date(due.date())
        )
    else:
        rows.append([_button(_("⏰ Remind me in 4 weeks"), f"remind:{answers}")])
    if offer:
        rows.append(
            [
                InlineKeyboardButton(
                    _("Request free prevention advice"),
                    callback_data=f"{ADVICE_PREFIX}:sc:{answers}",
                )
            ]
        )
    rows.append([_button(_("Done"), "done")])
    return text, InlineKeyboardMarkup(rows)


async def start(update: Update, context: BotContext) -> None:
    """/zelftest, /selfcheck or the poster's link: the first question."""
    _ = await context.translator(update)
    text = f"{texts.intro(_)}\n\n{texts.question(_, 0)}"
    await conversation.send(update, context, text, _question_markup(_, ""))


async def in_group(update: Update, context: BotContext) -> None:
    """In a group: the check is about one's own home, so it opens a private chat."""
    _ = await context.translator(update)
    assert update.effective_message is not None
    link = f"https://t.me/{context.bot.username}?start={DEEP_LINK}"
    await update.effective_message.reply_text(
        _("The self-check is about your own home, so we do it in a private chat."),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Start the self-check"), url=link)]]
        ),
    )


def _shown_now(update: Update) -> bool:
    """The press is one of the buttons the message shows now (not an older state's)."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(
        button.callback_data == query.data
        for row in message.reply_markup.inline_keyboard
        for button in row
    )


async def _show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    query = update.callback_query
    assert query is not None
    shown = await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    prompts.bind(context, shown)
    await query.answer()


async def on_answer(update: Update, context: BotContext) -> None:
    """sc:a:<answers so far>: the next question, or the result after the last one."""
    query = update.callback_query
    assert query is not None and query.data is not None
    answers = query.data.removeprefix(f"{PREFIX}:a:")
    if not valid(answers) or not _shown_now(update):
        await prompts.refuse_outdated(update, context)
        return
    _ = await context.translator(update)
    if len(answers) < len(QUESTIONS):
        await _show(update, context, texts.question(_, len(answers)), _question_markup(_, answers))
        return
    log.info("self-check done")
    await _show(update, context, *await _result(update, context, answers))


async def on_remind(update: Update, context: BotContext) -> None:
    """Keep the answers for a reminder in four weeks (the only reason they are stored)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    answers = query.data.rsplit(":", 1)[1]
    if not complete(answers) or not _shown_now(update):
        await prompts.refuse_outdated(update, context)
        return
    services = context.services
    _ = await context.translator(update)
    now = services.now()
    await services.selfchecks.remind(user.id, answers, _.locale, now, reminder_due(now, _.tz))
    log.info("self-check reminder set for user_id=%s", user.id)
    await _show(update, context, *await _result(update, context, answers, reminded=True))


async def on_stop(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    await _show(update, context, _("Stopped. I have not kept any of your answers."), None)
    prompts.release(context, PREFIX)


async def on_done(update: Update, context: BotContext) -> None:
    """Leave the result as it is, without buttons: nothing of it is kept."""
    query = update.callback_query
    assert query is not None
    await query.edit_message_reply_markup(None)
    await query.answer()
    prompts.release(context, PREFIX)
    _ = await context.translator(update)
    await conversation.send(
        update, context, _("Good luck with your home! Do the check again any time with /selfcheck.")
    )


def register(app: BotApplication) -> None:
    """Before the subscription's /start: the `zelftest` payload must win over the plain /start."""
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handler(
        CommandHandler("start", start, filters=private & filters.Regex(rf"^/start {DEEP_LINK}$"))
    )
    app.add_handler(CommandHandler(["selfcheck", "zelftest"], start, filters=private))
    app.add_handler(CommandHandler(["selfcheck", "zelftest"], in_group, filters=groups))
    app.add_handler(conversation.press(PREFIX, on_answer, f"a:{ANSWERS_RE}"))
    app.add_handler(conversation.press(PREFIX, on_remind, f"remind:{COMPLETE_RE}"))
    app.add_handler(conversation.press(PREFIX, on_stop, "stop"))
    app.add_handler(conversation.press(PREFIX, on_done, "done"))
