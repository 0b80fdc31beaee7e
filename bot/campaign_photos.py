"""Campaign photos: the daily job that deletes the ones nothing refers to any more.

Photos are saved beside the database (`[storage] path` folder, `media/`) when an adviser sends
one to the campaign wizard, named `campaign-<random>.jpg`; a cancelled draft or a replaced photo
leaves its file behind. Only files with that prefix are ever considered: other features keep
their own files in the same folder. A file younger than a day is kept even when unreferenced:
a wizard may have saved it a moment before its draft reaches the database.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

from bot.config import Config
from bot.files import open_output, private_folder
from bot.services import BotApplication, BotContext, Services
from bot.storage.campaign_photos import referenced
from bot.wijkschouw.photos import strip_metadata

log = logging.getLogger(__name__)

# The campaign wizard's file names (bot/handlers/campaign_wizard.py, _save_photo), and the
# dashboard's (save_campaign_photo).
PREFIX = "campaign-"
GRACE = timedelta(days=1)
DAILY_AT = time(3, 30)


def save_campaign_photo(config: Config, data: bytes) -> Path:
    """A photo uploaded in the dashboard, decoded and written anew as JPEG without metadata
    (raises bot.wijkschouw.photos.PhotoError for anything that is not a photo)."""
    clean = strip_metadata(data)
    path = private_folder(config.storage.media_dir) / f"{PREFIX}{uuid.uuid4().hex}.jpg"
    with open_output(path, force=False, binary=True) as out:
        out.write(clean)
    return path


async def prune_campaign_photos(services: Services, now: datetime) -> list[str]:
    """Delete unreferenced photos older than GRACE; returns the deleted file names."""
    folder = services.config.storage.media_dir
    if not folder.is_dir():
        return []
    old = [
        p.name
        for p in folder.iterdir()
        if p.is_file()
        and p.name.startswith(PREFIX)
        and datetime.fromtimestamp(p.stat().st_mtime, now.tzinfo) < now - GRACE
    ]
    used = await referenced(services.db, old)
    deleted = sorted(set(old) - used)
    for name in deleted:
        (folder / name).unlink(missing_ok=True)
    log.info("campaign photos: deleted %d unused, %d still in use", len(deleted), len(used))
    return deleted


async def campaign_photos_daily(context: BotContext) -> None:
    await prune_campaign_photos(context.services, context.services.now())


def schedule_campaign_photos_job(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    assert app.job_queue is not None
    app.job_queue.run_daily(
        campaign_photos_daily,
        time=DAILY_AT.replace(tzinfo=services.config.locale.tz),
        name="campaign-photos-daily",
    )
