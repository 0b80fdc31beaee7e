"""The daily media job deletes campaign photos that no row refers to, and only those."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from bot.app import build_services
from bot.config import Config
from bot.media import prune_media
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
        names = ["campaign-a.jpg", "broadcast_b.jpg", "draft-c.jpg", "orphan-d.jpg", "new-e.jpg"]
        for name in names:
            (folder / name).write_bytes(b"jpeg")
            old = (now - timedelta(days=3)).timestamp()
            if name != "new-e.jpg":  # e is minutes old: a wizard may still be saving its draft
                os.utime(folder / name, (old, old))
        await services.campaigns.create(
            1, Content({"nl": "x"}, image=folder / "campaign-a.jpg"),
            Audience(frozenset({"enschede"})), now, "scheduled",
        )
        await services.outbox.materialize(
            "alert:1", Content({"nl": "y"}, image=folder / "broadcast_b.jpg"),
            Audience(frozenset({"enschede"})), now, None, source="alert", ref="1",
        )
        draft = {"campaign": {"texts": {}, "image": str(folder / "draft-c.jpg")}}
        await db.execute(
            "INSERT INTO ptb_state (kind, key, value) VALUES ('user_data', '7', ?)",
            (json.dumps(draft),),
        )

        assert await prune_media(services, now) == ["orphan-d.jpg"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(set(names) - {"orphan-d.jpg"})
        # "_" is no wildcard: a row naming "orphanXf.jpg" does not keep "orphan_f.jpg".
        await services.campaigns.create(
            1, Content({"nl": "x"}, image=folder / "orphanXf.jpg"),
            Audience(frozenset({"enschede"})), now, "scheduled",
        )
        (folder / "orphan_f.jpg").write_bytes(b"jpeg")
        os.utime(folder / "orphan_f.jpg", (old, old))
        assert await prune_media(services, now) == ["orphan_f.jpg"]
    finally:
        await db.close()


async def test_no_media_folder_is_nothing_to_do(config: Config) -> None:
    db = Database(config.storage.path)
    await db.open()
    try:
        assert await prune_media(build_services(config, db), utcnow()) == []
        assert not Path(config.storage.media_dir).exists()
    finally:
        await db.close()
