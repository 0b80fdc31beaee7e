"""The prevention team: /teamcode (bot admins, private) and /linkteam (in the team group) link a
group to a municipality; /requests lists open requests; the buttons on each request message
claim, plan and close it; plan and "not possible" ask for a reply to a ForceReply prompt.

Every press and every reply is checked on the server: a live getChatMember for team membership,
and the request must exist, belong to a municipality of this team, sit on this very message and
be in a state that allows the action. Callback data carries only the request id and the action.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.advice.requests import MOMENTS, STATUS_NAMES, Action
from bot.advice.validation import (
    APPOINTMENT_PROBLEMS,
    AppointmentError,
    parse_appointment,
    parse_note,
)
from bot.advice.visits import example_appointment, fits_moments, notice_is_reminder
from bot.auth import is_anonymous_admin, is_bot_admin, is_chat_member, may_manage_chat
from bot.handlers import contact, prompts, team_done
from bot.handlers.request_notices import notify_resident
from bot.handlers.team_access import checked_request, on_its_message
from bot.i18n import Html, Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.advice import AdviceRequest
from bot.storage.teams import digest
from bot.teamwork import (
    ACTION_CODES,
    MESSAGE_CODE,
    TEAM_PREFIX,
    chat_translator,
    move_requests,
    refresh_team_message,
)
from bot.telegram_errors import tell

log = logging.getLogger(__name__)

PROMPTS_KEY = "advice_prompts"
LINK_PREFIX = "link"
# A relink waiting for its confirmation, in the asker's user_data: the code's digest (what the
# database keeps of it too), the municipality and the group.
LINK_KEY = "team_link"


async def team_code(update: Update, context: BotContext) -> None:
    """/teamcode <municipality>: a bot admin creates a one-time link code (private chat)."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    _ = await context.translator(update)
    services = context.services
    if not is_bot_admin(context, user.id):
        log.warning("teamcode refused: not an admin user_id=%s", user.id)
        await services.audit.record(
            user.id, "team.code", outcome="refused", detail="not an admin", now=services.now()
        )
        await message.reply_text(_("Only the bot's administrators can create team codes."))
        return
    config = services.config
    municipality = config.municipality(config.find_municipality(" ".join(context.args or [])))
    if municipality is None:
        slugs = ", ".join(m.slug for m in config.municipalities)
        await message.reply_text(_("Usage: /teamcode <municipality>, one of: {slugs}", slugs=slugs))
        return
    code = await services.teams.create_code(municipality.slug, user.id, services.now())
    await services.audit.record(user.id, "team.code", municipality.slug, now=services.now())
    log.info("team link code created for %s by user_id=%s", municipality.slug, user.id)
    await message.reply_text(
        _(
            "Link code for the prevention team of <b>{municipality}</b>:\n"
            "<code>/linkteam {code}</code>\n\n"
            "Add me to the team's group and send this command there. The code works once and "
            "expires in 24 hours.",
            municipality=municipality.name,
            code=code,
        ),
        parse_mode=ParseMode.HTML,
    )


def _code_refusal(_: Translator, why: str) -> str:
    return {
        "unknown": _("This link code is not valid. Ask an administrator for a new one."),
        "used": _("This link code has already been used. Ask an administrator for a new one."),
        "expired": _("This link code has expired. Ask an administrator for a new one."),
    }[why]


async def _refuse_link(update: Update, context: BotContext, why: str, text: str) -> None:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None
    services = context.services
    log.warning("linkteam refused (%s) chat_id=%s", why, chat.id)
    await services.audit.record(
        user.id if user else None,
        "team.link",
        str(chat.id),
        outcome="refused",
        detail=why,
        now=services.now(),
    )
    await message.reply_text(text)


