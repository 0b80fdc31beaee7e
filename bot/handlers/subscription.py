"""Subscribing a private chat or a group: /start (with deep link), /subscribe, /settings,
/language and /stop, all driven by one button wizard.

The wizard's draft lives in PTB's persisted chat_data (see bot/storage/persistence.py): it
belongs to the chat, not to the person who started it. Every button carries the draft's nonce
and the draft knows its message, so a press on an outdated or forged keyboard (another message,
a step the wizard is not at) is recognised and explained. In groups every command and every
press is checked live against the group's administrators; any administrator may continue the
group's wizard, because the subscription is the group's.

/stop asks for a confirmation that only the person who asked can give, on that question, in
that chat (bot/handlers/prompts.py); in a group they must still be an administrator.
"""

from __future__ import annotations

import re

from telegram import Chat as TgChat
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.auth import is_anonymous_admin, may_manage_chat
from bot.erasure import complete_erasure, end_conversations
from bot.handlers import prompts
from bot.handlers.advice import start_markup as advice_start_markup
from bot.i18n import Translator
from bot.services import BotApplication, BotContext
from bot.storage.chats import Chat, ChatKind
from bot.subscription import (
    COORDINATOR,
    FINISHED_KEY,
    LANGUAGE_NAMES,
    TOPICS,
    WIZARD_KEY,
    Draft,
    summary,
)

# Telegram keeps a payload as typed; a poster printed as gem_Enschede or GEM_ENSCHEDE works too.
DEEP_LINK_RE = re.compile(r"^gem_([a-z0-9-]+)$", re.IGNORECASE)
CALLBACK_PREFIX = "sub"
STOP_PREFIX = "stop"
# The presses each step's keyboard offers; any other press is not for the step the wizard is at.
STEP_VERBS: dict[str, frozenset[str]] = {
    "municipality": frozenset({"mun"}),
    "neighbourhood": frozenset({"hood"}),
    "topics": frozenset({"topic", "coordinator", "topics_done"}),
    "language": frozenset({"lang"}),
    "menu": frozenset({"menu"}),
}


def _kind(update: Update) -> ChatKind:
    chat = update.effective_chat
    return "private" if chat is not None and chat.type == TgChat.PRIVATE else "group"


async def _ensure_chat(update: Update, context: BotContext) -> Chat:
    assert update.effective_chat is not None
    user = update.effective_user
    locale = context.services.i18n.pick(user.language_code if user else None)
    return await context.services.chats.ensure(update.effective_chat.id, _kind(update), locale)


