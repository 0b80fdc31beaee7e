"""The daily job deletes campaign photos that no row refers to, and nothing else."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from bot.app import build_services
from bot.campaign_photos import prune_campaign_photos
from bot.config import Config
from bot.storage import Database
from bot.storage.database import utcnow
from scheduler.delivery import Audience, Content


async def test_prune_keeps_what_rows_name_and_fresh_files(config: Config) -> None:
    db = Database(config.storage.path)
    await db.open()
    try:
        services = build_services(config, db)
        folder = config.storage.media_dir
        folder.mkdir(parents=True)
        now = utcnow()
        names = [
            "campaign-a.jpg",
            "campaign-broadcast_b.jpg",
            "campaign-draft-c.jpg",
            "campaign-orphan-d.jpg",
            "campaign-new-e.jpg",
            "3f9a0c1d2e.jpg",  # another feature's file in the same folder: never touched
        ]
        for name in names:
            (folder / name).write_bytes(b"jpeg")
            old = (now - timedelta(days=3)).timestamp()
            if name != "campaign-new-e.jpg":  # minutes old: a wizard may still save its draft
                os.utime(folder / name, (old, old))
        await services.campaigns.create(
            1,
            Content({"nl": "x"}, image=folder / "campaign-a.jpg"),
            Audience(frozenset({"enschede"})),
            now,
            "scheduled",
        )
        await services.outbox.materialize(
            "alert:1",
            Content({"nl": "y"}, image=folder / "campaign-broadcast_b.jpg"),
            Audience(frozenset({"enschede"})),
            now,
            None,
            source="alert",
            ref="1",
        )
        draft = {"campaign": {"texts": {}, "image": str(folder / "campaign-draft-c.jpg")}}
        await db.execute(
            "INSERT INTO ptb_state (kind, key, value) VALUES ('user_data', '7', ?)",
            (json.dumps(draft),),
        )

        assert await prune_campaign_photos(services, now) == ["campaign-orphan-d.jpg"]
        kept = sorted(set(names) - {"campaign-orphan-d.jpg"})
        assert sorted(p.name for p in folder.iterdir()) == kept
        # "_" is no wildcard: a row naming "campaign-oXf.jpg" does not keep "campaign-o_f.jpg".
        await services.campaigns.create(
            1,
            Content({"nl": "x"}, image=folder / "campaign-oXf.jpg"),
            Audience(frozenset({"enschede"})),
            now,
            "scheduled",
        )
        (folder / "campaign-o_f.jpg").write_bytes(b"jpeg")
        os.utime(folder / "campaign-o_f.jpg", (old, old))
        assert await prune_campaign_photos(services, now) == ["campaign-o_f.jpg"]
    finally:
        await db.close()


async def test_no_media_folder_is_nothing_to_do(config: Config) -> None:
    db = Database(config.storage.path)
    await db.open()
    try:
        assert await prune_campaign_photos(build_services(config, db), utcnow()) == []
        assert not Path(config.storage.media_dir).exists()
    finally:
        await db.close()
