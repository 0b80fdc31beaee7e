"""Which campaign photos in the media folder are still referred to by a row.

A photo is in use while a campaign, a broadcast's stored content (the engine sends from it) or
a persisted wizard draft (PTB state) or a dashboard draft names it.
"""

from __future__ import annotations

from bot.storage.database import Database


async def referenced(db: Database, names: list[str]) -> set[str]:
    """The subset of file `names` (in the media folder) that some row still mentions."""
    used = set()
    for name in names:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM campaigns WHERE image LIKE ?1 ESCAPE '\\') "
            "OR EXISTS (SELECT 1 FROM broadcasts WHERE content LIKE ?1 ESCAPE '\\') "
            "OR EXISTS (SELECT 1 FROM ptb_state WHERE value LIKE ?1 ESCAPE '\\') "
            "OR EXISTS (SELECT 1 FROM campaign_drafts WHERE image LIKE ?1 ESCAPE '\\')",
            (pattern,),
        )
        if found:
            used.add(name)
    return used