async def link_team(update: Update, context: BotContext) -> None:
    """/linkteam <code> in a group, by one of its administrators: the group becomes the
    municipality's prevention team. Replacing another group needs a confirmation."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    assert chat is not None and message is not None and user is not None
    _ = await context.translator(update)
    if chat.type == chat.PRIVATE:
        await message.reply_text(_("Send /linkteam with the code in the team's group, not here."))
        return
    services = context.services
    if not await may_manage_chat(update, context):
        await _refuse_link(
            update,
            context,
            "not an admin",
            _("Only an administrator of this group can link it as a prevention team."),
        )
        return
    code = digest("".join(context.args or []))
    result = await services.teams.municipality_of_code(code, services.now())
    if result in ("unknown", "used", "expired"):
        await _refuse_link(update, context, result, _code_refusal(_, result))
        return
    current = await services.teams.team_of(result)
    if current is None or current == chat.id:
        await _link(update, context, code, chat.id, None)
        return
    # Kept with the group: an anonymous admin asks as Telegram's shared account, so their
    # user_data is everyone's, and their press comes from their own account.
    assert context.chat_data is not None
    context.chat_data[LINK_KEY] = {"code": code, "municipality": result, "chat": chat.id}
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, replace"), callback_data=f"{LINK_PREFIX}:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data=f"{LINK_PREFIX}:no"),
            ]
        ]
    )
    question = await message.reply_text(
        _(
            "{municipality} already has a prevention team in another group. Should this group "
            "replace it? Its open requests then move here, and the other group is told.",
            municipality=services.config.municipality_name(result),
        ),
        reply_markup=markup,
    )
    # Only the admin who asked may answer; an anonymous one is unknown, so then any admin.
    prompts.bind(context, question, for_chat=is_anonymous_admin(update))


async def link_button(update: Update, context: BotContext) -> None:
    """The confirmation of a relink: only the administrator who asked (any administrator when
    an anonymous one asked), on that question."""
    query = update.callback_query
    assert query is not None and context.chat_data is not None
    if not await prompts.claim(update, context, LINK_PREFIX):
        return
    _ = await context.translator(update)
    if not await may_manage_chat(update, context):
        await query.answer(
            _("Only an administrator of this group can link it as a prevention team."),
            show_alert=True,
        )
        return
    prompts.release(context, LINK_PREFIX)
    pending = context.chat_data.pop(LINK_KEY, None)
    chat = update.effective_chat
    assert chat is not None
    if query.data != f"{LINK_PREFIX}:yes" or not isinstance(pending, dict):
        await query.edit_message_text(_("Good, nothing has changed."))
        await query.answer()
        return
    await query.edit_message_reply_markup(None)
    await query.answer()
    await _link(update, context, str(pending["code"]), chat.id, pending["municipality"])


async def _link(
    update: Update, context: BotContext, code: str, chat_id: int, replacing: str | None
) -> None:
    """Use the code: link, audit, move the municipality's open requests, tell the old team."""
    services = context.services
    _ = await context.translator(update)
    assert update.effective_user is not None
    previous = await services.teams.team_of(replacing) if replacing else None
    result = await services.teams.redeem_digest(code, chat_id, services.now())
    if result in ("unknown", "used", "expired"):  # used or expired while the question waited
        await _refuse_link(update, context, result, _code_refusal(_, result))
        return
    previous = previous if previous != chat_id else None
    await services.audit.record(
        update.effective_user.id,
        "team.link",
        f"{result}:{chat_id}",
        detail=f"replaced chat_id={previous}" if previous else "",
        now=services.now(),
    )
    log.info("team chat_id=%s linked to %s (before: %s)", chat_id, result, previous)
    name = services.config.municipality_name(result)
    await context.bot.send_message(
        chat_id,
        _(
            "This group is now the prevention team of <b>{municipality}</b>. New advice "
            "requests appear here; /requests lists the open ones.",
            municipality=name,
        ),
        parse_mode=ParseMode.HTML,
    )
    moved = await move_requests(services, context.bot, result)
    if previous is not None:
        await _tell_old_team(services, context.bot, previous, name, moved)


async def _tell_old_team(
    services: Services, bot: Bot, chat_id: int, municipality: str, moved: int
) -> None:
    """The group that was the team hears it in its own language (a new message: an edit of an
    old one would not be noticed)."""
    _ = await chat_translator(services, chat_id, None)
    await tell(
        bot,
        chat_id,
        _.ngettext(
            "This group is no longer the prevention team of {municipality}: an administrator "
            "of another group linked that group instead. {n} open request moved there.",
            "This group is no longer the prevention team of {municipality}: an administrator "
            "of another group linked that group instead. {n} open requests moved there.",
            moved,
            municipality=municipality,
        ),
    )


