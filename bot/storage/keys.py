"""Per-deployment secret keys, made at random on first use and kept in the database.

They key hashes that must not be comparable across deployments or guessable from a leaked list
of Telegram ids alone (e.g. the request limits' marks). Whoever has the database file has the
key too: what protects those hashes there is that they are deleted after their window.
"""

from __future__ import annotations

import secrets

from bot.storage.database import Database, to_db_time, utcnow

KEY_BYTES = 32


async def deployment_key(db: Database, name: str) -> bytes:
    """The key called `name`; two first uses at once still agree on one key."""
    value = await db.fetchval("SELECT value FROM deployment_keys WHERE name = ?", (name,))
    if value is None:
        await db.execute(
            "INSERT INTO deployment_keys (name, value, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_bytes(KEY_BYTES), to_db_time(utcnow())),
        )
        value = await db.fetchval("SELECT value FROM deployment_keys WHERE name = ?", (name,))
    assert isinstance(value, bytes)
    return value
