"""The /campaign (/campagne) wizard by which communication advisers write a new campaign.

A persistent ConversationHandler (name "campaign"): text (or a photo with a caption), languages,
audience (with the number of chats), moment, and a preview sent with the very sender the engine
uses, so the preview is the delivered message. The draft is plain JSON in user_data. Every step
and every button checks the role again (bot.auth.guard); callback data carries only ids and
indexes into the configuration. The same conversation also carries the reschedule dialog that a
button under /campaigns starts (bot.handlers.campaigns).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advisers.broadcasts import schedule_campaign
from bot.advisers.moments import parse_moment, suggested_moments
from bot.advisers.texts import scope_text
from bot.auth import Roles, guard, user_roles
from bot.handlers import conversation
from bot.handlers.campaigns import (
    PREFIX,
    RESCHEDULE,
    RESCHEDULE_KEY,
    ask_approval,
    moment_problem_text,
    on_reschedule,
    on_reschedule_text,
    send_as_recipients_see_it,
)
from bot.handlers.conversation import END, persistent_conversation, send, spend
from bot.i18n import Translator, count_chats
from bot.services import BotApplication, BotContext
from bot.storage.campaigns import Campaign
from bot.subscription import LANGUAGE_NAMES, TOPICS
from scheduler.delivery import Audience, Content

DRAFT_KEY = "campaign_draft"
KINDS = {
    "both": frozenset({"private", "group"}),
    "private": frozenset({"private"}),
    "group": frozenset({"group"}),
}

# Conversation states (strings: PTB persists them as JSON); RESCHEDULE is bot.handlers.campaigns'.
TEXT = "text"
LANGUAGES = "languages"
LOCALE_TEXT = "locale_text"
AUDIENCE = "audience"
MOMENT = "moment"
PREVIEW = "preview"
CHANGE = "change"

Draft = dict[str, Any]


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _draft(context: BotContext) -> Draft:
    return conversation.draft(context, DRAFT_KEY)


def _audience(draft: Draft) -> Audience:
    return Audience(
        municipalities=frozenset(draft["municipalities"]),
        topic=None if draft["topic"] == "all" else draft["topic"],
        kinds=KINDS[draft["kinds"]],
        neighbourhoods=frozenset(draft["neighbourhoods"]) or None,
    )


def _content(draft: Draft) -> Content:
    return Content(draft["texts"], Path(draft["image"]) if draft.get("image") else None)


def _moment_text(_: Translator, due: datetime | None) -> str:
    return _.fmt_datetime(due, "d MMMM y HH:mm") if due else _("now")


async def _checked(update: Update, context: BotContext, action: str) -> Roles | None:
    """The role check of every step: the draft's municipalities must still be in scope."""
    draft = _draft(context)
    return await guard(
        update, context, f"campaign.{action}", municipalities=draft.get("municipalities", ())
    )


# --- 1. text ---------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str | int:
    """/campaign, /campagne: a new draft, scoped to the adviser's municipalities."""
    roles = await guard(update, context, "campaign.start")
    if not roles:
        return END
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {
        "texts": {},
        "image": None,
        "ask_locales": [],
        "municipalities": sorted(roles.municipalities),
        "kinds": "both",
        "topic": "all",
        "neighbourhoods": [],
        "due": None,
        "editing": False,
    }
    return await _ask_text(update, context)


async def _ask_text(update: Update, context: BotContext) -> str:
    _ = await context.translator(update)
    await send(
        update,
        context,
        _(
            "<b>New campaign</b>\nSend the text of the message. Bold, italics and links are kept. "
            "You may also send a photo with the text as its caption (at most 1024 characters). "
            "/cancel stops at any moment."
        ),
    )
    return TEXT


def _text_of(message: Message) -> tuple[str, int]:
    """The adviser's own formatting as HTML, and the limit that applies to it."""
    if message.photo:
        return message.caption_html or "", MessageLimit.CAPTION_LENGTH
    return message.text_html or "", MessageLimit.MAX_TEXT_LENGTH