def _age(_: Translator, request: AdviceRequest, context: BotContext) -> str:
    days = (context.services.now() - request.created_at).days
    # "3 d" rather than ngettext: one form reads well in both languages.
    return _("today") if days == 0 else _("{n} d", n=days)


async def list_requests(update: Update, context: BotContext) -> None:
    """/requests in a team group: open requests, oldest first, with age and claimer."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None and user is not None
    _ = await context.translator(update)
    municipalities = await context.services.teams.municipalities_of(chat.id)
    if not municipalities:
        await message.reply_text(_("This group is not linked as a prevention team."))
        return
    if not await is_chat_member(context, chat.id, user.id):
        log.warning("requests refused: not a member user_id=%s chat_id=%s", user.id, chat.id)
        return
    requests = await context.services.advice.open_for(municipalities)
    if not requests:
        await message.reply_text(_("No open requests. Well done!"))
        return
    lines = [_("<b>Open requests</b> (oldest first)")]
    for r in requests:
        lines.append(
            _(
                "• {reference} – {municipality}, {age}, {status}, {claimer}",
                reference=r.reference,
                municipality=context.services.config.municipality_name(r.municipality),
                age=_age(_, r, context),
                status=_(STATUS_NAMES[r.status]),
                claimer=r.claimed_by_name
                or (_("a team member") if r.claimed_at else _("not claimed")),
            )
        )
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def team_button(update: Update, context: BotContext) -> None:
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and chat is not None and user is not None
    _ = await context.translator(update)
    parts = query.data.split(":")
    code = parts[2] if len(parts) == 3 and parts[1].isdigit() else ""
    request: AdviceRequest | None = None
    why = "malformed"
    action: Action | None = None
    if code in ACTION_CODES or code == MESSAGE_CODE:
        action = ACTION_CODES.get(code)
        request, why = await checked_request(context, chat.id, user, int(parts[1]), action)
        if not why and (
            request is None or not await on_its_message(context, request, query.message, code)
        ):
            why = "not this message"
    if why:
        log.warning(
            "team button refused (%s) chat_id=%s user_id=%s request_id=%s",
            why,
            chat.id,
            user.id,
            parts[1] if len(parts) > 1 and parts[1].isdigit() else "-",
        )
        texts = {
            "not a member": _("Only members of this prevention team can do this."),
            "state": _("This request is already further along or closed."),
            "not the claimer": _("Only the team member who claimed this request can plan it."),
        }
        await query.answer(texts.get(why, _("This button is not valid here.")), show_alert=True)
        return
    assert request is not None
    services = context.services
    if action is None:
        await query.answer()
        await contact.ask_member(update, context, request)
        return
    if action == "done":
        await query.answer()
        await team_done.ask(update, context, request)
        return
    if action in ("plan", "not_possible"):
        await query.answer()
        await _prompt(context, chat.id, user, request, action, _)
        return
    changed = await services.advice.transition(
        request.id, action, services.now(), by=user.id, by_name=user.full_name
    )
    if changed is None:
        await query.answer(_("Someone else was quicker."), show_alert=True)
        return
    log.info("advice request id=%s %s by user_id=%s", changed.id, action, user.id)
    await query.answer()
    await refresh_team_message(services, context.bot, changed)
    await notify_resident(context.application, changed, action)


async def _prompt(
    context: BotContext,
    chat_id: int,
    user: User,
    request: AdviceRequest,
    action: Action,
    _: Translator,
    error: str = "",
) -> None:
    """Ask `user` (and only them: selective ForceReply with a mention) for a date or a reason."""
    mention = Html(user.mention_html())
    if action == "plan":
        tz = context.services.config.locale.tz
        example = example_appointment(context.services.now(), tz).strftime("%d-%m-%Y %H:%M")
        question = _(
            "{member}, reply to this message with the date and time of the appointment for "
            "{reference}, e.g. {example}.",
            member=mention,
            reference=request.reference,
            example=example,
        )
        if request.moments:
            question += "\n" + _(
                "The resident prefers: {moments}.",
                moments=", ".join(_(MOMENTS[m]) for m in request.moments if m in MOMENTS),
            )
    else:
        question = _(
            "{member}, reply to this message with a short reason why {reference} is not "
            "possible. The resident will see it.",
            member=mention,
            reference=request.reference,
        )
    prompt = await context.bot.send_message(
        chat_id,
        f"{error}\n{question}" if error else question,
        parse_mode=ParseMode.HTML,
        reply_markup=ForceReply(selective=True),
    )
    assert context.chat_data is not None
    prompts: dict[str, Any] = context.chat_data.setdefault(PROMPTS_KEY, {})
    for key in [k for k, p in prompts.items() if p.get("request") == request.id]:
        del prompts[key]  # one open question per request
    prompts[str(prompt.message_id)] = {"request": request.id, "user": user.id, "action": action}


def forget_member_prompts(app: BotApplication, user_id: int) -> None:
    """/forgetme by a team member: their open questions in team groups (which hold their id)
    are dropped; a reply to one is then ignored like any other message."""
    for chat_id, data in app.chat_data.items():
        prompts = data.get(PROMPTS_KEY)
        if not isinstance(prompts, dict):
            continue
        mine = [key for key, prompt in prompts.items() if prompt.get("user") == user_id]
        for key in mine:
            del prompts[key]
        if mine:
            app.mark_data_for_update_persistence(chat_ids=chat_id)


async def team_reply(update: Update, context: BotContext) -> None:
    """A reply to one of our prompts: the appointment's date and time, or the reason."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or message.reply_to_message is None:
        return
    prompts = (context.chat_data or {}).get(PROMPTS_KEY, {})
    key = str(message.reply_to_message.message_id)
    prompt = prompts.get(key)
    if prompt is None or prompt.get("user") != user.id:
        return
    _ = await context.translator(update)
    action: Action = prompt["action"]
    request, why = await checked_request(context, chat.id, user, prompt["request"], action)
    if why or request is None:
        log.warning(
            "team reply refused (%s) chat_id=%s user_id=%s request_id=%s",
            why,
            chat.id,
            user.id,
            prompt["request"],
        )
        del prompts[key]
        await message.reply_text(_("This request can no longer be changed this way."))
        return
    services = context.services
    text = message.text or ""
    tz = services.config.locale.tz
    warning = ""
    if action == "plan":
        try:
            moment = parse_appointment(text, services.now(), tz)
        except AppointmentError as exc:
            error = _(APPOINTMENT_PROBLEMS[exc.reason])
            await _prompt(context, chat.id, user, request, action, _, error)
            return
        changed = await services.advice.transition(
            request.id,
            "plan",
            services.now(),
            by=user.id,
            by_name=user.full_name,
            planned_for=moment,
            reminded=notice_is_reminder(moment, services.now(), tz),
        )
        if not fits_moments(request.moments, moment, tz):
            warning = "\n" + _(
                "⚠️ That is outside the resident's preferred moments ({moments}). Check that "
                "it suits them: Message resident.",
                moments=", ".join(_(MOMENTS[m]) for m in request.moments if m in MOMENTS),
            )
    else:
        note = parse_note(text)
        if note is None:
            error = _("Please keep the reason short (at most 200 characters).")
            await _prompt(context, chat.id, user, request, action, _, error)
            return
        changed = await services.advice.transition(
            request.id,
            "not_possible",
            services.now(),
            by=user.id,
            by_name=user.full_name,
            note=note,
        )
    del prompts[key]
    if changed is None:
        await message.reply_text(_("This request is already further along or closed."))
        return
    log.info("advice request id=%s %s by user_id=%s", changed.id, action, user.id)
    await message.reply_text(
        _("Saved: {reference}.", reference=changed.reference) + warning,
        parse_mode=ParseMode.HTML,
    )
    await refresh_team_message(services, context.bot, changed)
    await notify_resident(context.application, changed, action, previous=request.planned_for)


def register(app: BotApplication) -> None:
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handler(CommandHandler("teamcode", team_code, filters=private))
    app.add_handler(CommandHandler(["linkteam", "koppelteam"], link_team))
    app.add_handler(CallbackQueryHandler(link_button, pattern=rf"^{LINK_PREFIX}:(yes|no)$"))
    app.add_handler(CommandHandler(["requests", "aanvragen"], list_requests, filters=groups))
    app.add_handler(CallbackQueryHandler(team_button, pattern=rf"^{TEAM_PREFIX}:"))
    app.add_handler(
        MessageHandler(groups & filters.REPLY & filters.TEXT & ~filters.COMMAND, team_reply)
    )
