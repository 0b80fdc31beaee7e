"""Admins: /invite (a one-time deep link for a new adviser), /roles, /revoke and /audit; and the
`/start inv_<code>` link that grants the role.

Every command and every button checks the role again when it is used (bot.auth.guard), and
callback data carries only ids.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.advisers.texts import chunks, scope_text
from bot.auth import guard, refresh_staff_menu
from bot.erasure import complete_erasure
from bot.handlers import prompts
from bot.services import BotApplication, BotContext
from bot.storage.roles import ALL, INVITE_TTL, Role
from bot.teamwork import chat_translator
from bot.telegram_errors import tell

log = logging.getLogger(__name__)

PREFIX = "rol"
INVITE_PREFIX = "inv_"


async def invite(update: Update, context: BotContext) -> None:
    """/invite adviser <municipality|all> (Dutch: /uitnodigen adviseur <gemeente|alle>)"""
    if not (roles := await guard(update, context, "invite", admin=True)):
        return
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None and roles.admin
    _ = await context.translator(update)
    services = context.services
    args = context.args or []
    wanted = " ".join(args[1:]).strip().lower()
    scope = ALL if wanted in ("all", "alle", "*") else services.config.find_municipality(wanted)
    if not args or args[0].lower() not in ("adviser", "adviseur") or scope is None:
        slugs = ", ".join(m.slug for m in services.config.municipalities)
        await message.reply_text(
            _("Usage: /invite adviser <municipality|all>, with one of: {slugs}", slugs=slugs)
        )
        return
    code = await services.roles.create_invite("adviser", [scope], user.id, services.now())
    await services.audit.record(user.id, "invite", f"adviser:{scope}", now=services.now())
    link = f"https://t.me/{context.bot.username}?start={INVITE_PREFIX}{code}"
    region = {m.slug for m in services.config.municipalities}
    await message.reply_text(
        _(
            "Invite for an adviser of <b>{scope}</b>:\n{link}\n\n"
            "Send this link to the adviser only. It works once and expires in {hours} hours; "
            "I will tell you when it is used.",
            scope=scope_text(_, services.config, region if scope == ALL else [scope]),
            link=link,
            hours=int(INVITE_TTL.total_seconds() // 3600),
        ),
        parse_mode=ParseMode.HTML,
    )


async def accept_invite(update: Update, context: BotContext) -> None:
    """`/start inv_<code>`: grant the role of the invite, once, within its 72 hours."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    services = context.services
    await services.chats.ensure(user.id, "private", services.i18n.pick(user.language_code))
    _ = await context.translator(update)
    code = (context.args or [""])[0].removeprefix(INVITE_PREFIX)
    label = user.first_name + (f" (@{user.username})" if user.username else "")
    result = await services.roles.redeem_invite(code, user.id, label, services.now())
    if isinstance(result, str):
        await services.audit.record(
            user.id, "invite.accept", outcome="refused", detail=result, now=services.now()
        )
        texts = {
            "unknown": _("This invite link is not valid. Ask an administrator for a new one."),
            "used": _(
                "This invite link has already been used. Ask an administrator for a new one."
            ),
            "expired": _("This invite link has expired. Ask an administrator for a new one."),
        }
        await message.reply_text(texts[result])
        return
    await services.audit.record(
        user.id, "role.grant", f"{result.role}:{user.id}", detail="invite", now=services.now()
    )
    await refresh_staff_menu(context.bot, services, user.id)
    region = {m.slug for m in services.config.municipalities}
    scope = region if ALL in result.municipalities else result.municipalities
    await message.reply_text(
        _(
            "Welcome! You are now an adviser for <b>{scope}</b>. /help lists what you can do.",
            scope=scope_text(_, services.config, scope),
        ),
        parse_mode=ParseMode.HTML,
    )
    await _tell_inviter(context, result.created_by, label, scope)


async def _tell_inviter(
    context: BotContext, admin_id: int, label: str, scope: Iterable[str]
) -> None:
    """The admin who made the invite hears it was used, in the admin's own language."""
    services = context.services
    _ = await chat_translator(services, admin_id, None)
    await tell(
        context.bot,
        admin_id,
        _(
            "{name} accepted your invite and is now an adviser for {scope}.",
            name=label,
            scope=scope_text(_, services.config, scope),
        ),
        parse_mode=ParseMode.HTML,
    )


async def list_roles(update: Update, context: BotContext) -> None:
    """/roles: the bootstrap admins of the config and every granted role."""
    if not await guard(update, context, "roles", admin=True):
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    config = context.services.config
    lines = [_("<b>Roles</b>")]
    lines += [
        _("Admin (from the configuration): user {id}", id=uid) for uid in config.admins.user_ids
    ]
    for grant in await context.services.roles.all():
        region = {m.slug for m in config.municipalities}
        scope = region if ALL in grant.municipalities else grant.municipalities
        lines.append(
            _(
                "{role}: {name} (user {id}) – {scope}, since {date}",
                role=_("Admin") if grant.role == "admin" else _("Adviser"),
                name=grant.label or "?",
                id=grant.user_id,
                scope=scope_text(_, config, scope),
                date=_.fmt_date(grant.granted_at.astimezone(_.tz).date(), "d MMMM y"),
            )
        )
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def revoke(update: Update, context: BotContext) -> None:
    """/revoke: a button per granted role; the role goes only after a confirmation."""
    if not await guard(update, context, "revoke", admin=True):
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    grants = await context.services.roles.all()
    if not grants:
        await message.reply_text(_("Nobody has a role that can be revoked."))
        return
    rows = [
        [
            InlineKeyboardButton(
                f"{g.label or g.user_id} – {_('Admin') if g.role == 'admin' else _('Adviser')}",
                callback_data=f"{PREFIX}:rv:{g.user_id}:{g.role}",
            )
        ]
        for g in grants
    ]
    question = await message.reply_text(
        _("Whose role do you want to revoke?"), reply_markup=InlineKeyboardMarkup(rows)
    )
    prompts.bind(context, question)


