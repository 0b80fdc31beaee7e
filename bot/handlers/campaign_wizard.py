"""The /campaign (/campagne) wizard by which communication advisers write a new campaign.

A persistent ConversationHandler (name "campaign"): text (or a photo with a caption), the
language of that text and, per other language, a text of its own or the same one; the audience
(with the number of chats); the moment (with a choice when private chats would be held by the
quiet hours); and a preview sent with the very sender the engine uses, every language checked
first (bot/handlers/preview.py), so the preview is the delivered message, followed by a
summary with the number of chats per language. The draft is plain JSON in user_data. Every step
and every button checks the role again (bot.auth.guard); callback data carries only ids and
indexes into the configuration. The same conversation also
carries the dialogs that buttons under /campaigns start: reschedule (bot.handlers.campaigns) and
a new text for a campaign that has not gone out yet.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advisers import campaigns
from bot.advisers.campaigns import approvers, is_upcoming, release_text
from bot.advisers.moments import parse_moment, suggested_moments
from bot.advisers.texts import scope_text
from bot.auth import Roles, guard, user_roles
from bot.config import Config
from bot.files import open_output, private_folder
from bot.handlers import conversation, prompts
from bot.handlers.campaigns import (
    PREFIX,
    RESCHEDULE,
    RESCHEDULE_KEY,
    ask_approval,
    campaign_for,
    moment_problem_text,
    on_reschedule,
    on_reschedule_text,
)
from bot.handlers.conversation import END, persistent_conversation, refuse_text, send, spend
from bot.handlers.preview import preview
from bot.i18n import Translator, count_chats
from bot.services import BotApplication, BotContext
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
OTHER_LANGUAGE = "other_language"
LOCALE_TEXT = "locale_text"
AUDIENCE = "audience"
MOMENT = "moment"
QUIET = "quiet"
PREVIEW = "preview"
CHANGE = "change"

Draft = dict[str, Any]


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _draft(context: BotContext) -> Draft:
    draft = conversation.draft(context, DRAFT_KEY)
    if "texts" in draft and "sources" not in draft:
        # Persisted by the version before languages were asked (mid-wizard across an upgrade).
        texts = draft["texts"]
        first = {text: loc for loc, text in reversed(texts.items())}  # a shared text: its first
        draft.update(
            sources={loc: first[text] for loc, text in texts.items()}, pending=[], campaign_id=None
        )
    return draft


def _audience(draft: Draft) -> Audience:
    return Audience(
        municipalities=frozenset(draft["municipalities"]),
        topic=None if draft["topic"] == "all" else draft["topic"],
        kinds=KINDS[draft["kinds"]],
        neighbourhoods=frozenset(draft["neighbourhoods"]) or None,
    )


def _content(draft: Draft) -> Content:
    return Content(draft["texts"], Path(draft["image"]) if draft.get("image") else None)


def _language(locale: str) -> str:
    return LANGUAGE_NAMES.get(locale, locale)


async def _checked(update: Update, context: BotContext, action: str) -> Roles | None:
    """The role check of every step: the draft's municipalities must still be in scope."""
    draft = _draft(context)
    return await guard(
        update, context, f"campaign.{action}", municipalities=draft.get("municipalities", ())
    )


def _new_draft(scope: frozenset[str]) -> Draft:
    """An adviser of one municipality starts with it; anyone with more starts with none, so a
    campaign never reaches the whole region by accident."""
    municipalities = sorted(scope)
    return {
        "texts": {},
        "sources": {},
        "pending": [],
        "first_text": "",
        "image": None,
        "municipalities": municipalities if len(municipalities) == 1 else [],
        "last": None,
        "kinds": "both",
        "topic": "all",
        "neighbourhoods": [],
        "due": None,
        "editing": False,
        "campaign_id": None,
    }


# --- 1. text ---------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str | int:
    """/campaign, /campagne: a new draft, scoped to the adviser's municipalities."""
    roles = await guard(update, context, "campaign.start")
    if not roles:
        return END
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = _new_draft(roles.municipalities)
    return await _ask_text(update, context)