def _button(text: str, draft: Draft, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"{CALLBACK_PREFIX}:{draft.nonce}:{action}")


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _render(
    _: Translator, context: BotContext, draft: Draft, chat: Chat
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and keyboard for the draft's current step."""
    config = context.services.config
    municipality = config.municipality(draft.municipality)
    if draft.step == "municipality":
        buttons = [_button(m.name, draft, f"mun:{m.slug}") for m in config.municipalities]
        return _("In which municipality do you live?"), InlineKeyboardMarkup(_rows(buttons, 2))
    if draft.step == "neighbourhood" and municipality is not None:
        buttons = [
            _button(name, draft, f"hood:{i}") for i, name in enumerate(municipality.neighbourhoods)
        ]
        rows = [*_rows(buttons, 2), [_button(_("Whole municipality"), draft, "hood:all")]]
        text = _("Which neighbourhood of {name}?", name=municipality.name)
        return text, InlineKeyboardMarkup(rows)
    if draft.step == "topics":
        rows = [
            [_button(("✅ " if key in draft.topics else "⬜ ") + _(label), draft, f"topic:{key}")]
            for key, label in TOPICS.items()
        ]
        text = _("Which messages would you like? Tap a topic to switch it on or off.")
        if chat.kind == "private":
            mark = "✅ " if draft.coordinator else "⬜ "
            rows.append([_button(mark + _(COORDINATOR), draft, "coordinator")])
            text += "\n\n" + _(
                "Do you coordinate a WhatsApp neighbourhood group? Then switch that on too: "
                "every message gets a button to share it in your group."
            )
        rows.append([_button(_("Confirm"), draft, "topics_done")])
        return text, InlineKeyboardMarkup(rows)
    if draft.step == "language":
        buttons = [
            _button(LANGUAGE_NAMES.get(code, code), draft, f"lang:{code}")
            for code in context.services.i18n.available
        ]
        return _("Choose a language."), InlineKeyboardMarkup([buttons])
    rows = [
        [_button(_("Municipality"), draft, "menu:municipality")],
        *(
            [[_button(_("Neighbourhood"), draft, "menu:neighbourhood")]]
            if municipality and municipality.neighbourhoods
            else []
        ),
        [_button(_("Topics"), draft, "menu:topics")],
        [_button(_("Language"), draft, "menu:language")],
        [_button(_("Done"), draft, "menu:done")],
    ]
    text = _("<b>Your settings</b>") + "\n" + summary(_, config, chat) + "\n\n"
    return text + _("What would you like to change?"), InlineKeyboardMarkup(rows)


def _finish(context: BotContext, draft: Draft) -> None:
    """The wizard is over: its draft goes, its message is remembered for a double tap."""
    chat_data = context.chat_data
    assert chat_data is not None
    chat_data.pop(WIZARD_KEY, None)
    chat_data[FINISHED_KEY] = {
        "nonce": draft.nonce,
        "message_id": draft.message_id,
        "started": context.services.now().isoformat(),
    }


def _is_finished_wizard(context: BotContext, nonce: str, message_id: int) -> bool:
    finished = (context.chat_data or {}).get(FINISHED_KEY)
    return (
        isinstance(finished, dict)
        and finished.get("nonce") == nonce
        and finished.get("message_id") == message_id
    )


def _store(context: BotContext, draft: Draft, message_id: int) -> None:
    draft.message_id = message_id
    draft.started = draft.started or context.services.now().isoformat()
    context.chat_data[WIZARD_KEY] = draft.to_dict()  # type: ignore[index]


async def _show(
    update: Update, context: BotContext, draft: Draft, chat: Chat, *, note: str = ""
) -> None:
    """Store the draft and show its step: edit the wizard message on a press, else send anew."""
    _ = context.services.i18n.get(chat.locale)
    text, markup = _render(_, context, draft, chat)
    if note:
        text = f"{note}\n\n{text}"
    query = update.callback_query
    if query is not None and query.message is not None:
        _store(context, draft, query.message.message_id)
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        assert update.effective_chat is not None
        shown = await context.bot.send_message(
            update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
        _store(context, draft, shown.message_id)


async def _refuse_non_admin(update: Update, context: BotContext) -> bool:
    """True (and a polite answer) when a group member who is not an admin tries to manage it."""
    if await may_manage_chat(update, context):
        return False
    _ = await context.translator(update)
    text = _("Only the group's administrators can change its subscription.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return True


async def start(update: Update, context: BotContext) -> None:
    """/start in a private chat, optionally with a deep link `gem_<slug>` from a poster."""
    chat = await _ensure_chat(update, context)
    _ = context.services.i18n.get(chat.locale)
    config = context.services.config
    payload = context.args[0] if context.args else ""
    preselect = None
    note = ""
    if match := DEEP_LINK_RE.match(payload):
        preselect = config.municipality(match.group(1).lower())
    if payload and preselect is None:
        note = _("I don't know the municipality in this link, so please choose it yourself.")
    elif preselect is not None:
        note = _(
            "You came through the link of <b>{name}</b>, so I have chosen {name} for you. "
            "You can change it later with /settings.",
            name=preselect.name,
        )
    greeting = _(
        "Welcome to <b>Buurtwacht</b>! All year round I send you short tips against burglary "
        "in your neighbourhood, at the moments that matter: dark evenings, holidays, the start "
        "of the academic year."
    )
    draft = Draft.for_chat(chat, "new", "municipality")
    if preselect is not None:
        draft.municipality, draft.neighbourhood = preselect.slug, None
        draft.step = "neighbourhood" if preselect.neighbourhoods else "topics"
    await _show(update, context, draft, chat, note="\n\n".join(filter(None, [greeting, note])))


async def subscribe_group(update: Update, context: BotContext) -> None:
    """/subscribe (/aanmelden) in a group: group admins only."""
    if await _refuse_non_admin(update, context):
        return
    chat = await _ensure_chat(update, context)
    draft = Draft.for_chat(chat, "new", "municipality")
    await _show(update, context, draft, chat)


async def start_in_group(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("A group administrator can subscribe this group with /subscribe."),
    )


async def settings(update: Update, context: BotContext) -> None:
    """/settings: a menu over the stored subscription; changes are saved at once."""
    if await _refuse_non_admin(update, context):
        return
    chat = await _ensure_chat(update, context)
    if not chat.subscribed:
        _ = context.services.i18n.get(chat.locale)
        assert update.effective_message is not None
        command = "/start" if chat.kind == "private" else "/subscribe"
        await update.effective_message.reply_text(
            _("You are not subscribed yet. Use {command} to subscribe.", command=command)
        )
        return
    await _show(update, context, Draft.for_chat(chat, "edit", "menu"), chat)


async def language(update: Update, context: BotContext) -> None:
    """/language: switch the chat's language (also before subscribing)."""
    if await _refuse_non_admin(update, context):
        return
    chat = await _ensure_chat(update, context)
    await _show(update, context, Draft.for_chat(chat, "edit", "language"), chat)


async def stop(update: Update, context: BotContext) -> None:
    """/stop: ask for confirmation before deleting the subscription."""
    if await _refuse_non_admin(update, context):
        return
    chat = await _ensure_chat(update, context)
    _ = context.services.i18n.get(chat.locale)
    assert update.effective_message is not None
    if not chat.subscribed:
        await update.effective_message.reply_text(_("You are not subscribed."))
        return
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, stop"), callback_data=f"{STOP_PREFIX}:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data=f"{STOP_PREFIX}:no"),
            ]
        ]
    )
    question = await update.effective_message.reply_text(
        _("Do you want to stop? Your municipality, neighbourhood and topics will be deleted."),
        reply_markup=markup,
    )
    # An anonymous admin's own account is unknown; their press (and any other admin's) comes
    # from a real one, and stop_button checks that it is an admin's.
    prompts.bind(context, question, for_chat=is_anonymous_admin(update))


