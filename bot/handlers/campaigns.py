"""Campaigns by communication advisers: the /campaign (/campagne) wizard and /campaigns.

The wizard is a persistent ConversationHandler (name "campaign"): text (or a photo with a
caption), languages, audience (with the number of chats), moment, and a preview sent with the very
sender the engine uses, so the preview is the delivered message. The draft is plain JSON in
user_data. Every step and every button checks the role again (bot.auth.guard); callback data
carries only ids and indexes into the configuration.
"""

from __future__ import annotations

import logging
import uuid
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.advisers.broadcasts import schedule_campaign
from bot.advisers.moments import MomentProblem, parse_moment, suggested_moments
from bot.advisers.stats import delivery_counts
from bot.advisers.texts import counts_text, scope_text
from bot.auth import Roles, guard, user_roles
from bot.delivery import TelegramSender
from bot.i18n import Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.campaigns import Campaign
from bot.subscription import LANGUAGE_NAMES, TOPICS
from scheduler.delivery import Audience, Content, DeliveryError

log = logging.getLogger(__name__)

PREFIX = "cmp"
DRAFT_KEY = "campaign_draft"
RESCHEDULE_KEY = "campaign_reschedule"
KINDS = {
    "both": frozenset({"private", "group"}),
    "private": frozenset({"private"}),
    "group": frozenset({"group"}),
}

# Conversation states (strings: PTB persists them as JSON).
TEXT = "text"
LANGUAGES = "languages"
LOCALE_TEXT = "locale_text"
AUDIENCE = "audience"
MOMENT = "moment"
PREVIEW = "preview"
CHANGE = "change"
RESCHEDULE = "reschedule"
END = ConversationHandler.END

Draft = dict[str, Any]


def _button(text: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"{PREFIX}:{action}")


def _draft(context: BotContext) -> Draft:
    assert context.user_data is not None
    draft = context.user_data.setdefault(DRAFT_KEY, {})
    assert isinstance(draft, dict)
    return draft


async def _spend(update: Update) -> None:
    """A press that leads to the next step: its keyboard is removed, then the press answered."""
    query = update.callback_query
    if query is not None:
        await query.edit_message_reply_markup(None)
        await query.answer()