def _parse_revoke(data: str) -> tuple[str, int, Role] | None:
    """(action, user id, role) of `rol:rv|ok:<user>:<role>`, ("no", 0, "adviser") for `rol:no`;
    None for anything else (the pattern lets only these through, this keeps it so)."""
    parts = data.split(":")
    if parts == [PREFIX, "no"]:
        return "no", 0, "adviser"
    well_formed = len(parts) == 4 and parts[1] in ("rv", "ok") and parts[2].isdigit()
    if well_formed and parts[3] in ("admin", "adviser"):
        return parts[1], int(parts[2]), _role(parts[3])
    return None


async def revoke_button(update: Update, context: BotContext) -> None:
    """rol:rv:<user>:<role> asks to confirm; rol:ok:<user>:<role> revokes; rol:no keeps it.

    Checked in this order: the presser is an admin, the press is on the /revoke question the
    bot sent them, the data is well formed, the role still exists.
    """
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = _parse_revoke(query.data)
    action, user_id, role = parsed or ("?", 0, "adviser")
    target = f"{role}:{user_id}" if parsed and action != "no" else ""
    if not await guard(update, context, f"revoke.{action}", admin=True, target=target):
        return
    if not await prompts.claim(update, context, PREFIX):
        return
    if parsed is None:
        await prompts.refuse_outdated(update, context)
        return
    _ = await context.translator(update)
    services = context.services
    if action == "no":
        prompts.release(context, PREFIX)
        await query.edit_message_text(_("Nothing was changed."))
    elif action == "rv":
        if role not in await services.roles.of(user_id):
            await query.answer(_("That role was already gone."), show_alert=True)
            return
        grant = next(
            (g for g in await services.roles.all() if g.user_id == user_id and g.role == role),
            None,
        )
        await query.edit_message_text(
            _(
                "Revoke the role of {name} ({role})?",
                name=grant.label if grant and grant.label else _("user {id}", id=user_id),
                role=_("Admin") if role == "admin" else _("Adviser"),
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            _("Yes, revoke"), callback_data=f"{PREFIX}:ok:{user_id}:{role}"
                        ),
                        InlineKeyboardButton(_("No"), callback_data=f"{PREFIX}:no"),
                    ]
                ]
            ),
        )
    else:
        assert update.effective_user is not None
        prompts.release(context, PREFIX)
        done = await services.roles.revoke(user_id, role)
        if done:
            await services.audit.record(
                update.effective_user.id, "role.revoke", f"{role}:{user_id}", now=services.now()
            )
            await complete_erasure(context.application)  # the grant held their name
            await refresh_staff_menu(context.bot, services, user_id)
        await query.edit_message_text(
            _("The role has been revoked.") if done else _("That role was already gone.")
        )
    await query.answer()


def _role(value: str) -> Role:
    return "admin" if value == "admin" else "adviser"


async def audit(update: Update, context: BotContext) -> None:
    """/audit: the 50 entries with the latest activity; a repeated refusal is one line with
    its count."""
    if not await guard(update, context, "audit", admin=True):
        return
    message = update.effective_message
    assert message is not None
    _ = await context.translator(update)
    entries = await context.services.audit.latest(50)
    lines = [_("<b>Audit log</b> (latest {n})", n=len(entries))]
    for e in entries:
        mark = "✅" if e.outcome == "ok" else "⛔"
        repeats = ""
        if e.count > 1:
            repeats = " · " + _.ngettext(
                "{n} time, the last at {time}",
                "{n} times, the last at {time}",
                e.count,
                time=_.fmt_datetime(e.last_at, "d MMM HH:mm"),
            )
        lines.append(
            f"{mark} {_.fmt_datetime(e.at, 'd MMM HH:mm')} · {e.actor_id} · "
            f"<code>{html.escape(e.action)}</code> {html.escape(e.target)}{repeats}"
        )
    for text in chunks(lines):
        await message.reply_text(text, parse_mode=ParseMode.HTML)


def register_deep_link(app: BotApplication) -> None:
    """Before the subscription's /start: the invite payload must win over the plain /start."""
    app.add_handler(
        CommandHandler(
            "start",
            accept_invite,
            # The payload follows the command, which may carry the bot's name (/start@bot):
            # CommandHandler checks that name is ours; this only looks at the payload.
            filters=filters.ChatType.PRIVATE
            & filters.Regex(rf"^/start(@[A-Za-z0-9_]+)?\s+{INVITE_PREFIX}"),
        )
    )


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler(["invite", "uitnodigen"], invite))
    app.add_handler(CommandHandler(["roles", "rollen"], list_roles))
    app.add_handler(CommandHandler(["revoke", "intrekken"], revoke))
    app.add_handler(CommandHandler(["audit", "logboek"], audit))
    app.add_handler(
        CallbackQueryHandler(revoke_button, pattern=rf"^{PREFIX}:((rv|ok):\d+:(admin|adviser)|no)$")
    )