async def _ask_text(update: Update, context: BotContext) -> str:
    _ = await context.translator(update)
    campaign_id = _draft(context).get("campaign_id")
    header = (
        _("<b>New text for campaign #{id}</b>", id=campaign_id)
        if campaign_id
        else _("<b>New campaign</b>")
    )
    await send(
        update,
        context,
        header
        + "\n"
        + _(
            "Send the text of the message. Bold, italics and links are kept. You may also send "
            "a photo with the text as its caption (at most 1024 characters). /cancel stops at "
            "any moment."
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
    if draft.get("image"):
        limit = MessageLimit.CAPTION_LENGTH
    if await refuse_text(update, context, html, limit):
        return TEXT
    # Only an accepted photo is kept: one refused for its caption must not ride along with the
    # text the adviser sends instead.
    if message.photo:
        draft["image"] = str(await _save_photo(context, message))
    locales = context.services.i18n.available
    if len(locales) == 1:
        draft["texts"], draft["sources"] = {locales[0]: html}, {locales[0]: locales[0]}
        return await _after_text(update, context, draft)
    draft["first_text"] = html
    # Never assumed: an English text must not reach Dutch readers as if it were Dutch.
    await send(
        update,
        context,
        _("In which language did you write this text?"),
        InlineKeyboardMarkup(
            [[_button(_language(loc), f"lang:{i}") for i, loc in enumerate(locales)]]
        ),
    )
    return LANGUAGES


async def on_not_a_photo(update: Update, context: BotContext) -> str:
    """A file, sticker or voice message where the text or photo is asked: say what works (a
    poster sent "as a file" keeps its quality in the client, but goes out only as a photo)."""
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "I can only use a text, or a photo with the text as its caption. Send a picture as "
            "a photo, not as a file. /cancel stops."
        )
    )
    return TEXT


async def _save_photo(context: BotContext, message: Message) -> Path:
    """Keep the photo next to the database (the engine sends campaigns from a file), in a
    folder and file only the bot's user can read."""
    folder = private_folder(context.services.config.storage.media_dir)
    path = folder / f"campaign-{uuid.uuid4().hex}.jpg"
    file = await context.bot.get_file(message.photo[-1].file_id)
    with open_output(path, force=False, binary=True) as out:
        await file.download_to_memory(out)
    return path


# --- 2. languages ----------------------------------------------------------------------------