async def _send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


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
    await _send(
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
    await _spend(update)
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
    await _send(
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
            _("This campaign will reach <b>{n}</b> chats.", n=count),
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
        await _send(update, context, text, markup)
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
    await _spend(update)
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
    await _send(
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


def moment_problem_text(_: Translator, problem: MomentProblem) -> str:
    return {
        "format": _("I don't understand that moment. Try e.g. 28-12-2026 19:00 or tomorrow 19:00."),
        "past": _("That moment has passed. Please choose one in the future."),
        "too_far": _("That is more than a year ahead. Please choose an earlier moment."),
    }[problem]


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
    await _spend(update)
    return await _moment_chosen(update, context, moment)


async def _moment_chosen(update: Update, context: BotContext, due: datetime | None) -> str:
    draft = _draft(context)
    draft["due"] = due.isoformat() if due else None
    return await _preview(update, context, draft)


# --- 5. preview ------------------------------------------------------------------------------


def _due(draft: Draft) -> datetime | None:
    return datetime.fromisoformat(draft["due"]) if draft.get("due") else None


async def _send_as_recipients_see_it(
    context: BotContext, chat_id: int, content: Content, locales: list[str]
) -> str | None:
    """Send with the engine's own sender; the reason when Telegram refuses the message."""
    sender = TelegramSender(context.bot)
    try:
        for locale in locales:
            await sender(chat_id, content.text(locale), content.image)
    except DeliveryError as exc:
        return exc.reason
    return None


async def _preview(update: Update, context: BotContext, draft: Draft) -> str:
    _ = await context.translator(update)
    chat = update.effective_chat
    assert chat is not None
    draft["editing"] = False
    content = _content(draft)
    failure = await _send_as_recipients_see_it(context, chat.id, content, [_.locale])
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
        "Audience: {audience}, <b>{n}</b> chats.\nMoment: <b>{moment}</b>.",
        audience=scope_text(_, context.services.config, draft["municipalities"]),
        n=count,
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
    failure = await _send_as_recipients_see_it(context, chat.id, content, locales)
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
    await _spend(update)
    await _send(update, context, _("What do you want to change?"), markup)
    return CHANGE


async def on_edit(update: Update, context: BotContext) -> str | int:
    if not await _checked(update, context, "change"):
        return END
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    draft["editing"] = True
    what = query.data.rsplit(":", 1)[1]
    await _spend(update)
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
    await _spend(update)
    if due is not None and due <= now:
        await _send(update, context, moment_problem_text(_, "past"))
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
        notified = await _ask_approval(context, campaign)
        await _send(
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
    await _send(update, context, _scheduled_text(_, campaign, due))
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
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
        context.user_data.pop(RESCHEDULE_KEY, None)
    _ = await context.translator(update)
    await _spend(update)
    await _send(update, context, _("Cancelled. Nothing was sent."))
    return END


async def use_buttons(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Please use the buttons above, or /cancel."))


# --- approval --------------------------------------------------------------------------------


async def _approvers(services: Services, campaign: Campaign) -> list[int]:
    """Admins and advisers whose scope covers the campaign, except its author."""
    candidates = set(services.config.admins.user_ids) | {
        g.user_id for g in await services.roles.all()
    }
    result = []
    for user_id in sorted(candidates - {campaign.author_id}):
        roles = await user_roles(services, user_id)
        if roles.covers(campaign.audience.municipalities):
            result.append(user_id)
    return result


async def _ask_approval(context: BotContext, campaign: Campaign) -> int:
    services = context.services
    asked = 0
    for user_id in await _approvers(services, campaign):
        chat = await services.chats.get(user_id)
        if chat is None:
            continue  # never opened a chat with the bot: cannot be messaged
        _ = services.i18n.get(chat.locale)
        if await _send_as_recipients_see_it(context, user_id, campaign.content, [chat.locale]):
            continue
        await context.bot.send_message(
            user_id,
            _(
                "👆 Campaign #{id} for {audience}, at {moment}, waits for your approval.",
                id=campaign.id,
                audience=scope_text(_, services.config, campaign.audience.municipalities),
                moment=_.fmt_datetime(campaign.due_at, "d MMMM y HH:mm"),
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
        asked += 1
    return asked


# --- /campaigns ------------------------------------------------------------------------------


def _status(_: Translator, campaign: Campaign, broadcast: tuple[str, str | None] | None) -> str:
    if campaign.state == "cancelled":
        return _("cancelled")
    if campaign.state == "awaiting_approval":
        return _("awaiting approval")
    state = broadcast[0] if broadcast else "planned"
    if state == "materialized":
        return _("sent")
    if state == "skipped":
        return _("not sent")
    return _("scheduled")


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
        status = _status(_, c, broadcast)
        lines.append(
            _(
                "#{id} · {moment} · {audience} · <b>{status}</b>",
                id=c.id,
                moment=_.fmt_datetime(c.due_at, "d MMM y HH:mm"),
                audience=scope_text(_, services.config, c.audience.municipalities),
                status=status,
            )
        )
        if c.key in counts:
            lines.append("   " + counts_text(_, counts[c.key].counts))
        upcoming = c.state == "awaiting_approval" or (
            c.state == "scheduled" and (broadcast is None or broadcast[0] == "planned")
        )
        if upcoming and roles.covers(c.audience.municipalities):
            row = [
                _button(_("Cancel #{id}", id=c.id), f"x:{c.id}"),
                _button(_("Reschedule #{id}", id=c.id), f"rs:{c.id}"),
            ]
            if c.state == "awaiting_approval" and c.author_id != user_id:
                row.append(_button(_("Approve #{id}", id=c.id), f"ap:{c.id}"))
            rows.append(row)
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def list_campaigns(update: Update, context: BotContext) -> None:
    roles = await guard(update, context, "campaigns")
    if not roles:
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    _ = await context.translator(update)
    text, markup = await _campaigns_view(context, _, roles, user.id)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _campaign_for(update: Update, context: BotContext, action: str) -> Campaign | None:
    """The campaign of a button, when the presser's scope covers its whole audience."""
    query = update.callback_query
    assert query is not None and query.data is not None
    ident = query.data.rsplit(":", 1)[1]
    campaign = await context.services.campaigns.get(int(ident)) if ident.isdigit() else None
    municipalities = campaign.audience.municipalities if campaign else ()
    if not await guard(
        update, context, f"campaign.{action}", municipalities=municipalities, target=ident
    ):
        return None
    if campaign is None:
        _ = await context.translator(update)
        await query.answer(_("This campaign does not exist."), show_alert=True)
    return campaign


async def on_cancel_campaign(update: Update, context: BotContext) -> None:
    campaign = await _campaign_for(update, context, "cancel")
    if campaign is None:
        return
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    _ = await context.translator(update)
    services = context.services
    stopped = campaign.state == "awaiting_approval" or (
        campaign.state == "scheduled"
        and await services.outbox.cancel_planned(campaign.key, f"cancelled by user {user.id}")
    )
    if stopped:
        await services.campaigns.set_state(campaign.id, "cancelled")
        await services.audit.record(
            user.id, "campaign.cancel", str(campaign.id), now=services.now()
        )
        await services.planner.schedule_wakeups()
    roles = await user_roles(services, user.id)
    text, markup = await _campaigns_view(context, _, roles, user.id)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    await query.answer(
        _("Campaign #{id} is cancelled.", id=campaign.id)
        if stopped
        else _("Campaign #{id} has already gone out.", id=campaign.id),
        show_alert=not stopped,
    )


async def on_approve(update: Update, context: BotContext) -> None:
    """ap:<id> approves, rj:<id> rejects; never by the author, only while awaiting approval."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    approve = query.data.split(":")[1] == "ap"
    campaign = await _campaign_for(update, context, "approve" if approve else "reject")
    if campaign is None:
        return
    _ = await context.translator(update)
    services = context.services
    if campaign.author_id == user.id:
        await services.audit.record(
            user.id,
            "campaign.approve",
            str(campaign.id),
            outcome="refused",
            detail="own campaign",
            now=services.now(),
        )
        await query.answer(_("You cannot approve your own campaign."), show_alert=True)
        return
    if approve:
        done = await services.campaigns.approve(
            campaign.id, user.id, max(campaign.due_at, services.now())
        )
        if done:
            approved = await services.campaigns.get(campaign.id)
            assert approved is not None
            await schedule_campaign(services, approved)
    else:
        done = campaign.state == "awaiting_approval"
        if done:
            await services.campaigns.set_state(campaign.id, "cancelled")
    if not done:
        await query.answer(_("This campaign no longer waits for approval."), show_alert=True)
        return
    action = "campaign.approve" if approve else "campaign.reject"
    await services.audit.record(user.id, action, str(campaign.id), now=services.now())
    await query.edit_message_reply_markup(None)
    await query.answer(
        _("Campaign #{id} is approved.", id=campaign.id)
        if approve
        else _("Campaign #{id} is rejected.", id=campaign.id)
    )
    author = await services.chats.get(campaign.author_id)
    _a = services.i18n.get(author.locale if author else None)
    await context.bot.send_message(
        campaign.author_id,
        _a("Your campaign #{id} was approved.", id=campaign.id)
        if approve
        else _a("Your campaign #{id} was rejected.", id=campaign.id),
    )


async def on_reschedule(update: Update, context: BotContext) -> str | int:
    campaign = await _campaign_for(update, context, "reschedule")
    if campaign is None:
        return END
    assert context.user_data is not None
    context.user_data[RESCHEDULE_KEY] = campaign.id
    _ = await context.translator(update)
    await _spend(update)
    await _send(
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
    broadcast = await services.outbox.get_broadcast(campaign.key)
    if campaign.state == "cancelled" or (broadcast and broadcast[0] != "planned"):
        await message.reply_text(_("Campaign #{id} can no longer be rescheduled.", id=campaign.id))
        return END
    await services.campaigns.set_due(campaign.id, due)
    if campaign.state == "scheduled":
        updated = await services.campaigns.get(campaign.id)
        assert updated is not None
        await schedule_campaign(services, updated)
    context.user_data.pop(RESCHEDULE_KEY, None)
    await services.audit.record(
        user.id, "campaign.reschedule", str(campaign.id), now=services.now()
    )
    await message.reply_text(
        _(
            "Campaign #{id} now goes out at {moment}.",
            id=campaign.id,
            moment=_.fmt_datetime(due, "d MMMM y HH:mm"),
        )
    )
    return END


def _press(callback: Any, pattern: str) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(callback, pattern=rf"^{PREFIX}:{pattern}$")


def register(app: BotApplication) -> None:
    text = filters.TEXT & ~filters.COMMAND
    buttons_only: MessageHandler[BotContext, object] = MessageHandler(text, use_buttons)
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user on purpose: the wizard is in one private chat.
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        conversation = ConversationHandler(
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
            fallbacks=[
                CommandHandler(["cancel", "annuleren"], cancel),
                _press(cancel, "cancel"),
            ],
            name="campaign",
            persistent=True,
            allow_reentry=True,
        )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("campaigns", list_campaigns))
    app.add_handler(_press(on_cancel_campaign, r"x:\d+"))
    app.add_handler(_press(on_approve, r"(ap|rj):\d+"))
