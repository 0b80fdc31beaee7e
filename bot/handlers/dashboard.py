"""/dashboard: advisers and admins open the web dashboard, in Telegram (a Mini App button) or in
a browser on their computer (a one-time login link, valid 10 minutes, used once)."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.auth import guard
from bot.dashboard import app_url, login_url
from bot.services import BotApplication, BotContext


async def dashboard(update: Update, context: BotContext) -> None:
    roles = await guard(update, context, "dashboard")
    if not roles:
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    _ = await context.translator(update)
    services = context.services
    config = services.config
    if not config.dashboard.enabled:
        await message.reply_text(
            _(
                "The dashboard is not switched on for this bot. Whoever runs the bot can switch "
                "it on ([dashboard] in the configuration)."
            )
        )
        return
    link = login_url(config, await services.dashboard.create_login(user.id, services.now()))
    await message.reply_text(
        _(
            "<b>Your dashboard</b>: the year calendar, campaigns and insight.\n"
            "The button opens it here in Telegram. On a computer, open this link in your "
            "browser; it works once, for 10 minutes:\n{link}",
            link=link,
        ),
        parse_mode=ParseMode.HTML,
        # Telegram would fetch the link for a preview: the code is only used by pressing
        # "Log in" on the page, but the link stays out of previews all the same.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Open the dashboard"), web_app=WebAppInfo(app_url(config)))]]
        ),
    )


def register(app: BotApplication) -> None:
    app.add_handler(CommandHandler("dashboard", dashboard))
