"""The resident's request for free PKVW prevention advice (/advice, /advies, or the button after
/start) and /myrequests.

Steps: reason, consent, postcode (and municipality), house number, name, contact, preferred
moments, summary (Confirm / Change / Cancel). Consent comes right after the reason and before any
personal detail is asked for: without "I agree" the conversation ends, and nothing personal was
entered or stored. "Change" from the summary does not ask for consent again.

A persistent ConversationHandler (name "advice") keeps the step across restarts; the draft lives
in user_data as plain JSON (PTB persistence writes it to the `ptb_state` table, so a restart
resumes it) until the resident confirms, cancels, uses /forgetme, or a day passes. Before consent
the draft holds only the reason. A draft without consent in a later step (persisted by an older
version, which asked for consent last) is dropped and the resident starts again.
"""

from __future__ import annotations

import html
import logging
import math
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advice.requests import (
    CAP_PERIODS,
    MOMENTS,
    REASONS,
    LimitCheck,
    MunicipalityCaps,
)
from bot.advice.validation import (
    format_phone,
    parse_house_number,
    parse_name,
    parse_phone,
    parse_postcode,
)
from bot.config import Municipality
from bot.erasure import complete_erasure
from bot.handlers import conversation, prompts
from bot.handlers.conversation import END, persistent_conversation
from bot.i18n import N_, Html, Translator
from bot.selfcheck.scoring import COMPLETE_RE, complete
from bot.services import BotApplication, BotContext
from bot.storage.advice import AdviceRequest, NewRequest
from bot.teamwork import DRAFT_KEY, notify_admins_of_cap

log = logging.getLogger(__name__)

PREFIX = "adv"
START_BUTTON = f"{PREFIX}:start"
DEFAULT_ALTERNATIVE = N_(
    "You can still have your home checked: a recognised adviser of the Police Quality Mark "
    "Secure Housing (Politiekeurmerk Veilig Wonen, politiekeurmerk.nl) or a certified security "
    "company can advise you, usually for a fee. Many insurers give a discount on a home with the "
    "quality mark."
)

# Conversation states (strings, because PTB persists them as JSON).
ELSEWHERE = "elsewhere"
REASON = "reason"
POSTCODE = "postcode"
CONFIRM_MUNICIPALITY = "confirm_municipality"
CHOOSE_MUNICIPALITY = "choose_municipality"
HOUSE_NUMBER = "house_number"
NAME = "name"
CONTACT = "contact"
MOMENTS_STEP = "moments"
CONSENT = "consent"
SUMMARY = "summary"
CHANGE = "change"

# The step after each one while filling in; when changing a field, the summary comes next.
NEXT = {
    REASON: CONSENT,
    CONSENT: POSTCODE,
    HOUSE_NUMBER: NAME,
    NAME: CONTACT,
    CONTACT: MOMENTS_STEP,
    MOMENTS_STEP: SUMMARY,
}
# What the draft may hold before consent: nothing personal ("guess" is the municipality the
# chat is subscribed for, the first guess of where the resident lives).
BEFORE_CONSENT = ("started", "reason", "moments", "guess")
Draft = dict[str, Any]


def _button(text: str, action: str) -> InlineKeyboardButton:
    return conversation.button(PREFIX, text, action)


def _cancel_row(_: Translator) -> list[InlineKeyboardButton]:
    return [_button(_("Cancel"), "cancel")]


def start_markup(_: Translator, municipality: Municipality | None) -> InlineKeyboardMarkup | None:
    """The button under the /start summary that opens this conversation; none where the
    municipality does not offer free advice (the path could not succeed)."""
    if municipality is not None and not municipality.free_advice:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Request free prevention advice"), callback_data=START_BUTTON)]]
    )


AFTER_BURGLARY = N_(
    "<b>First, after a burglary</b>\n"
    "Could the burglar still be there, or did it just happen? Call 112. Otherwise report it "
    "to the police on 0900-8844; your insurer will ask for the report. Touch as little as "
    "possible until the police have been. Victim Support Netherlands (Slachtofferhulp "
    "Nederland) helps you, also if you are mostly shaken: 0900-0101.\n\n"
    "Then the prevention advice: a few questions more."
)