async def on_text(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "text"):
        return END
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    draft = _draft(context)
    html, limit = _text_of(message)
    if not html.strip():
        await message.reply_text(_("A photo needs the text as its caption. Please send it again."))
        return TEXT
    if message.photo:
        draft["image"] = str(await _save_photo(context, message))
    if draft.get("image"):
        limit = MessageLimit.CAPTION_LENGTH
    if len(message.caption or message.text or "") > limit:
        await message.reply_text(
            _("That text is too long: at most {limit} characters. Please shorten it.", limit=limit)
        )
        return TEXT
    draft["texts"] = {"*": html}
    locales = context.services.i18n.available
    if len(locales) == 1:
        return await _languages_done(update, context, draft, one=True)
    markup = InlineKeyboardMarkup(
        [
            [_button(_("One text for all languages"), "lang:one")],
            [_button(_("A text per language"), "lang:each")],
        ]
    )
    await message.reply_text(
        _("Is this text for everyone, or do you want to write it in each language?"),
        reply_markup=markup,
    )
    return LANGUAGES


async def _save_photo(context: BotContext, message: Message) -> Path:
    """Keep the photo next to the database: the engine sends campaigns from a file."""
    folder = Path(context.services.config.storage.path).parent / "media"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"campaign-{uuid.uuid4().hex}.jpg"
    file = await context.bot.get_file(message.photo[-1].file_id)
    await file.download_to_drive(path)
    return path


# --- 2. languages ----------------------------------------------------------------------------