async def stop_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    if not await prompts.claim(update, context, STOP_PREFIX):
        return
    if await _refuse_non_admin(update, context):
        return
    prompts.release(context, STOP_PREFIX)
    chat = await _ensure_chat(update, context)
    _ = context.services.i18n.get(chat.locale)
    if query.data == f"{STOP_PREFIX}:yes" and chat.subscribed:
        services = context.services
        # Its votes and shares stay as anonymous counts, no longer linkable to the chat.
        await services.feedback.unlink_chat(chat.chat_id)
        await services.chats.unsubscribe(chat.chat_id)
        for key in (WIZARD_KEY, FINISHED_KEY):
            context.chat_data.pop(key, None)  # type: ignore[union-attr]
        # What the person was in the middle of in this chat ends with the subscription.
        end_conversations(context.application, user.id, chat.chat_id)
        if chat.kind == "private":
            context.application.drop_user_data(user.id)
        await complete_erasure(context.application, chat_ids=[chat.chat_id])
        await query.edit_message_text(
            _("You have been unsubscribed and your settings are deleted. Come back any time.")
        )
    elif query.data == f"{STOP_PREFIX}:yes":
        await query.edit_message_text(_("You are not subscribed."))
    else:
        await query.edit_message_text(_("Good, nothing has changed."))
    await query.answer()