def _draft(context: BotContext, *, consented: bool = True) -> Draft | None:
    """The draft in progress, or None when it is gone. For the steps after consent
    (`consented`), a draft without consent is dropped too: an older version asked for consent
    last, so such a draft may hold personal details typed before consent."""
    if context.user_data is None:
        return None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        return None
    if consented and not draft.get("consent"):
        del context.user_data[DRAFT_KEY]
        return None
    return draft


async def _send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a press (its keyboard is removed, then the press answered) or a message, with a
    new message."""
    await conversation.spend(update)
    await conversation.send(update, context, text, markup)


def _moments_markup(_: Translator, draft: Draft) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✅ " if key in draft["moments"] else "⬜ ") + _(label), f"moment:{key}")]
        for key, label in MOMENTS.items()
    ]
    return InlineKeyboardMarkup([*rows, [_button(_("Next"), "moments_done")], _cancel_row(_)])


def _summary(_: Translator, context: BotContext, draft: Draft) -> str:
    contact = format_phone(draft["phone"]) if draft.get("phone") else _("via this chat")
    lines = [
        _("<b>Your request</b>"),
        _("Reason: {reason}", reason=_(REASONS[draft["reason"]])),
        _(
            "Address: {postcode} {number}, {municipality}",
            postcode=draft["postcode"],
            number=draft["house_number"],
            municipality=context.services.config.municipality_name(draft["municipality"]),
        ),
        _("Name: {name}", name=draft["name"]),
        _("Contact: {contact}", contact=contact),
        _(
            "Preferred moments: {moments}",
            moments=", ".join(_(MOMENTS[m]) for m in draft["moments"]),
        ),
        *([_("Self-check answers: attached")] if draft.get("selfcheck") else []),
        "",
        _("Is everything correct?"),
    ]
    return "\n".join(lines)


async def _ask(
    update: Update,
    context: BotContext,
    draft: Draft,
    step: str,
    intro: str = "",
    carry: str = "",
) -> str:
    """Show the question of `step` (after `intro`) and return it as the new conversation state.

    `carry`: self-check answers offered with the request. Until consent they travel only in the
    reason and consent buttons, not in the persisted draft.
    """

    async def send(text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await _send(update, context, f"{intro}\n\n{text}" if intro else text, markup)

    _ = await context.translator(update)
    cancel = _cancel_row(_)
    suffix = _suffix(carry)
    if step == REASON:
        rows = [[_button(_(label), f"reason:{key}{suffix}")] for key, label in REASONS.items()]
        await send(
            _("Why would you like prevention advice?"),
            InlineKeyboardMarkup([*rows, cancel]),
        )
    elif step == POSTCODE:
        await send(_("What is your postcode? For example: 7511 AB"))
    elif step == HOUSE_NUMBER:
        await send(_("What is your house number, with addition if any? For example: 12A"))
    elif step == NAME:
        await send(_("What is your name? The team uses it to find you."))
    elif step == CONTACT:
        markup = InlineKeyboardMarkup([[_button(_("Via this chat"), "via_chat")], cancel])
        await send(
            _(
                "How can the team reach you? Type your phone number (e.g. 06 12345678), or "
                "choose 'Via this chat' to get every update here."
            ),
            markup,
        )
    elif step == MOMENTS_STEP:
        await send(
            _("When would a visit suit you? Tap all that apply, then Next."),
            _moments_markup(_, draft),
        )
    elif step == CONSENT:
        retention = context.services.config.privacy.retention_days
        text = _(
            "<b>Before I store your request</b>\n"
            "I store your reason, address, name, contact and preferred moments, only to arrange "
            "the prevention advice. The prevention team of your municipality sees them. They are "
            "deleted {days} days after your request is closed, or earlier with /forgetme. "
            "/privacy tells you more.\n\n"
            "Do you agree?",
            days=retention,
        )
        if carry:
            text += "\n\n" + _(
                "<i>Your self-check answers are stored with the request too, so the adviser can "
                "prepare. The team sees your answers, not your score.</i>"
            )
        markup = InlineKeyboardMarkup([[_button(_("I agree"), f"agree{suffix}")], cancel])
        await send(text, markup)
    elif step == SUMMARY:
        markup = InlineKeyboardMarkup(
            [
                [_button(_("Confirm"), "confirm"), _button(_("Change"), "change")],
                cancel,
            ]
        )
        text = _summary(_, context, draft)
        if await context.services.teams.team_of(draft["municipality"]) is None:
            text += "\n\n" + _(
                "<i>Good to know: the prevention team of {municipality} is not connected to "
                "this bot yet. I keep your request and pass it on as soon as they are.</i>",
                municipality=context.services.config.municipality_name(draft["municipality"]),
            )
        await send(text, markup)
    return step


async def _next(update: Update, context: BotContext, draft: Draft, done: str) -> str:
    if draft.get("editing"):
        return await _ask(update, context, draft, SUMMARY)
    return await _ask(update, context, draft, NEXT[done])


async def _erase_draft(update: Update, context: BotContext) -> None:
    """The draft (with whatever personal details it held) goes, from the WAL too."""
    assert context.user_data is not None and update.effective_user is not None
    context.user_data.pop(DRAFT_KEY, None)
    await complete_erasure(context.application, user_ids=[update.effective_user.id])


async def _lost(update: Update, context: BotContext) -> int:
    """The draft is gone (expired after a day, /forgetme, or an older version's draft without
    consent that `_draft` dropped): start over."""
    await _erase_draft(update, context)
    _ = await context.translator(update)
    await _send(
        update, context, _("This request is no longer in progress. Start again with /advice.")
    )
    return END


async def start(update: Update, context: BotContext) -> str | int:
    """/advice, /advies or the button after /start."""
    return await _begin(update, context)


async def start_with_selfcheck(update: Update, context: BotContext) -> str | int:
    """The button under a self-check result: the answers are offered with the request."""
    assert update.callback_query is not None and update.callback_query.data is not None
    answers = update.callback_query.data.rsplit(":", 1)[1]
    return await _begin(update, context, answers if complete(answers) else "")


async def _begin(update: Update, context: BotContext, carry: str = "") -> str | int:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None and context.user_data is not None
    services = context.services
    await services.chats.ensure(chat.id, "private", services.i18n.pick(user.language_code))
    _ = await context.translator(update)
    limit = await services.advice.limits(user.id, services.now())
    if limit.refused == "open":
        await _send(
            update,
            context,
            _(
                "You already have an open request. The team will contact you; "
                "/myrequests shows its status."
            ),
        )
        return END
    if limit.refused == "window" and limit.next_possible:
        await _send(
            update,
            context,
            _(
                "You have made 3 requests in the last 30 days, the maximum. You can make a new "
                "one from {when}.",
                when=_.fmt_date(limit.next_possible.astimezone(_.tz).date()),
            ),
        )
        return END
    subscribed = await services.chats.get(chat.id)
    guess = services.config.municipality(subscribed.municipality if subscribed else None)
    draft: Draft = {"started": services.now().isoformat(), "moments": []}
    if guess is not None:
        draft["guess"] = guess.slug
    context.user_data[DRAFT_KEY] = draft
    if guess is not None and not guess.free_advice:
        # Said before consent and postcode: this path could not succeed for their municipality.
        markup = InlineKeyboardMarkup(
            [
                [_button(_("My home is in another municipality"), f"elsewhere{_suffix(carry)}")],
                _cancel_row(_),
            ]
        )
        text = (
            no_free_advice_text(_, guess)
            + "\n\n"
            + _(
                "You are subscribed for {municipality}. Is your home in another municipality of "
                "Twente? Then you can still ask.",
                municipality=guess.name,
            )
        )
        await _send(update, context, text, markup)
        return ELSEWHERE
    return await _ask(update, context, draft, REASON, _intro(_), carry)


def _suffix(carry: str) -> str:
    return f":{carry}" if carry else ""


def _intro(_: Translator) -> str:
    return _(
        "Free prevention advice: an adviser visits your home and tells you how to make it "
        "harder for burglars. It takes a few questions; /cancel stops at any moment."
    )


async def on_elsewhere(update: Update, context: BotContext) -> str | int:
    """Subscribed for a municipality without free advice, but the home is elsewhere."""
    draft = _draft(context, consented=False)
    if draft is None:
        return await _lost(update, context)
    draft.pop("guess", None)
    _ = await context.translator(update)
    return await _ask(update, context, draft, REASON, _intro(_), _carried(update))


def _carried(update: Update) -> str:
    """Self-check answers riding on a reason or consent press ("...:<answers>"), else ""."""
    assert update.callback_query is not None and update.callback_query.data is not None
    parts = update.callback_query.data.split(":")
    return parts[-1] if len(parts) > 2 and complete(parts[-1]) else ""


async def on_reason(update: Update, context: BotContext) -> str | int:
    draft = _draft(context, consented=False)
    assert update.callback_query is not None and update.callback_query.data is not None
    key = update.callback_query.data.split(":")[2]
    if draft is None:
        return await _lost(update, context)
    if key not in REASONS:
        await prompts.refuse_outdated(update, context)
        return REASON
    draft["reason"] = key
    if draft.get("editing"):
        return await _ask(update, context, draft, SUMMARY)
    _ = await context.translator(update)
    intro = _(AFTER_BURGLARY) if key == "burglary_home" else ""
    return await _ask(update, context, draft, CONSENT, intro, _carried(update))


async def on_postcode(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    assert update.effective_message is not None
    postcode = parse_postcode(update.effective_message.text or "")
    if postcode is None:
        await _send(
            update,
            context,
            _(
                "That is not a Dutch postcode. Please type four digits and two letters, "
                "e.g. 7511 AB."
            ),
        )
        return POSTCODE
    draft["postcode"] = str(postcode)
    municipality = context.services.config.municipality_for_pc4(postcode.digits)
    if municipality is None:
        draft["municipality"] = None
        text = _(
            "Postcode {postcode} is not in Twente. I can only pass requests to the 14 "
            "municipalities of Twente. If you live in one of them, choose it below. Otherwise, "
            "please ask your own municipality about prevention advice.",
            postcode=str(postcode),
        )
        await _send(update, context, text, _municipality_markup(_, context, draft.get("guess")))
        return CHOOSE_MUNICIPALITY
    draft["municipality"] = municipality.slug
    markup = InlineKeyboardMarkup(
        [
            [_button(_("Yes"), "mun_ok"), _button(_("No, another municipality"), "mun_other")],
            _cancel_row(_),
        ]
    )
    await _send(
        update,
        context,
        _(
            "Postcode {postcode} is in <b>{municipality}</b>. Is that right?",
            postcode=str(postcode),
            municipality=municipality.name,
        ),
        markup,
    )
    return CONFIRM_MUNICIPALITY


def _municipality_markup(
    _: Translator, context: BotContext, guess: str | None = None
) -> InlineKeyboardMarkup:
    """Every municipality; the one the chat is subscribed for first, as the likely one."""
    municipalities = context.services.config.municipalities
    first = [
        [_button(_("{name} (your subscription)", name=m.name), f"mun:{m.slug}")]
        for m in municipalities
        if m.slug == guess
    ]
    buttons = [_button(m.name, f"mun:{m.slug}") for m in municipalities if m.slug != guess]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup([*first, *rows, _cancel_row(_)])


async def on_municipality_other(update: Update, context: BotContext) -> str | int:
    if _draft(context) is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    draft = _draft(context)
    assert draft is not None
    markup = _municipality_markup(_, context, draft.get("guess"))
    await _send(update, context, _("Which municipality do you live in?"), markup)
    return CHOOSE_MUNICIPALITY


async def on_municipality(update: Update, context: BotContext) -> str | int:
    """Confirmed ("mun_ok") or chosen ("mun:<slug>") municipality."""
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    assert update.callback_query is not None and update.callback_query.data is not None
    action = update.callback_query.data.split(":", 1)[1]
    slug = action.split(":", 1)[1] if action.startswith("mun:") else draft.get("municipality")
    municipality = context.services.config.municipality(slug)
    if municipality is None:
        await prompts.refuse_outdated(update, context)
        return CHOOSE_MUNICIPALITY
    draft["municipality"] = municipality.slug
    if not municipality.free_advice:
        return await _no_free_advice(update, context, municipality)
    return await _ask(update, context, draft, HOUSE_NUMBER)


def no_free_advice_text(_: Translator, municipality: Municipality) -> str:
    """Where residents of a municipality without free advice can go instead."""
    alternative = municipality.advice_alternative.get(_.locale) or _(DEFAULT_ALTERNATIVE)
    text = _(
        "{municipality} does not offer free prevention advice.",
        municipality=municipality.name,
    )
    # Config text is plain text from the operator: escaped like any other value.
    return f"{text}\n\n{html.escape(alternative, quote=False)}"


async def _no_free_advice(update: Update, context: BotContext, municipality: Municipality) -> int:
    _ = await context.translator(update)
    await _send(update, context, no_free_advice_text(_, municipality))
    await _erase_draft(update, context)
    log.info("advice request ended: no free advice in %s", municipality.slug)
    return END


async def on_house_number(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    assert update.effective_message is not None
    number = parse_house_number(update.effective_message.text or "")
    if number is None:
        await _send(
            update,
            context,
            _("That is not a house number I understand. Please type e.g. 12, 12A or 12-2."),
        )
        return HOUSE_NUMBER
    draft["house_number"] = number
    return await _next(update, context, draft, HOUSE_NUMBER)


async def on_name(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    assert update.effective_message is not None
    name = parse_name(update.effective_message.text or "")
    if name is None:
        await _send(update, context, _("Please type your name (letters, at most 80 characters)."))
        return NAME
    draft["name"] = name
    return await _next(update, context, draft, NAME)


async def on_phone(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    assert update.effective_message is not None
    phone = parse_phone(update.effective_message.text or "")
    if phone is None:
        await _send(
            update,
            context,
            _(
                "That is not a Dutch phone number I can use. Type a mobile or landline number, "
                "e.g. 06 12345678, 053 123 4567 or +31 6 12345678, or choose 'Via this chat'."
            ),
            InlineKeyboardMarkup([[_button(_("Via this chat"), "via_chat")], _cancel_row(_)]),
        )
        return CONTACT
    draft["phone"] = phone
    return await _next(update, context, draft, CONTACT)


async def on_via_chat(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    draft["phone"] = None
    return await _next(update, context, draft, CONTACT)


async def on_moment(update: Update, context: BotContext) -> str | int:
    """Toggle a moment in place (the keyboard stays)."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None and query.data is not None
    if draft is None:
        return await _lost(update, context)
    key = query.data.rsplit(":", 1)[1]
    if key in MOMENTS:
        chosen = set(draft["moments"]) ^ {key}
        draft["moments"] = [m for m in MOMENTS if m in chosen]
    _ = await context.translator(update)
    await query.edit_message_reply_markup(_moments_markup(_, draft))
    await query.answer()
    return MOMENTS_STEP


