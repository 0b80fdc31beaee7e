"""What the resident and the team hear about a request outside the team message: the notices to
the resident (claimed, planned or moved, the day-before reminder, done, not possible), the
messages relayed between them, and the team's new messages when the resident declines a moment
or withdraws.

Relayed texts are not stored: they are in the two Telegram chats. The database keeps which bot
message belongs to which request (bot/storage/advice.py, `advice_messages`), so a press on a
relayed message can be checked and the team's copies of the resident's words can be edited
away when the request is erased. Logs name requests by id only.

The resident sees the team's name, never the member's. Buttons for the resident (prefix `req`)
are bound to the resident (bot/handlers/prompts.py) on the message they sit on.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.helpers import mention_html

from bot.advice.validation import format_phone, parse_team_phone
from bot.handlers import prompts, replies
from bot.i18n import Html, Translator
from bot.services import BotApplication, Services
from bot.storage.advice import AdviceRequest, Erased
from bot.teamwork import TEAM_PREFIX, chat_translator
from bot.telegram_errors import tell

log = logging.getLogger(__name__)

REQUEST_PREFIX = "req"
# Reply kinds (bot/handlers/replies.py): a message for the team, a message for the resident.
TO_TEAM = "advice_to_team"
TO_RESIDENT = "advice_to_resident"
WHEN = "EEEE d MMMM y HH:mm"
POLICE = "0900-8844"


def team_of(_: Translator, services: Services, request: AdviceRequest) -> Html:
    return Html(
        _(
            "the prevention team of {name}",
            name=services.config.municipality_name(request.municipality),
        )
    )


def team_phone(services: Services, municipality: str) -> str:
    """The team's number as people write it, or "" when none is configured."""
    config = services.config.municipality(municipality)
    number = parse_team_phone(config.team_phone) if config and config.team_phone else None
    return format_phone(number) if number else ""


def phone_line(_: Translator, services: Services, request: AdviceRequest) -> str:
    phone = team_phone(services, request.municipality)
    return _("You can also call the team: {phone}.", phone=phone) if phone else ""


def recognise_text(_: Translator, services: Services, request: AdviceRequest) -> str:
    """Who comes, how to recognise them and how to check (a burglar may pose as an adviser)."""
    phone = team_phone(services, request.municipality)
    check = (
        _(
            "In doubt? Call the team on {phone} or the police on {police}, before you let "
            "anyone in.",
            phone=phone,
            police=POLICE,
        )
        if phone
        else _(
            "In doubt? Call the municipality (look up the number yourself, never use one the "
            "visitor gives you) or the police on {police}, before you let anyone in.",
            police=POLICE,
        )
    )
    return "\n".join(
        [
            _(
                "<b>Who comes</b>: an adviser of {team}. The adviser shows you an ID card "
                "(legitimatiebewijs) and knows your reference {reference}; ask for both at "
                "the door.",
                team=team_of(_, services, request),
                reference=request.reference,
            ),
            check,
        ]
    )


async def member_translator(
    services: Services, chat_id: int, team_chat_id: int | None
) -> Translator:
    """For a team member's private chat (or the team group): their chat's language, else the
    team's (a member who never wrote to the bot has no language stored)."""
    team = await services.chats.get(team_chat_id) if team_chat_id is not None else None
    return await chat_translator(services, chat_id, team.locale if team else None)