async def wizard_button(update: Update, context: BotContext) -> None:
    """Every wizard press: check the admin role and the nonce, then apply the action."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if await _refuse_non_admin(update, context):
        return
    chat = await _ensure_chat(update, context)
    _ = context.services.i18n.get(chat.locale)
    _prefix, nonce, action = [*query.data.split(":", 2), "", ""][:3]
    verb, _sep, arg = action.partition(":")
    draft = Draft.from_dict(context.chat_data.get(WIZARD_KEY))  # type: ignore[union-attr]
    message = query.message
    if (
        draft is None
        or draft.nonce != nonce
        or message is None
        or draft.message_id != message.message_id
        or verb not in STEP_VERBS[draft.step]
    ):
        if message is not None and _is_finished_wizard(context, nonce, message.message_id):
            await query.answer()  # a double tap: nothing to change, the message says so
        else:
            await prompts.refuse_outdated(update, context)
        return
    config = context.services.config
    municipality = config.municipality(draft.municipality)
    chats = context.services.chats

    async def save() -> Chat:
        assert draft is not None and draft.municipality is not None
        await chats.subscribe(
            chat.chat_id,
            municipality=draft.municipality,
            neighbourhood=draft.neighbourhood,
            topics=frozenset(draft.topics),
            locale=chat.locale,
            coordinator=draft.coordinator and chat.kind == "private",
        )
        saved = await chats.get(chat.chat_id)
        assert saved is not None
        return saved

    if verb == "mun" and (chosen := config.municipality(arg)) is not None:
        draft.municipality, draft.neighbourhood = chosen.slug, None
        if chosen.neighbourhoods:
            draft.step = "neighbourhood"
        elif draft.mode == "new":
            draft.step = "topics"
        else:
            chat, draft.step = await save(), "menu"
    elif verb == "hood" and municipality is not None:
        if arg != "all" and not (arg.isdigit() and int(arg) < len(municipality.neighbourhoods)):
            await prompts.refuse_outdated(update, context)
            return
        draft.neighbourhood = None if arg == "all" else municipality.neighbourhoods[int(arg)]
        if draft.mode == "new":
            draft.step = "topics"
        else:
            chat, draft.step = await save(), "menu"
    elif verb == "topic" and arg in TOPICS:
        draft.toggle(arg)
    elif verb == "coordinator" and chat.kind == "private":
        draft.coordinator = not draft.coordinator
    elif verb == "topics_done":
        if not draft.topics:
            await query.answer(_("Choose at least one topic."), show_alert=True)
            return
        chat = await save()
        if draft.mode == "new":
            _finish(context, draft)
            finished = await query.edit_message_text(
                _finished(_, context, chat),
                parse_mode=ParseMode.HTML,
                # After /start in a private chat: the way into the advice request.
                reply_markup=advice_start_markup(_, config.municipality(chat.municipality))
                if chat.kind == "private"
                else None,
            )
            prompts.bind(context, finished)
            await query.answer()
            return
        draft.step = "menu"
    elif verb == "lang" and arg in context.services.i18n.available:
        await chats.set_locale(chat.chat_id, arg)
        refreshed = await chats.get(chat.chat_id)
        assert refreshed is not None
        chat, draft.step = refreshed, ("menu" if chat.subscribed else "language")
        if not chat.subscribed:
            _finish(context, draft)
            _ = context.services.i18n.get(chat.locale)
            await query.edit_message_text(
                _("Language set to {name}.", name=LANGUAGE_NAMES.get(arg, arg))
            )
            await query.answer()
            return
    elif verb == "menu" and arg in ("municipality", "neighbourhood", "topics", "language"):
        draft.step = arg  # type: ignore[assignment]
    elif verb == "menu" and arg == "done":
        _finish(context, draft)
        await query.edit_message_text(_finished(_, context, chat), parse_mode=ParseMode.HTML)
        await query.answer()
        return
    else:
        await prompts.refuse_outdated(update, context)
        return
    await _show(update, context, draft, chat)
    # Answered after the edit, so whoever waits for the answer sees the new step.
    await query.answer()


def _finished(_: Translator, context: BotContext, chat: Chat) -> str:
    config = context.services.config
    return "\n".join(
        [
            _("<b>You are subscribed.</b>"),
            summary(_, config, chat),
            "",
            _(
                "You will receive short prevention messages on these topics throughout the year. "
                "Change them with /settings, stop with /stop."
            ),
        ]
    )


def register(app: BotApplication) -> None:
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    # /start reads its deep-link payload (gem_<slug>) itself, so one handler serves both.
    app.add_handler(CommandHandler("start", start, filters=private))
    # "Aanmelden" is what a Dutch resident calls subscribing (and what the group's /help shows):
    # in a private chat it is /start.
    app.add_handler(CommandHandler(["subscribe", "aanmelden"], start, filters=private))
    app.add_handler(CommandHandler("start", start_in_group, filters=groups))
    app.add_handler(CommandHandler(["subscribe", "aanmelden"], subscribe_group, filters=groups))
    app.add_handler(CommandHandler(["settings", "instellingen"], settings))
    app.add_handler(CommandHandler(["language", "taal"], language))
    app.add_handler(CommandHandler("stop", stop))
    app.add_handler(CallbackQueryHandler(wizard_button, pattern=rf"^{CALLBACK_PREFIX}:"))
    app.add_handler(CallbackQueryHandler(stop_button, pattern=rf"^{STOP_PREFIX}:(yes|no)$"))