async def on_languages(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "languages"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    await spend(update)
    return await _languages_done(update, context, _draft(context), one=query.data.endswith("one"))


async def _languages_done(update: Update, context: BotContext, draft: Draft, one: bool) -> str:
    services = context.services
    text = draft["texts"].pop("*")
    if one:
        draft["texts"] = dict.fromkeys(services.i18n.available, text)
        return await _after_text(update, context, draft)
    draft["texts"] = {services.i18n.default: text}
    draft["ask_locales"] = [loc for loc in services.i18n.available if loc != services.i18n.default]
    return await _ask_locale(update, context, draft)


async def _ask_locale(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    locale = draft["ask_locales"][0]
    await send(
        update,
        context,
        _(
            "The text you sent is for {first}. Now send the text in {language}.",
            first=LANGUAGE_NAMES.get(context.services.i18n.default, context.services.i18n.default),
            language=LANGUAGE_NAMES.get(locale, locale),
        ),
    )
    return LOCALE_TEXT


async def on_locale_text(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "text"):
        return END
    message = update.effective_message
    assert message is not None and message.text is not None
    _ = await context.translator(update)
    draft = _draft(context)
    limit = MessageLimit.CAPTION_LENGTH if draft.get("image") else MessageLimit.MAX_TEXT_LENGTH
    if len(message.text) > limit:
        await message.reply_text(
            _("That text is too long: at most {limit} characters. Please shorten it.", limit=limit)
        )
        return LOCALE_TEXT
    draft["texts"][draft["ask_locales"].pop(0)] = message.text_html
    if draft["ask_locales"]:
        return await _ask_locale(update, context, draft)
    return await _after_text(update, context, draft)


async def _after_text(update: Update, context: BotContext, draft: Draft) -> str:
    if draft["editing"]:
        return await _preview(update, context, draft)
    return await _show_audience(update, context, draft, new=True)


# --- 3. audience -----------------------------------------------------------------------------


async def _audience_view(
    context: BotContext, _: Translator, draft: Draft, roles: Roles
) -> tuple[str, InlineKeyboardMarkup]:
    config = context.services.config
    scope = [m for m in config.municipalities if m.slug in roles.municipalities]
    chosen = set(draft["municipalities"])
    rows: list[list[InlineKeyboardButton]] = []
    if len(scope) > 1:
        buttons = [
            _button(
                ("✅ " if m.slug in chosen else "⬜ ") + m.name,
                f"m:{config.municipalities.index(m)}",
            )
            for m in scope
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        rows.append([_button(_("All my municipalities"), "m:all")])
    only = config.municipality(draft["municipalities"][0]) if len(chosen) == 1 else None
    if only is not None and only.neighbourhoods:
        hoods = [
            _button(("✅ " if h in draft["neighbourhoods"] else "⬜ ") + h, f"h:{i}")
            for i, h in enumerate(only.neighbourhoods)
        ]
        rows += [hoods[i : i + 3] for i in range(0, len(hoods), 3)]
    kind_names = {"both": _("Both"), "private": _("Private chats"), "group": _("Groups")}
    rows.append(
        [
            _button(("🔘 " if draft["kinds"] == key else "") + name, f"k:{key}")
            for key, name in kind_names.items()
        ]
    )
    topic_names = {"all": _("All topics")} | {key: _(name) for key, name in TOPICS.items()}
    topics = [
        _button(("🔘 " if draft["topic"] == key else "") + name, f"t:{key}")
        for key, name in topic_names.items()
    ]
    rows += [topics[i : i + 2] for i in range(0, len(topics), 2)]
    rows.append([_button(_("Next"), "next"), _button(_("Cancel"), "cancel")])
    count = await context.services.outbox.audience_size(_audience(draft)) if chosen else 0
    text = "\n".join(
        [
            _("<b>Who should receive it?</b>"),
            _("Municipalities: {names}", names=scope_text(_, config, chosen) if chosen else "–"),
            _(
                "Neighbourhoods: {names}",
                names=", ".join(draft["neighbourhoods"]) or _("whole municipality"),
            ),
            _(
                "Chats: {kinds}; topic: {topic}",
                kinds=kind_names[draft["kinds"]],
                topic=topic_names[draft["topic"]],
            ),
            "",
            _("This campaign will reach <b>{chats}</b>.", chats=count_chats(_, count)),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


async def _show_audience(update: Update, context: BotContext, draft: Draft, *, new: bool) -> str:
    _ = await context.translator(update)
    roles = await user_roles(
        context.services, update.effective_user.id if update.effective_user else None
    )
    text, markup = await _audience_view(context, _, draft, roles)
    query = update.callback_query
    if new:
        await send(update, context, text, markup)
    else:
        assert query is not None
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        await query.answer()
    return AUDIENCE


async def on_audience(update: Update, context: BotContext) -> str | int:
    """A toggle: municipality (m:<index>|all), neighbourhood (h:<index>), kinds, topic."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, what, value = query.data.split(":", 2)
    draft = _draft(context)
    config = context.services.config
    chosen = set(draft["municipalities"])
    if what == "m":
        roles = await guard(update, context, "campaign.audience")
        if not roles:
            return END
        if value == "all":
            chosen = set(roles.municipalities)
        elif value.isdigit() and int(value) < len(config.municipalities):
            chosen ^= {config.municipalities[int(value)].slug} & roles.municipalities
        draft["municipalities"] = sorted(chosen)
        draft["neighbourhoods"] = []
    else:
        if not await _checked(update, context, "audience"):
            return END
        if what == "h" and len(chosen) == 1:
            municipality = config.municipality(next(iter(chosen)))
            hoods = municipality.neighbourhoods if municipality else []
            if value.isdigit() and int(value) < len(hoods):
                draft["neighbourhoods"] = sorted(set(draft["neighbourhoods"]) ^ {hoods[int(value)]})
        elif what == "k" and value in KINDS:
            draft["kinds"] = value
        elif what == "t" and (value == "all" or value in TOPICS):
            draft["topic"] = value
    return await _show_audience(update, context, draft, new=False)


async def on_audience_next(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "audience"):
        return END
    draft = _draft(context)
    _ = await context.translator(update)
    if not draft["municipalities"]:
        assert update.callback_query is not None
        await update.callback_query.answer(_("Choose at least one municipality."), show_alert=True)
        return AUDIENCE
    await spend(update)
    if draft["editing"]:
        return await _preview(update, context, draft)
    return await _ask_moment(update, context, draft)


# --- 4. moment -------------------------------------------------------------------------------


async def _ask_moment(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    services = context.services
    suggestions = suggested_moments(
        services.calendar, services.config, draft["municipalities"], services.now()
    )
    rows = [[_button(_("Now"), "now")]] + [
        [_button(_.fmt_datetime(moment, "EEE d MMMM HH:mm"), f"at:{int(moment.timestamp())}")]
        for moment in suggestions
    ]
    await send(
        update,
        context,
        _(
            "<b>When should it go out?</b>\nType a date and time, e.g. "
            "<code>28-12-2026 19:00</code> or <code>tomorrow 19:00</code> (Dutch time), or choose "
            "a moment from the calendar."
        ),
        InlineKeyboardMarkup(rows),
    )
    return MOMENT


async def on_moment_text(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "moment"):
        return END
    message = update.effective_message
    assert message is not None and message.text is not None
    services = context.services
    result = parse_moment(message.text, services.now(), services.config.locale.tz)
    if isinstance(result, str):
        _ = await context.translator(update)
        await message.reply_text(moment_problem_text(_, result))
        return MOMENT
    return await _moment_chosen(update, context, result)


async def on_moment_button(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "moment"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    moment = None
    if not query.data.endswith(":now"):
        tz = context.services.config.locale.tz
        moment = datetime.fromtimestamp(int(query.data.rsplit(":", 1)[1]), tz)
        if moment <= context.services.now():
            _ = await context.translator(update)
            await query.answer(moment_problem_text(_, "past"), show_alert=True)
            return MOMENT
    await spend(update)
    return await _moment_chosen(update, context, moment)


async def _moment_chosen(update: Update, context: BotContext, due: datetime | None) -> str:
    draft = _draft(context)
    draft["due"] = due.isoformat() if due else None
    return await _preview(update, context, draft)


# --- 5. preview ------------------------------------------------------------------------------


def _due(draft: Draft) -> datetime | None:
    return datetime.fromisoformat(draft["due"]) if draft.get("due") else None


async def _preview(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    chat = update.effective_chat
    assert chat is not None
    draft["editing"] = False
    content = _content(draft)
    failure = await send_as_recipients_see_it(context, chat.id, content, [_.locale])
    if failure:
        await context.bot.send_message(
            chat.id,
            _("Telegram refused this message: {reason}. Please change the text.", reason=failure),
        )
        draft["editing"] = True
        return await _ask_text(update, context)
    count = await context.services.outbox.audience_size(_audience(draft))
    markup = InlineKeyboardMarkup(
        [
            [_button(_("Confirm"), "ok"), _button(_("Change"), "chg")],
            [_button(_("Test send"), "test"), _button(_("Cancel"), "cancel")],
        ]
    )
    text = _(
        "👆 This is the message exactly as recipients will see it.\n"
        "Audience: {audience}, <b>{chats}</b>.\nMoment: <b>{moment}</b>.",
        audience=scope_text(_, context.services.config, draft["municipalities"]),
        chats=count_chats(_, count),
        moment=_moment_text(_, _due(draft)),
    )
    await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    return PREVIEW


async def on_test_send(update: Update, context: BotContext) -> str | int:
    """Every language version to the adviser only, through the engine's sender."""
    if not await _checked(update, context, "test"):
        return END
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    _ = await context.translator(update)
    content = _content(_draft(context))
    # One message per distinct text: "one text for all" is sent once.
    locales = list({content.text(loc): loc for loc in sorted(content.texts)}.values())
    failure = await send_as_recipients_see_it(context, chat.id, content, locales)
    await query.answer(failure or _("Sent to you only."), show_alert=bool(failure))
    return PREVIEW


async def on_change(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "change"):
        return END
    _ = await context.translator(update)
    markup = InlineKeyboardMarkup(
        [
            [
                _button(_("Text"), "e:text"),
                _button(_("Audience"), "e:aud"),
                _button(_("Moment"), "e:when"),
            ]
        ]
    )
    await spend(update)
    await send(update, context, _("What do you want to change?"), markup)
    return CHANGE


async def on_edit(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "change"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    draft["editing"] = True
    what = query.data.rsplit(":", 1)[1]
    await spend(update)
    if what == "text":
        draft["image"] = None
        return await _ask_text(update, context)
    if what == "aud":
        return await _show_audience(update, context, draft, new=True)
    return await _ask_moment(update, context, draft)


async def on_confirm(update: Update, context: BotContext) -> int | str:
    roles = await _checked(update, context, "confirm")
    if not roles:
        return END
    user = update.effective_user
    assert user is not None and context.user_data is not None
    _ = await context.translator(update)
    services = context.services
    draft = _draft(context)
    due = _due(draft)
    now = services.now()
    await spend(update)
    if due is not None and due <= now:
        await send(update, context, moment_problem_text(_, "past"))
        return await _ask_moment(update, context, draft)
    approval = services.config.campaigns.require_approval
    campaign = await services.campaigns.create(
        user.id,
        _content(draft),
        _audience(draft),
        due or now,
        "awaiting_approval" if approval else "scheduled",
    )
    context.user_data.pop(DRAFT_KEY, None)
    await services.audit.record(user.id, "campaign.create", str(campaign.id), now=now)
    if approval:
        notified = await ask_approval(context, campaign)
        await send(
            update,
            context,
            _(
                "Campaign #{id} is saved and waits for approval by another adviser or an admin "
                "({n} asked). /campaigns shows its status.",
                id=campaign.id,
                n=notified,
            ),
        )
        return END
    await schedule_campaign(services, campaign)
    await send(update, context, _scheduled_text(_, campaign, due))
    return END


def _scheduled_text(_: Translator, campaign: Campaign, due: datetime | None) -> str:
    if due is None:
        return _("Campaign #{id} is being sent now. /campaigns shows how it goes.", id=campaign.id)
    return _(
        "Campaign #{id} is scheduled for {moment}. /campaigns shows it; you can still cancel "
        "or reschedule it there.",
        id=campaign.id,
        moment=_.fmt_datetime(due, "d MMMM y HH:mm"),
    )


async def cancel(update: Update, context: BotContext) -> int:
    return await conversation.cancel(update, context, DRAFT_KEY, RESCHEDULE_KEY)


def _press(callback: Any, pattern: str) -> CallbackQueryHandler[Any, Any]:
    return conversation.press(PREFIX, callback, pattern)


def register(app: BotApplication) -> None:
    text = filters.TEXT & ~filters.COMMAND
    buttons_only = conversation.buttons_only()
    app.add_handler(
        persistent_conversation(
            "campaign",
            entry_points=[
                CommandHandler(["campaign", "campagne"], start),
                _press(on_reschedule, r"rs:\d+"),
            ],
            states={
                TEXT: [MessageHandler((text | filters.PHOTO) & filters.ChatType.PRIVATE, on_text)],
                LANGUAGES: [_press(on_languages, "lang:(one|each)"), buttons_only],
                LOCALE_TEXT: [MessageHandler(text, on_locale_text)],
                AUDIENCE: [
                    _press(on_audience, r"[mhkt]:[\w-]+"),
                    _press(on_audience_next, "next"),
                    buttons_only,
                ],
                MOMENT: [
                    _press(on_moment_button, r"(now|at:\d+)"),
                    MessageHandler(text, on_moment_text),
                ],
                PREVIEW: [
                    _press(on_confirm, "ok"),
                    _press(on_change, "chg"),
                    _press(on_test_send, "test"),
                    buttons_only,
                ],
                CHANGE: [_press(on_edit, "e:(text|aud|when)"), buttons_only],
                RESCHEDULE: [MessageHandler(text, on_reschedule_text)],
            },
            fallbacks=conversation.cancel_fallbacks(PREFIX, cancel),
        )
    )
