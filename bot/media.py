"""Campaign photos: the daily job that deletes the ones nothing refers to any more.

Photos are saved beside the database (`[storage] path` folder, `media/`) when an adviser sends
one to the campaign wizard; a cancelled draft or a replaced photo leaves its file behind. A file
younger than a day is kept even when unreferenced: a wizard may have saved it a moment before
its draft reaches the database.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from bot.services import BotApplication, BotContext, Services
from bot.storage.media import referenced

log = logging.getLogger(__name__)

GRACE = timedelta(days=1)
DAILY_AT = time(3, 30)


async def prune_media(services: Services, now: datetime) -> list[str]:
    """Delete unreferenced photos older than GRACE; returns the deleted file names."""
    folder = services.config.storage.media_dir
    if not folder.is_dir():
        return []
    old = [
        p.name
        for p in folder.iterdir()
        if p.is_file() and datetime.fromtimestamp(p.stat().st_mtime, now.tzinfo) < now - GRACE
    ]
    used = await referenced(services.db, old)
    deleted = sorted(set(old) - used)
    for name in deleted:
        (folder / name).unlink(missing_ok=True)
    log.info("media: deleted %d unused photo(s), %d still in use", len(deleted), len(used))
    return deleted


async def media_daily(context: BotContext) -> None:
    await prune_media(context.services, context.services.now())


def schedule_media_job(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    assert app.job_queue is not None
    app.job_queue.run_daily(
        media_daily, time=DAILY_AT.replace(tzinfo=services.config.locale.tz), name="media-daily"
    )