async def on_moments_done(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    if not draft["moments"]:
        _ = await context.translator(update)
        assert update.callback_query is not None
        await update.callback_query.answer(_("Choose at least one moment."), show_alert=True)
        return MOMENTS_STEP
    return await _next(update, context, draft, MOMENTS_STEP)


async def on_agree(update: Update, context: BotContext) -> str | int:
    """After "I agree", and only then, personal details are asked for (and kept in the draft)."""
    assert context.user_data is not None
    draft = _draft(context, consented=False)
    if draft is None or draft.get("reason") not in REASONS:
        return await _lost(update, context)
    # Anything else in the draft was typed before consent (an older version's draft): erased.
    typed_before = set(draft) - set(BEFORE_CONSENT)
    draft = {key: draft[key] for key in BEFORE_CONSENT if key in draft}
    draft.update(moments=[], consent=True)
    if answers := _carried(update):
        draft["selfcheck"] = answers
    context.user_data[DRAFT_KEY] = draft
    if typed_before:
        assert update.effective_user is not None
        await complete_erasure(context.application, user_ids=[update.effective_user.id])
    return await _ask(update, context, draft, POSTCODE)


async def on_change(update: Update, context: BotContext) -> str | int:
    if _draft(context) is None:
        return await _lost(update, context)
    _ = await context.translator(update)
    fields = {
        REASON: _("Reason"),
        POSTCODE: _("Address"),
        NAME: _("Name"),
        CONTACT: _("Contact"),
        MOMENTS_STEP: _("Preferred moments"),
    }
    rows = [[_button(label, f"edit:{step}")] for step, label in fields.items()]
    await _send(update, context, _("What would you like to change?"), InlineKeyboardMarkup(rows))
    return CHANGE


async def on_edit(update: Update, context: BotContext) -> str | int:
    draft = _draft(context)
    if draft is None:
        return await _lost(update, context)
    assert update.callback_query is not None and update.callback_query.data is not None
    step = update.callback_query.data.rsplit(":", 1)[1]
    if step not in (REASON, POSTCODE, NAME, CONTACT, MOMENTS_STEP):
        await prompts.refuse_outdated(update, context)
        return CHANGE
    draft["editing"] = True
    return await _ask(update, context, draft, step)


async def on_confirm(update: Update, context: BotContext) -> int | str:
    draft = _draft(context)
    user = update.effective_user
    if draft is None:
        return await _lost(update, context)
    assert user is not None and context.user_data is not None
    services = context.services
    _ = await context.translator(update)
    now = services.now()
    caps = services.config.advice
    result = await services.advice.create(
        NewRequest(
            user_id=user.id,
            locale=_.locale,
            municipality=draft["municipality"],
            reason=draft["reason"],
            name=draft["name"],
            postcode=draft["postcode"],
            house_number=draft["house_number"],
            phone=draft.get("phone"),
            moments=tuple(draft["moments"]),
            selfcheck=draft.get("selfcheck"),
        ),
        now,
        now.astimezone(services.config.locale.tz).year,
        MunicipalityCaps(caps.per_municipality_per_hour, caps.per_municipality_per_day),
    )
    if isinstance(result, LimitCheck) and result.refused in CAP_PERIODS:
        # The municipality's cap, not the resident's: the draft stays for a later Confirm.
        assert result.refused is not None
        bot = context.bot
        await notify_admins_of_cap(services, bot, draft["municipality"], result.refused, now)
        when = result.next_possible or now
        intro = _(
            "Very many requests for {municipality} came in just now. Please press Confirm "
            "again from {when}, or /cancel.",
            municipality=services.config.municipality_name(draft["municipality"]),
            when=_.fmt_datetime(when, "d MMMM HH:mm"),
        )
        return await _ask(update, context, draft, SUMMARY, intro)
    context.user_data.pop(DRAFT_KEY, None)
    if not isinstance(result, AdviceRequest):
        await _send(
            update,
            context,
            _("You already have an open request, or made 3 in the last 30 days. /myrequests"),
        )
        return END
    log.info(
        "advice request id=%s %s created in %s", result.id, result.reference, result.municipality
    )
    team = _(
        "the prevention team of {name}",
        name=services.config.municipality_name(result.municipality),
    )
    if await services.teams.team_of(result.municipality) is None:
        text = _(
            "Thank you! Your request is registered as <b>{reference}</b>.\n\n"
            "What happens next: {team} is not connected to this bot yet. I keep your request "
            "and pass it on as soon as they are; the bot's administrators hear every morning "
            "which requests are waiting. When the team takes it on, you hear it here. "
            "/myrequests shows the status, and you can withdraw it there.",
            reference=result.reference,
            team=Html(team),
        )
    else:
        text = _(
            "Thank you! Your request is registered as <b>{reference}</b>.\n\n"
            "What happens next: {team} takes on your request and contacts you, usually "
            "within a few working days, to plan a visit at one of your preferred moments. I "
            "will keep you informed here. /myrequests shows the status.",
            reference=result.reference,
            team=Html(team),
        )
    # Telegram lets the bot post 20 messages a minute in the team's group: say so when the
    # request has to wait its turn, rather than promise what the queue cannot keep.
    position = await services.team_poster.queue_position(result)
    if position > 1:
        per_minute = services.config.delivery.per_group_per_minute
        minutes = math.ceil(position / per_minute)
        text += "\n\n" + _.ngettext(
            "Many requests are coming in right now: yours is number {position} in line for "
            "the team and reaches them within about {minutes} minute.",
            "Many requests are coming in right now: yours is number {position} in line for "
            "the team and reaches them within about {minutes} minutes.",
            minutes,
            position=position,
            minutes=minutes,
        )
    await _send(update, context, text)
    await services.team_poster.post_ready()
    return END


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button, at any step: the draft is deleted."""
    await _erase_draft(update, context)
    _ = await context.translator(update)
    await _send(update, context, _("Cancelled. Nothing has been stored."))
    return END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("There is nothing to cancel."))


async def in_group(update: Update, context: BotContext) -> None:
    _ = await context.translator(update)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("A request for advice is personal: send me /advice in a private chat.")
    )


def _press(callback: Any, pattern: str) -> CallbackQueryHandler[Any, Any]:
    return conversation.press(PREFIX, callback, pattern)


def register(app: BotApplication) -> None:
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    text = filters.TEXT & ~filters.COMMAND
    buttons_only = conversation.buttons_only()
    app.add_handler(
        persistent_conversation(
            "advice",
            entry_points=[
                CommandHandler(["advice", "advies"], start, filters=private),
                _press(start, "start"),
                _press(start_with_selfcheck, f"sc:{COMPLETE_RE}"),
            ],
            states={
                ELSEWHERE: [_press(on_elsewhere, f"elsewhere(:{COMPLETE_RE})?"), buttons_only],
                REASON: [_press(on_reason, rf"reason:\w+(:{COMPLETE_RE})?"), buttons_only],
                POSTCODE: [MessageHandler(text, on_postcode)],
                CONFIRM_MUNICIPALITY: [
                    _press(on_municipality, "mun_ok"),
                    _press(on_municipality_other, "mun_other"),
                    buttons_only,
                ],
                CHOOSE_MUNICIPALITY: [
                    _press(on_municipality, r"mun:[a-z0-9-]+"),
                    # A resident outside the region may still type another postcode.
                    MessageHandler(text, on_postcode),
                ],
                HOUSE_NUMBER: [MessageHandler(text, on_house_number)],
                NAME: [MessageHandler(text, on_name)],
                CONTACT: [_press(on_via_chat, "via_chat"), MessageHandler(text, on_phone)],
                MOMENTS_STEP: [
                    _press(on_moment, r"moment:\w+"),
                    _press(on_moments_done, "moments_done"),
                    buttons_only,
                ],
                CONSENT: [_press(on_agree, f"agree(:{COMPLETE_RE})?"), buttons_only],
                SUMMARY: [
                    _press(on_confirm, "confirm"),
                    _press(on_change, "change"),
                    buttons_only,
                ],
                CHANGE: [_press(on_edit, r"edit:\w+"), buttons_only],
            },
            fallbacks=conversation.cancel_fallbacks(PREFIX, cancel),
        )
    )
    app.add_handler(CommandHandler(["advice", "advies"], in_group, filters=groups))
    app.add_handler(CommandHandler(["cancel", "annuleren"], nothing_to_cancel, filters=private))
