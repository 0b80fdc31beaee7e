"""The wijkschouw's and the self-check's part of /mydata and /forgetme, kept apart so the privacy
handler needs one call for each."""

from __future__ import annotations

import dataclasses
from typing import Any

from telegram import Bot

from bot.inspection_reports import refresh_boards, refresh_invitation
from bot.services import Services


async def personal_data(services: Services, user_id: int) -> dict[str, Any]:
    """Walks organised and joined, findings reported, and a pending self-check reminder."""
    reminder = await services.selfchecks.of(user_id)
    return {
        "wijkschouw": await services.inspections.export_user(user_id),
        "selfcheck_reminder": None
        if reminder is None
        else {
            k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in dataclasses.asdict(reminder).items()
        },
    }


async def forget(services: Services, bot: Bot, user_id: int) -> None:
    """Unlink the user from walks (their notes and photos go), drop a pending reminder, and show
    it on the group's and the municipality's messages. The caller completes the erasure
    (bot/erasure.py folds the WAL into the file)."""
    forgotten = await services.inspections.forget_user(user_id)
    for name in forgotten.photos:
        services.media.delete(name)
    await services.selfchecks.forget_user(user_id)
    for inspection_id in forgotten.inspections:
        await refresh_invitation(services, bot, inspection_id)
        await refresh_boards(services, bot, inspection_id)