async def on_language(update: Update, context: BotContext) -> str | int:
    """lang:<index>: the language the first text is written in."""
    if not await _checked(update, context, "languages"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    locales = context.services.i18n.available
    index = int(query.data.rsplit(":", 1)[1])
    if index >= len(locales):
        await query.answer()
        return LANGUAGES
    await spend(update)
    draft = _draft(context)
    first = locales[index]
    draft["texts"], draft["sources"] = {first: draft.pop("first_text", "")}, {first: first}
    draft["pending"] = [loc for loc in locales if loc != first]
    return await _ask_other_language(update, context, draft)


def _first_locale(draft: Draft) -> str:
    """The language of the text the adviser sent first (the one others may share)."""
    return str(next(loc for loc, source in draft["sources"].items() if loc == source))


async def _ask_other_language(update: Update, context: BotContext, draft: Draft) -> str:
    if not draft["pending"]:
        return await _after_text(update, context, draft)
    _ = await context.translator(update)
    other, first = _language(draft["pending"][0]), _language(_first_locale(draft))
    await send(
        update,
        context,
        _(
            "Readers who chose {other}: do you want to write the text in {other}, or send them "
            "the {first} text?",
            other=other,
            first=first,
        ),
        InlineKeyboardMarkup(
            [
                [_button(_("Write it in {language}", language=other), "o:write")],
                [_button(_("Send them the {language} text", language=first), "o:same")],
            ]
        ),
    )
    return OTHER_LANGUAGE


async def on_other_language(update: Update, context: BotContext) -> str | int:
    """o:write asks for the text in the next language; o:same gives them the first text."""
    if not await _checked(update, context, "languages"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    await spend(update)
    draft = _draft(context)
    if query.data.endswith(":write"):
        _ = await context.translator(update)
        await send(
            update,
            context,
            _("Now send the text in {language}.", language=_language(draft["pending"][0])),
        )
        return LOCALE_TEXT
    locale, first = draft["pending"].pop(0), _first_locale(draft)
    draft["texts"][locale], draft["sources"][locale] = draft["texts"][first], first
    return await _ask_other_language(update, context, draft)


async def on_locale_text(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "text"):
        return END
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft(context)
    limit = MessageLimit.CAPTION_LENGTH if draft.get("image") else MessageLimit.MAX_TEXT_LENGTH
    if await refuse_text(update, context, message.text_html, limit):
        return LOCALE_TEXT
    locale = draft["pending"].pop(0)
    draft["texts"][locale], draft["sources"][locale] = message.text_html, locale
    return await _ask_other_language(update, context, draft)


async def _after_text(update: Update, context: BotContext, draft: Draft) -> str:
    if draft["editing"]:
        return await _preview(update, context, draft)
    return await _show_audience(update, context, draft, new=True)


# --- 3. audience -----------------------------------------------------------------------------


def _kind_names(_: Translator) -> dict[str, str]:
    return {"both": _("Both"), "private": _("Private chats"), "group": _("Groups")}


def _topic_names(_: Translator) -> dict[str, str]:
    return {"all": _("All topics")} | {key: _(name) for key, name in TOPICS.items()}


def audience_text(_: Translator, config: Config, draft: Draft) -> str:
    """Municipalities with the chosen neighbourhoods, e.g. 'Enschede (Oost, West)'."""
    names = scope_text(_, config, draft["municipalities"]) if draft["municipalities"] else "–"
    if draft["neighbourhoods"]:
        return f"{names} ({', '.join(draft['neighbourhoods'])})"
    return names


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
        shortcuts = [_button(_("All my municipalities"), "m:all")]
        last = config.municipality(draft.get("last"))
        if last is not None and last.slug in chosen and len(chosen) > 1:
            shortcuts.append(_button(_("Only {name}", name=last.name), "m:only"))
        rows.append(shortcuts)
    only = config.municipality(draft["municipalities"][0]) if len(chosen) == 1 else None
    if only is not None and only.neighbourhoods:
        hoods = [
            _button(("✅ " if h in draft["neighbourhoods"] else "⬜ ") + h, f"h:{i}")
            for i, h in enumerate(only.neighbourhoods)
        ]
        rows += [hoods[i : i + 3] for i in range(0, len(hoods), 3)]
    kind_names = _kind_names(_)
    rows.append(
        [
            _button(("🔘 " if draft["kinds"] == key else "") + name, f"k:{key}")
            for key, name in kind_names.items()
        ]
    )
    topic_names = _topic_names(_)
    topics = [
        _button(("🔘 " if draft["topic"] == key else "") + name, f"t:{key}")
        for key, name in topic_names.items()
    ]
    rows += [topics[i : i + 2] for i in range(0, len(topics), 2)]
    rows.append([_button(_("Next"), "next"), _button(_("Cancel"), "cancel")])
    count = await context.services.outbox.audience_size(_audience(draft)) if chosen else 0
    lines = [_("<b>Who should receive it?</b>")]
    if not chosen:
        lines.append(_("Tap the municipalities it is for."))
    lines += [
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
    return "\n".join(lines), InlineKeyboardMarkup(rows)


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


AUDIENCE_FIELDS = ("municipalities", "neighbourhoods", "kinds", "topic", "last")


async def on_audience(update: Update, context: BotContext) -> str | int:
    """A toggle: municipality (m:<index>|all|only), neighbourhood (h:<index>), kinds, topic.

    A press that changes nothing (the option is already chosen) is only answered: the screen
    stays as it is, and so does the draft.
    """
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, what, value = query.data.split(":", 2)
    draft = _draft(context)
    before = {key: draft.get(key) for key in AUDIENCE_FIELDS}
    config = context.services.config
    chosen = set(draft["municipalities"])
    if what == "m":
        roles = await guard(update, context, "campaign.audience")
        if not roles:
            return END
        if value == "all":
            chosen = set(roles.municipalities)
        elif value == "only" and draft.get("last") in chosen:
            chosen = {draft["last"]}
        elif value.isdigit() and int(value) < len(config.municipalities):
            slug = config.municipalities[int(value)].slug
            if slug in roles.municipalities:
                chosen ^= {slug}
                draft["last"] = slug if slug in chosen else draft.get("last")
        draft["municipalities"] = sorted(chosen)
        if draft["municipalities"] != before["municipalities"]:
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
    if {key: draft.get(key) for key in AUDIENCE_FIELDS} == before:
        await query.answer()
        return AUDIENCE
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


def _quiet_release(context: BotContext, draft: Draft) -> datetime | None:
    """When the quiet hours end, if the moment falls in them and private chats are in the
    audience (the engine holds those; groups get it at the moment itself)."""
    if "private" not in KINDS[draft["kinds"]]:
        return None
    services = context.services
    return services.config.quiet_release(_due(draft) or services.now())


async def _moment_chosen(update: Update, context: BotContext, due: datetime | None) -> str:
    draft = _draft(context)
    draft["due"] = due.isoformat() if due else None
    release = _quiet_release(context, draft)
    if release is None or "group" not in KINDS[draft["kinds"]]:
        return await _preview(update, context, draft)
    # Private chats would wait for the morning while groups get it at once: let the adviser
    # choose instead of finding out afterwards.
    _ = await context.translator(update)
    delivery = context.services.config.delivery
    at = _.fmt_datetime(release, "HH:mm")
    split = (
        _("Groups now, private chats at {release}", release=at)
        if due is None
        else _(
            "Groups at {time}, private chats at {release}",
            time=_.fmt_datetime(due, "HH:mm"),
            release=at,
        )
    )
    await send(
        update,
        context,
        _(
            "That is in the quiet hours ({start}-{end}): private chats get messages only from "
            "{end}. When should the groups get it?",
            start=delivery.quiet_hours_start,
            end=delivery.quiet_hours_end,
        ),
        InlineKeyboardMarkup(
            [
                [_button(split, "q:split")],
                [_button(_("Everyone at {release}", release=at), "q:morning")],
            ]
        ),
    )
    return QUIET


async def on_quiet(update: Update, context: BotContext) -> str | int:
    """q:split keeps the moment (private chats are held); q:morning moves it for everyone."""
    if not await _checked(update, context, "moment"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    await spend(update)
    draft = _draft(context)
    release = _quiet_release(context, draft)
    if query.data.endswith(":morning") and release is not None:
        draft["due"] = release.isoformat()
    return await _preview(update, context, draft)


# --- 5. preview ------------------------------------------------------------------------------


def _due(draft: Draft) -> datetime | None:
    return datetime.fromisoformat(draft["due"]) if draft.get("due") else None


def _written(draft: Draft) -> list[str]:
    """The languages with a text of their own, the first written first."""
    return [loc for loc, source in draft["sources"].items() if loc == source]


async def _language_lines(context: BotContext, _: Translator, draft: Draft) -> list[str]:
    """One line per language: whose text its readers get and how many chats they are."""
    services = context.services
    per_locale = await services.outbox.audience_locales(_audience(draft))
    known = services.i18n.available
    # A chat in a language without a catalogue gets the default language's text.
    per_locale[services.i18n.default] = per_locale.get(services.i18n.default, 0) + sum(
        n for loc, n in per_locale.items() if loc not in known
    )
    lines = []
    for locale in known:
        source = draft["sources"].get(locale, locale)
        chats = count_chats(_, per_locale.get(locale, 0))
        lines.append(
            _("• {language}: own text, {chats}", language=_language(locale), chats=chats)
            if source == locale
            else _(
                "• {language}: the {source} text, {chats}",
                language=_language(locale),
                source=_language(source),
                chats=chats,
            )
        )
    return lines


async def _approval_line(context: BotContext, _: Translator, draft: Draft, author: int) -> str:
    services = context.services
    if not services.config.campaigns.require_approval:
        return ""
    possible = await approvers(services, author, draft["municipalities"])
    if not possible:
        return _(
            "⚠️ This campaign needs approval, but nobody else can approve it: that takes "
            "another adviser for {audience}, or an admin. Ask an admin to invite one, or change "
            "the audience.",
            audience=scope_text(_, services.config, draft["municipalities"]),
        )
    return _.ngettext(
        "It needs approval: {n} person can approve it.",
        "It needs approval: {n} people can approve it.",
        len(possible),
    )


async def _preview(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    services = context.services
    draft["editing"] = False
    refusal = await preview(context, _, chat.id, _content(draft), "campaign")
    if refusal is not None:
        await context.bot.send_message(chat.id, refusal)
        draft["editing"] = True
        return await _ask_text(update, context)
    due = _due(draft)
    audience = _audience(draft)
    topic_names = _topic_names(_)
    lines = [
        _("👆 This is the message exactly as recipients will see it.")
        if len(_written(draft)) == 1
        else _("👆 These are the messages exactly as recipients will see them, one per language."),
        *await _language_lines(context, _, draft),
        _(
            "Audience: {audience}; {kinds}; {topic}. Together <b>{chats}</b>.",
            audience=audience_text(_, services.config, draft),
            kinds={
                "both": _("private chats and groups"),
                "private": _("private chats only"),
                "group": _("groups only"),
            }[draft["kinds"]],
            topic=_("every topic")
            if draft["topic"] == "all"
            else _("topic: {name}", name=topic_names[draft["topic"]]),
            chats=count_chats(_, await services.outbox.audience_size(audience)),
        ),
        release_text(_, services, due or services.now(), audience.kinds),
    ]
    if approval := await _approval_line(context, _, draft, user.id):
        lines.append(approval)
    editing = bool(draft.get("campaign_id"))
    first_row = (
        [_button(_("Save the new text"), "ok")]
        if editing
        else [_button(_("Confirm"), "ok"), _button(_("Change"), "chg")]
    )
    markup = InlineKeyboardMarkup(
        [first_row, [_button(_("Test send"), "test"), _button(_("Cancel"), "cancel")]]
    )
    prompts.bind(
        context,
        await context.bot.send_message(
            chat.id, "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup
        ),
    )
    return PREVIEW


async def on_test_send(update: Update, context: BotContext) -> str | int:
    """Every language version to the adviser only, through the engine's sender."""
    if not await _checked(update, context, "test"):
        return END
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    _ = await context.translator(update)
    refusal = await preview(context, _, chat.id, _content(_draft(context)), "campaign")
    await query.answer(refusal or _("Sent to you only."), show_alert=bool(refusal))
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
    user, query = update.effective_user, update.callback_query
    assert user is not None and query is not None and context.user_data is not None
    _ = await context.translator(update)
    services = context.services
    draft = _draft(context)
    approval = services.config.campaigns.require_approval
    if approval and not await approvers(services, user.id, draft["municipalities"]):
        # Refused at once rather than saved to wait forever; the preview stays usable.
        await query.answer()
        await send(
            update,
            context,
            _(
                "I have not saved it: nobody else can approve a campaign for {audience}. Ask an "
                "admin to invite another adviser for it (or to approve it as admin), or change "
                "the audience with Change.",
                audience=scope_text(_, services.config, draft["municipalities"]),
            ),
        )
        return PREVIEW
    if draft.get("campaign_id"):
        return await _save_new_text(update, context, draft)
    await spend(update)
    due = _due(draft)
    now = services.now()
    if due is not None and due <= now:
        await send(update, context, moment_problem_text(_, "past"))
        return await _ask_moment(update, context, draft)
    campaign = await campaigns.create(
        services, user.id, _content(draft), _audience(draft), due or now
    )
    context.user_data.pop(DRAFT_KEY, None)
    if approval:
        await send(update, context, await _approval_asked_text(context, _, campaign.id))
        return END
    await send(
        update,
        context,
        _(
            "Campaign #{id} is saved. {release} /campaigns shows it; you can still cancel, "
            "reschedule or change it there until it goes out.",
            id=campaign.id,
            release=release_text(_, services, campaign.due_at, campaign.audience.kinds),
        ),
    )
    return END


async def _approval_asked_text(context: BotContext, _: Translator, campaign_id: int) -> str:
    """Ask the approvers; say how many were asked, and warn when none could be reached."""
    campaign = await context.services.campaigns.get(campaign_id)
    assert campaign is not None
    asked = await ask_approval(context, campaign)
    if asked:
        return _.ngettext(
            "Campaign #{id} is saved and waits for approval; I asked {n} person. "
            "/campaigns shows its status.",
            "Campaign #{id} is saved and waits for approval; I asked {n} people. "
            "/campaigns shows its status.",
            asked,
            id=campaign.id,
        )
    return _(
        "Campaign #{id} is saved and waits for approval, but I could not ask anyone: those who "
        "may approve it have not started a chat with me yet. Ask them to send me /start and "
        "then look at /campaigns.",
        id=campaign.id,
    )


async def on_edit_campaign(update: Update, context: BotContext) -> str | int:
    """ed:<id> under /campaigns: a new text for a campaign that has not gone out yet."""
    campaign = await campaign_for(update, context, "edit")
    if campaign is None:
        return END
    query = update.callback_query
    assert query is not None and context.user_data is not None
    if not await is_upcoming(context.services, campaign):
        _ = await context.translator(update)
        await query.answer(
            _("Campaign #{id} can no longer be changed.", id=campaign.id), show_alert=True
        )
        return END
    audience = campaign.audience
    kinds = next(key for key, value in KINDS.items() if value == audience.kinds)
    context.user_data[DRAFT_KEY] = _new_draft(audience.municipalities) | {
        "kinds": kinds,
        "topic": audience.topic or "all",
        "neighbourhoods": sorted(audience.neighbourhoods or ()),
        "due": campaign.due_at.isoformat(),
        "editing": True,
        "campaign_id": campaign.id,
    }
    await spend(update)
    return await _ask_text(update, context)


async def _save_new_text(update: Update, context: BotContext, draft: Draft) -> int:
    """The new text replaces the old one while the campaign has not gone out; with four-eyes
    approval it waits for approval again, because what was approved was the old text."""
    user = update.effective_user
    assert user is not None and context.user_data is not None
    _ = await context.translator(update)
    services = context.services
    await spend(update)
    campaign = await services.campaigns.get(int(draft["campaign_id"]))
    context.user_data.pop(DRAFT_KEY, None)
    if campaign is None or not await is_upcoming(services, campaign):
        ident = draft["campaign_id"]
        await send(update, context, _("Campaign #{id} can no longer be changed.", id=ident))
        return END
    outcome = await campaigns.new_text(services, user.id, campaign, _content(draft))
    if outcome == "gone":
        await send(update, context, _("Campaign #{id} has already gone out.", id=campaign.id))
        return END
    if outcome == "approval":
        await send(update, context, await _approval_asked_text(context, _, campaign.id))
        return END
    await send(
        update,
        context,
        _(
            "Campaign #{id} has the new text. {release}",
            id=campaign.id,
            release=release_text(_, services, campaign.due_at, campaign.audience.kinds),
        ),
    )
    return END


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
                # From the /campaigns list: bound to the campaign row (role and state checked).
                conversation.press(PREFIX, on_reschedule, r"rs:\d+", bound=False),
                conversation.press(PREFIX, on_edit_campaign, r"ed:\d+", bound=False),
            ],
            states={
                TEXT: [
                    MessageHandler((text | filters.PHOTO) & filters.ChatType.PRIVATE, on_text),
                    MessageHandler(filters.ATTACHMENT & filters.ChatType.PRIVATE, on_not_a_photo),
                ],
                LANGUAGES: [_press(on_language, r"lang:\d+"), buttons_only],
                OTHER_LANGUAGE: [_press(on_other_language, "o:(write|same)"), buttons_only],
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
                QUIET: [_press(on_quiet, "q:(split|morning)"), buttons_only],
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