def resident_markup(
    _: Translator, request: AdviceRequest, *, decline: bool = False
) -> InlineKeyboardMarkup:
    rows = []
    if decline:
        rows.append(
            [
                InlineKeyboardButton(
                    _("This moment doesn't suit me"),
                    callback_data=f"{REQUEST_PREFIX}:{request.id}:nosuit",
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                _("Write to the team"), callback_data=f"{REQUEST_PREFIX}:{request.id}:msg"
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def _when(_: Translator, moment: datetime) -> str:
    return _.fmt_datetime(moment, WHEN)


async def _to_resident(
    app: BotApplication,
    request: AdviceRequest,
    text: str,
    markup: InlineKeyboardMarkup | ForceReply | None,
) -> Message | None:
    """Send to the resident; None when they cannot be reached (blocked the bot, left)."""
    if request.user_id is None:
        return None
    message = await tell(
        app.bot, request.user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    if message is None:
        log.info("could not tell the resident of request id=%s", request.id)
    elif isinstance(markup, InlineKeyboardMarkup):
        prompts.bind_for(app, request.user_id, message, flow=REQUEST_PREFIX, keep_previous=True)
    return message


async def notify_resident(
    app: BotApplication,
    request: AdviceRequest,
    event: str,
    *,
    previous: datetime | None = None,
    now: datetime | None = None,
) -> Message | None:
    """Tell the resident in their language about a step of their request.

    `event`: "claim", "plan" (with the `previous` appointment when it moved), "reminder"
    (with `now`, to say today or tomorrow), "done" or "not_possible".
    """
    services: Services = app.bot_data["services"]
    if request.user_id is None:
        return None
    _ = await chat_translator(services, request.user_id, request.locale)
    team, ref = team_of(_, services, request), Html(f"<b>{request.reference}</b>")
    markup: InlineKeyboardMarkup | None = resident_markup(_, request)
    if event == "claim":
        text = _(
            "Your request {reference} has been taken on by {team}. They will contact you to "
            "plan the visit.",
            reference=ref,
            team=team,
        )
        if line := phone_line(_, services, request):
            text += " " + line
    elif event in ("plan", "reminder") and request.planned_for:
        when = Html(f"<b>{_when(_, request.planned_for)}</b>")
        if event == "reminder":
            local_now = (now or services.now()).astimezone(_.tz).date()
            today = request.planned_for.astimezone(_.tz).date() == local_now
            values = {
                "time": _.fmt_datetime(request.planned_for, "HH:mm"),
                "team": team,
                "reference": ref,
            }
            text = (
                _("⏰ Today at {time}, an adviser of {team} visits you for {reference}.", **values)
                if today
                else _(
                    "⏰ Tomorrow at {time}, an adviser of {team} visits you for {reference}.",
                    **values,
                )
            )
        elif previous is not None and previous != request.planned_for:
            text = _(
                "Your appointment for {reference} has moved from {old} to {new}.",
                reference=ref,
                old=_when(_, previous),
                new=when,
            )
        else:
            text = _(
                "Your prevention advice {reference} is planned for {when} by {team}.",
                reference=ref,
                when=when,
                team=team,
            )
        text += "\n\n" + recognise_text(_, services, request) + "\n\n"
        text += _("Does this moment not suit you? Tell the team with the button below.")
        markup = resident_markup(_, request, decline=True)
    elif event == "done":
        text = _(
            "Your request {reference} is done: {team} has finished the advice. Thank you, and "
            "good luck with securing your home!",
            reference=ref,
            team=team,
        )
        markup = None
    elif event == "not_possible":
        text = _(
            "Unfortunately {team} cannot carry out your request {reference}.",
            reference=ref,
            team=team,
        )
        if request.note:
            text += "\n" + _("Reason: {reason}", reason=request.note)
        if line := phone_line(_, services, request):
            text += "\n" + line
        markup = None
    else:
        return None
    return await _to_resident(app, request, text, markup)


def _claimer_mention(request: AdviceRequest) -> str:
    if request.claimed_by is None or not request.claimed_by_name:
        return ""
    return mention_html(request.claimed_by, request.claimed_by_name)


async def tell_team(
    app: BotApplication,
    request: AdviceRequest,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """A new message about the request in its team's group (an edit is not noticed), kept as
    one of the request's messages so its buttons count. None without a team message yet."""
    services: Services = app.bot_data["services"]
    if request.team_chat_id is None or request.team_message_id is None:
        return None
    message = await tell(
        app.bot, request.team_chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    if message is not None:
        await services.advice.add_message(
            request.id, "to_team", message.chat_id, message.message_id, services.now()
        )
    return message


def team_markup(_: Translator, request: AdviceRequest, *, plan: bool) -> InlineKeyboardMarkup:
    """The buttons on the team's new messages about a request: answer the resident, plan."""
    buttons = [
        InlineKeyboardButton(
            _("Reply to the resident"), callback_data=f"{TEAM_PREFIX}:{request.id}:msg"
        )
    ]
    if plan:
        buttons.append(
            InlineKeyboardButton(
                _("Change appointment"), callback_data=f"{TEAM_PREFIX}:{request.id}:plan"
            )
        )
    return InlineKeyboardMarkup([buttons])


async def relay_to_team(app: BotApplication, request: AdviceRequest, text: str) -> Message | None:
    """The resident's words, in the team's group, with a button to answer them."""
    services: Services = app.bot_data["services"]
    assert request.team_chat_id is not None
    _ = await chat_translator(services, request.team_chat_id, None)
    head = _(
        "💬 <b>Message from the resident</b> ({name}) about {reference}:",
        name=request.name or "",
        reference=request.reference,
    )
    mention = _claimer_mention(request)
    body = f"{head}\n\n{html.escape(text, quote=False)}"
    if mention:
        body += "\n\n" + _("For {member}.", member=Html(mention))
    return await tell_team(app, request, body, team_markup(_, request, plan=False))


async def relay_to_resident(
    app: BotApplication, request: AdviceRequest, text: str
) -> Message | None:
    """The team's words in the resident's chat, as an answerable message (a reply to it goes
    back to the team)."""
    services: Services = app.bot_data["services"]
    if request.user_id is None:
        return None
    _ = await chat_translator(services, request.user_id, request.locale)
    body = "\n\n".join(
        [
            _(
                "💬 <b>The prevention team of {name}</b> about {reference}:",
                name=services.config.municipality_name(request.municipality),
                reference=request.reference,
            ),
            html.escape(text, quote=False),
            _("<i>Reply to this message to answer the team.</i>"),
        ]
    )
    markup = ForceReply(input_field_placeholder=_("Your answer to the team"))
    message = await _to_resident(app, request, body, markup)
    if message is not None:
        replies.remember(app, message, request.user_id, TO_TEAM, keep=True, request=request.id)
        await services.advice.add_message(
            request.id, "to_resident", message.chat_id, message.message_id, services.now()
        )
    return message


async def tell_declined(app: BotApplication, request: AdviceRequest) -> None:
    """The resident says the planned moment does not suit them: the team hears it anew."""
    services: Services = app.bot_data["services"]
    if request.team_chat_id is None or request.planned_for is None:
        return
    _ = await chat_translator(services, request.team_chat_id, None)
    text = _(
        "⚠️ <b>{reference}</b>: the resident says the appointment on {when} does not suit "
        "them. Plan another moment with them.",
        reference=request.reference,
        when=_when(_, request.planned_for),
    )
    if mention := _claimer_mention(request):
        text += "\n" + _("For {member}.", member=Html(mention))
    await tell_team(app, request, text, team_markup(_, request, plan=True))


async def tell_withdrawn(app: BotApplication, erased: Erased) -> None:
    """A request that was still open is withdrawn (/forgetme or from /myrequests): a new
    message in the team group and one to the claimer say the visit is off."""
    services: Services = app.bot_data["services"]
    before = erased.before
    if not before.is_open or before.team_chat_id is None or before.team_message_id is None:
        return
    for chat_id in (before.team_chat_id, before.claimed_by):
        if chat_id is None:
            continue
        _ = await member_translator(services, chat_id, before.team_chat_id)
        lines = [
            _(
                "❌ <b>{reference} withdrawn</b> – {municipality}",
                reference=before.reference,
                municipality=services.config.municipality_name(before.municipality),
            ),
            _("The resident withdrew the request; their details have been removed."),
        ]
        if before.status == "planned" and before.planned_for:
            lines.append(
                _(
                    "The visit on {when} is off.",
                    when=_when(_, before.planned_for),
                )
            )
        if chat_id == before.team_chat_id and (mention := _claimer_mention(before)):
            lines.append(_("For {member}.", member=Html(mention)))
        await tell(app.bot, chat_id, "\n".join(lines), parse_mode=ParseMode.HTML)
    log.info("team told: advice request id=%s withdrawn", before.id)
