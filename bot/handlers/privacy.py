"""/privacy, /mydata and /forgetme: the AVG/GDPR rights of access and erasure, in the chat."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import neighbourhood_privacy, staff_privacy
from bot.advice.privacy import export_data, relayed_messages
from bot.advice.requests import STATUS_NAMES
from bot.config import PrivacyConfig
from bot.erasure import complete_erasure, forget_ptb_state
from bot.handlers import prompts
from bot.handlers.request_notices import tell_withdrawn
from bot.handlers.team import forget_member_prompts
from bot.i18n import Translator
from bot.services import BotApplication, BotContext, Services
from bot.subscription import TOPICS
from bot.teamwork import refresh_team_message, show_erased

log = logging.getLogger(__name__)

PREFIX = "forget"


def controller_text(_: Translator, config: PrivacyConfig) -> str:
    """Who is responsible (AVG art. 13(1)(a)-(b)), as the deployment configured it."""
    if not config.controller:
        return _(
            "<b>Who is responsible</b>: the organisation that runs this bot has not filled in "
            "its name and contact details yet; ask the bot's administrators."
        )
    lines = [_("<b>Who is responsible</b>: {controller}.", controller=config.controller)]
    if config.contact:
        lines.append(_("Contact: {contact}.", contact=config.contact))
    if config.privacy_officer:
        lines.append(_("Privacy officer: {officer}.", officer=config.privacy_officer))
    return " ".join(lines)


async def privacy(update: Update, context: BotContext) -> None:
    """What AVG art. 13 asks to be told: who, what, why and on what basis, who receives it,
    how long, the rights, and where to complain."""
    _ = await context.translator(update)
    assert update.effective_message is not None
    config = context.services.config
    days = config.privacy.retention_days
    text = "\n".join(
        [
            _("<b>Your privacy</b>"),
            "",
            controller_text(_, config.privacy),
            _(
                "<b>What I store</b>: for a subscription your chat id, language, municipality, "
                "neighbourhood and topics. For an advice request also your reason, postcode, "
                "house number, name, phone number (if you gave it), preferred moments and the "
                "dates of each step. Messages between you and the team are not stored by me: "
                "they are only in your chat and the team's."
            ),
            _(
                "<b>Why, and on what basis</b>: to send you the tips you chose, and to let the "
                "prevention team arrange the advice you asked for. The basis is your consent "
                "(AVG art. 6(1)(a)), given when you subscribe or agree at a request; you can "
                "withdraw it at any time."
            ),
            _(
                "<b>Who receives it</b>: the prevention team of your municipality (the members "
                "of its Telegram group) gets your request and your messages to them; the bot's "
                "administrators manage the system. Everything you send me passes through "
                "Telegram, whose own privacy policy applies (telegram.org/privacy). Nobody else "
                "gets your data from me."
            ),
            _(
                "<b>How long</b>: your subscription until you stop. The personal details of a "
                "request are deleted {days} days after it is closed, or at once when you "
                "withdraw it; only anonymous counts remain.",
                days=days,
            ),
            _(
                "<b>Your rights</b>: /mydata sends you everything stored about you; /forgetme "
                "deletes it; /stop ends your subscription; /myrequests lets you withdraw a "
                "request. Something wrong in a request? Write to the team, or withdraw it and "
                "make a new one."
            ),
            _(
                "<b>Complaints</b>: you may complain to the Dutch data protection authority, "
                "the Autoriteit Persoonsgegevens (autoriteitpersoonsgegevens.nl)."
            ),
        ]
    )
    more = "\n\n".join(
        [
            _(
                "<b>Wijkschouw and self-check</b>: with a finding you report I keep your "
                "Telegram id, only for /mydata and /forgetme; the group and the municipality "
                "never see who reported it. Photos are stored without location and camera "
                "details. {days} days after a wijkschouw is closed, no Telegram ids are kept "
                "with it. Self-check answers are kept only when you ask for a reminder (until it "
                "is sent) or send them with an advice request.",
                days=days,
            ),
            _(
                "<b>Advisers, admins and team members</b>: your roles, the campaigns and alerts "
                "you wrote, and your name on requests you handled are kept for the record of "
                "what was sent in the municipality's name; the audit log keeps your user id "
                "with what you did for {days} days.",
                days=config.audit.retention_days,
            ),
        ]
    )
    text += "\n\n" + _(
        "<b>Votes and shares</b>: when you press 👍, 👎 or Share under a message, I count it "
        "for that message and your municipality, not for you. To let you change your vote I "
        "keep a coded link to your chat for {days} days; /stop and /forgetme delete it at once. "
        "If you said you coordinate a WhatsApp group, I keep that with your subscription.",
        days=context.services.config.feedback.vote_days,
    )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
    await update.effective_message.reply_text(more, parse_mode=ParseMode.HTML)


LISTED = 10  # per section in the readable summary; the file has everything


def _local(_: Translator, value: object) -> str:
    return _.fmt_datetime(datetime.fromisoformat(str(value)), "d MMMM y HH:mm")


def summary_text(_: Translator, services: Services, data: dict[str, Any]) -> str:
    """/mydata in words, in local time, next to the JSON file."""
    lines = [_("<b>What I store about you</b> (times in {zone})", zone=_.tz)]
    chat = data["subscription"]
    if chat and chat.get("subscribed"):
        lines.append(
            _(
                "Subscription: {municipality}, {neighbourhood}; topics {topics}; since {since}.",
                municipality=services.config.municipality_name(chat["municipality"] or ""),
                neighbourhood=chat["neighbourhood"] or _("whole municipality"),
                topics=", ".join(_(TOPICS[t]) for t in chat["topics"] if t in TOPICS),
                since=_local(_, chat["subscribed_at"]) if chat["subscribed_at"] else "-",
            )
        )
    else:
        lines.append(_("Subscription: none."))
    for request in data["advice_requests"][:LISTED]:
        line = _(
            "Request {reference}: {status}, made on {when}.",
            reference=request["reference"],
            status=_(STATUS_NAMES.get(request["status"], request["status"])),
            when=_local(_, request["created_at"]),
        )
        if request["planned_for"]:
            line += " " + _("Appointment: {when}.", when=_local(_, request["planned_for"]))
        lines.append(line)
    counts = [
        (len(data["advice_messages"]), _("messages with the team (times only, no texts)")),
        (len(data["handled_as_team_member"]), _("requests handled as a team member")),
        (len(data["wijkschouw"]["organised"]), _("wijkschouwen organised")),
        (len(data["wijkschouw"]["joined"]), _("wijkschouwen joined")),
        (len(data["wijkschouw"]["findings"]), _("wijkschouw findings reported")),
        (len(data["campaigns"]), _("campaigns written")),
        (len(data["alerts"]), _("alerts sent")),
        (len(data["audit_log"]), _("audit log entries")),
        (len(data["votes_and_shares"]), _("votes and shares still linked to this chat")),
    ]
    lines += [f"{n} {label}" for n, label in counts if n]
    if data["selfcheck_reminder"]:
        lines.append(
            _(
                "Self-check reminder on {when}.",
                when=_local(_, data["selfcheck_reminder"]["due_at"]),
            )
        )
    for grant in data["roles"][:LISTED]:
        lines.append(
            _(
                "Role: {role} for {scope}, since {when}.",
                role=grant["role"],
                scope=", ".join(grant["municipalities"]) or _("the whole region"),
                when=_local(_, grant["granted_at"]),
            )
        )
    for entry in data["audit_log"][-LISTED:]:
        lines.append(
            _(
                "Audit: {action} ({outcome}) on {when}.",
                action=entry["action"],
                outcome=entry["outcome"],
                when=_local(_, entry["last_at"]),
            )
        )
    lines += ["", _("The file below holds every field.")]
    return "\n".join(lines)


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: a readable summary and a JSON file with everything stored about this user."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    services = context.services
    _ = await context.translator(update)
    requests = await services.advice.for_user(user.id)
    messages = await services.advice.messages_of([r.id for r in requests])
    data = export_data(
        user.id,
        await services.chats.get(user.id),
        requests,
        services.now(),
        [grant for grant in await services.roles.all() if grant.user_id == user.id],
        await services.advice.handled_by(user.id),
        extra={
            "advice_messages": relayed_messages(requests, messages),
            **await neighbourhood_privacy.personal_data(services, user.id),
            **await staff_privacy.personal_data(services, user.id),
            "votes_and_shares": [
                {"kind": kind, "message": key, "value": value}
                for kind, key, value in await services.feedback.linked_to(user.id)
            ],
        },
    )
    await message.reply_text(summary_text(_, services, data), parse_mode=ParseMode.HTML)
    await message.reply_document(
        InputFile(
            json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"),
            filename="buurtwacht-mydata.json",
        ),
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
    erased = await services.advice.forget_user(user.id, services.now())
    handled = await services.advice.forget_team_member(user.id, services.now())
    # Before the chat row goes (and its deliveries are folded into anonymous tallies): its
    # deliveries name the messages whose vote links to delete.
    await services.feedback.unlink_chat(user.id)
    await services.chats.delete(user.id)
    await services.roles.forget_label(user.id)
    await services.dashboard.forget(user.id)
    await neighbourhood_privacy.forget(services, context.bot, user.id)
    forget_member_prompts(context.application, user.id)
    # Drafts in PTB's persisted data may hold a name or phone number too, and a conversation
    # in progress must not wait for a draft that is gone.
    forget_ptb_state(context.application, user.id)
    await show_erased(services, context.bot, erased)
    for item in erased:
        await tell_withdrawn(context.application, item)
    for request in handled:
        await refresh_team_message(services, context.bot, request)
    log.info(
        "forgot user_id=%s: %d advice request(s) erased, %d handled as a team member",
        user.id,
        len(erased),
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
