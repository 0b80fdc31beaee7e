"""Broadcasts, the outbox of deliveries, and calendar overrides: the engine's durable state.

Implements scheduler.delivery.OutboxPort and scheduler.planner.BroadcastPort on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from bot.storage.chats import with_events
from bot.storage.database import (
    Database,
    from_db_time,
    from_db_time_or_none,
    to_db_time,
    utcnow,
)
from scheduler.delivery import Audience, Button, Content, Delivery, Outcome
from scheduler.planner import PlannedBroadcast


def content_to_json(content: Content) -> str:
    data: dict[str, Any] = {
        "texts": content.texts,
        "image": str(content.image) if content.image else None,
    }
    if content.image_id:
        data["image_id"] = content.image_id
    if content.buttons:
        data["buttons"] = {
            locale: [[vars(button) for button in row] for row in rows]
            for locale, rows in content.buttons.items()
        }
    return json.dumps(data, ensure_ascii=False)


def content_from_json(value: str) -> Content:
    data = json.loads(value)
    buttons = {
        locale: tuple(tuple(Button(**button) for button in row) for row in rows)
        for locale, rows in data.get("buttons", {}).items()
    }
    return Content(
        texts=data["texts"],
        image=Path(data["image"]) if data.get("image") else None,
        image_id=data.get("image_id"),
        buttons=buttons,
    )


def audience_to_json(audience: Audience) -> str:
    return json.dumps(
        {
            "municipalities": sorted(audience.municipalities),
            "topic": audience.topic,
            "kinds": sorted(audience.kinds),
            "neighbourhoods": None
            if audience.neighbourhoods is None
            else sorted(audience.neighbourhoods),
        }
    )


def audience_from_json(value: str) -> Audience:
    data = json.loads(value)
    hoods = data.get("neighbourhoods")
    return Audience(
        municipalities=frozenset(data["municipalities"]),
        topic=data.get("topic"),
        kinds=frozenset(data["kinds"]),
        neighbourhoods=None if hoods is None else frozenset(hoods),
    )


def _audience_sql(audience: Audience) -> tuple[str, list[Any]]:
    """WHERE clause for the subscribed, active chats of an audience."""
    clauses = ["c.subscribed = 1", "c.active = 1"]
    params: list[Any] = []
    munis = sorted(audience.municipalities)
    clauses.append(f"c.municipality IN ({','.join('?' * len(munis))})")
    params += munis
    kinds = sorted(audience.kinds)
    clauses.append(f"c.kind IN ({','.join('?' * len(kinds))})")
    params += kinds
    if audience.topic and audience.topic != "all":
        clauses.append("(',' || c.topics || ',') LIKE ?")
        params.append(f"%,{audience.topic},%")
    if audience.neighbourhoods is not None:
        hoods = sorted(audience.neighbourhoods)
        # Subscribers of the whole municipality hear about every neighbourhood in it.
        clauses.append(
            f"(c.neighbourhood IS NULL OR c.neighbourhood IN ({','.join('?' * len(hoods))}))"
        )
        params += hoods
    return " AND ".join(clauses), params


def _broadcast_row(b: PlannedBroadcast, now: str) -> tuple[Any, ...]:
    """The values of a new `broadcasts` row, in the column order of the INSERTs below."""
    return (
        b.key,
        b.source,
        b.ref,
        b.municipality,
        to_db_time(b.due_at),
        int(b.hold_quiet),
        audience_to_json(b.audience) if b.audience else None,
        content_to_json(b.content) if b.content else None,
        now,
        now,
    )


@dataclass(frozen=True)
class Override:
    action: Literal["skip", "replace"]
    texts: dict[str, str] | None
    local_date: str  # '' = every occurrence


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen_version: int | None = None

    # --- audience -------------------------------------------------------------------------

    async def audience_size(self, audience: Audience) -> int:
        where, params = _audience_sql(audience)
        return int(await self.db.fetchval(f"SELECT COUNT(*) FROM chats c WHERE {where}", params))

    async def audience_locales(self, audience: Audience) -> dict[str, int]:
        """The audience's chats per language (each gets the text of its locale)."""
        where, params = _audience_sql(audience)
        rows = await self.db.fetchall(
            f"SELECT c.locale, COUNT(*) AS n FROM chats c WHERE {where} GROUP BY c.locale", params
        )
        return {row["locale"]: int(row["n"]) for row in rows}

    # --- broadcasts (planner side) ----------------------------------------------------------

    async def plan(self, broadcasts: Sequence[PlannedBroadcast]) -> None:
        """Insert new planned broadcasts; move the due time of ones not yet materialised."""
        now = to_db_time(utcnow())
        rows = [_broadcast_row(b, now) for b in broadcasts]
        async with self.db.transaction() as conn:
            await conn.executemany(
                """
                INSERT INTO broadcasts (key, source, ref, municipality, due_at, state, hold_quiet,
                                        audience, content, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at,
                    updated_at = excluded.updated_at
                WHERE broadcasts.state = 'planned' AND broadcasts.due_at != excluded.due_at
                """,
                rows,
            )

    async def set_planned(self, broadcast: PlannedBroadcast) -> bool:
        """Plan a broadcast with its content, audience and moment as given, also when its key
        was planned or skipped before (a campaign moved, given a new text, or approved again);
        False when it has gone out already."""
        now = to_db_time(utcnow())
        return (
            await self.db.execute(
                """
                INSERT INTO broadcasts (key, source, ref, municipality, due_at, state, hold_quiet,
                                        audience, content, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET state = 'planned', reason = NULL,
                    due_at = excluded.due_at, audience = excluded.audience,
                    content = excluded.content, updated_at = excluded.updated_at
                WHERE broadcasts.state IN ('planned', 'skipped')
                """,
                _broadcast_row(broadcast, now),
            )
            == 1
        )

    async def replace_planned_content(self, key: str, content: Content) -> bool:
        """A new text for a broadcast that has not gone out; False when it has."""
        return (
            await self.db.execute(
                "UPDATE broadcasts SET content = ?, updated_at = ? "
                "WHERE key = ? AND state = 'planned'",
                (content_to_json(content), to_db_time(utcnow()), key),
            )
            == 1
        )

    async def planned_until(self, until: datetime) -> list[PlannedBroadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE state = 'planned' AND due_at <= ? ORDER BY due_at",
            (to_db_time(until),),
        )
        return [self._planned(row) for row in rows]

    async def next_planned(self) -> datetime | None:
        value = await self.db.fetchval("SELECT MIN(due_at) FROM broadcasts WHERE state = 'planned'")
        return from_db_time_or_none(value)

    async def get_broadcast(self, key: str) -> tuple[str, str | None] | None:
        """(state, reason) of a broadcast, or None."""
        row = await self.db.fetchone("SELECT state, reason FROM broadcasts WHERE key = ?", (key,))
        return None if row is None else (row["state"], row["reason"])

    async def skip(self, key: str, reason: str) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET state = 'skipped', reason = ?, updated_at = ? "
            "WHERE key = ? AND state = 'planned'",
            (reason, to_db_time(utcnow()), key),
        )

    async def revive(self, key: str, due: datetime) -> bool:
        """Plan a skipped broadcast again (it was never sent, so sending it is no repeat)."""
        return (
            await self.db.execute(
                "UPDATE broadcasts SET state = 'planned', reason = NULL, due_at = ?, "
                "updated_at = ? WHERE key = ? AND state = 'skipped'",
                (to_db_time(due), to_db_time(utcnow()), key),
            )
            == 1
        )

    async def cancel_planned(self, key: str, reason: str) -> bool:
        """Skip a broadcast that has not started; False when it already went out."""
        return (
            await self.db.execute(
                "UPDATE broadcasts SET state = 'skipped', reason = ?, updated_at = ? "
                "WHERE key = ? AND state = 'planned'",
                (reason, to_db_time(utcnow()), key),
            )
            == 1
        )

    @staticmethod
    def _planned(row: Any) -> PlannedBroadcast:
        return PlannedBroadcast(
            key=row["key"],
            source=row["source"],
            ref=row["ref"],
            municipality=row["municipality"],
            due_at=from_db_time(row["due_at"]),
            hold_quiet=bool(row["hold_quiet"]),
            audience=audience_from_json(row["audience"]) if row["audience"] else None,
            content=content_from_json(row["content"]) if row["content"] else None,
        )

    # --- the outbox (engine side) -----------------------------------------------------------

    async def materialize(
        self,
        key: str,
        content: Content,
        audience: Audience,
        due: datetime,
        held_until: datetime | None,
        *,
        source: str,
        ref: str,
    ) -> int:
        """One transaction: a pending row per receiving chat, and the broadcast marked
        materialised. A second call for the same key adds nothing (idempotent)."""
        where, params = _audience_sql(audience)
        now = to_db_time(utcnow())
        due_s = to_db_time(due)
        held_s = to_db_time(held_until) if held_until else due_s
        async with self.db.transaction() as conn:
            cursor = await conn.execute("SELECT state FROM broadcasts WHERE key = ?", (key,))
            row = await cursor.fetchone()
            if row is not None and row["state"] != "planned":
                return 0
            await conn.execute(
                """
                INSERT INTO broadcasts (key, source, ref, due_at, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'planned', ?, ?) ON CONFLICT (key) DO NOTHING
                """,
                (key, source, ref, due_s, now, now),
            )
            cursor = await conn.execute(
                f"""
                INSERT OR IGNORE INTO deliveries
                    (broadcast_key, chat_id, locale, state, not_before, updated_at)
                SELECT ?, c.chat_id, c.locale, 'pending',
                       CASE WHEN c.kind = 'private' THEN ? ELSE ? END, ?
                FROM chats c WHERE {where}
                """,
                [key, held_s, due_s, now, *params],
            )
            count = cursor.rowcount
            await conn.execute(
                "UPDATE broadcasts SET state = 'materialized', content = ?, audience = ?, "
                "recipients = ?, updated_at = ? WHERE key = ?",
                (content_to_json(content), audience_to_json(audience), count, now, key),
            )
        return count

    async def due(self, now: datetime, limit: int, exclude: Sequence[int]) -> list[Delivery]:
        excluded = ",".join(str(int(i)) for i in exclude) or "0"
        rows = await self.db.fetchall(
            f"""
            SELECT d.id, d.broadcast_key, d.chat_id, d.locale, d.attempts,
                   c.kind, c.subscribed, c.active, c.coordinator
            FROM deliveries d JOIN chats c ON c.chat_id = d.chat_id
            WHERE d.state = 'pending' AND d.not_before <= ? AND d.id NOT IN ({excluded})
            ORDER BY d.not_before, d.id LIMIT ?
            """,
            (to_db_time(now), limit),
        )
        return [
            Delivery(
                id=r["id"],
                broadcast_key=r["broadcast_key"],
                chat_id=r["chat_id"],
                is_group=r["kind"] == "group",
                locale=r["locale"],
                attempts=r["attempts"],
                subscribed=bool(r["subscribed"]),
                active=bool(r["active"]),
                coordinator=bool(r["coordinator"]),
            )
            for r in rows
        ]

    async def next_due(self, exclude: Sequence[int] = ()) -> datetime | None:
        excluded = ",".join(str(int(i)) for i in exclude) or "0"
        value = await self.db.fetchval(
            "SELECT MIN(not_before) FROM deliveries "
            f"WHERE state = 'pending' AND id NOT IN ({excluded})"
        )
        return from_db_time_or_none(value)

    async def changed(self) -> bool:
        """True when any connection (this process or another) committed since the last call:
        one `PRAGMA data_version` read, cheap enough to ask every second while idle."""
        version = await self.db.data_version()
        changed, self._seen_version = version != self._seen_version, version
        return changed

    async def content(self, key: str) -> Content:
        value = await self.db.fetchval("SELECT content FROM broadcasts WHERE key = ?", (key,))
        return content_from_json(value)

    async def remember_image(self, key: str, file_id: str) -> None:
        """Keep Telegram's file_id of a broadcast's photo, so a resend never uploads it again."""
        await self.db.execute(
            "UPDATE broadcasts SET content = json_set(content, '$.image_id', ?), updated_at = ? "
            "WHERE key = ?",
            (file_id, to_db_time(utcnow()), key),
        )

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """The engine's outcomes in one transaction: finished rows, retries, and the chats a
        send found unreachable."""
        at = to_db_time(now)
        finished = [
            (o.state, o.reason, o.message_id, at, o.delivery_id)
            for o in outcomes
            if o.state != "pending"
        ]
        retries = [
            (to_db_time(o.not_before or now), o.reason, int(o.attempt), at, o.delivery_id)
            for o in outcomes
            if o.state == "pending"
        ]
        unreachable = sorted({o.chat_id for o in outcomes if o.deactivate})
        async with self.db.transaction() as conn:
            if finished:
                await conn.executemany(
                    "UPDATE deliveries SET state = ?, reason = ?, message_id = ?, updated_at = ? "
                    "WHERE id = ?",
                    finished,
                )
            if retries:
                await conn.executemany(
                    "UPDATE deliveries SET not_before = ?, reason = ?, attempts = attempts + ?, "
                    "updated_at = ? WHERE id = ?",
                    retries,
                )
            if unreachable:

                async def deactivate() -> None:
                    await conn.executemany(
                        "UPDATE chats SET active = 0, updated_at = ? WHERE chat_id = ?",
                        [(at, chat_id) for chat_id in unreachable],
                    )

                await with_events(conn, unreachable, deactivate)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A send reported a supergroup upgrade: move the chat (and by cascade its rows)."""
        now = to_db_time(utcnow())
        async with self.db.transaction() as conn:
            cursor = await conn.execute("SELECT 1 FROM chats WHERE chat_id = ?", (new_chat_id,))
            if await cursor.fetchone() is None:
                # Only the id changes: no subscription events.
                await conn.execute(
                    "UPDATE chats SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
                    (new_chat_id, now, old_chat_id),
                )
            else:
                # The new chat is known already (its update came first): hand pending rows over.
                await conn.execute(
                    "UPDATE OR IGNORE deliveries SET chat_id = ? "
                    "WHERE chat_id = ? AND state = 'pending'",
                    (new_chat_id, old_chat_id),
                )

                async def deactivate_old() -> None:
                    await conn.execute(
                        "UPDATE chats SET active = 0, updated_at = ? WHERE chat_id = ?",
                        (now, old_chat_id),
                    )

                await with_events(conn, [old_chat_id], deactivate_old)

    async def pending_count(self, key: str | None = None) -> int:
        if key is None:
            return int(
                await self.db.fetchval("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")
            )
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND broadcast_key = ?",
                (key,),
            )
        )

    async def counts(self, key: str) -> dict[str, int]:
        """Deliveries of one broadcast by state (for reports and tests)."""
        rows = await self.db.fetchall(
            "SELECT state, COUNT(*) AS n FROM deliveries WHERE broadcast_key = ? GROUP BY state",
            (key,),
        )
        return {row["state"]: row["n"] for row in rows}

    # --- calendar overrides (local tailoring per municipality) -----------------------------

    async def set_override(
        self,
        municipality: str,
        entry_id: str,
        action: Literal["skip", "replace"],
        *,
        local_date: str = "",
        texts: dict[str, str] | None = None,
        by: int | None = None,
    ) -> None:
        await self.db.execute(
            """
            INSERT INTO calendar_overrides
                (municipality, entry_id, local_date, action, texts, created_by, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (municipality, entry_id, local_date) DO UPDATE SET
                action = excluded.action, texts = excluded.texts,
                created_by = excluded.created_by, created_at = excluded.created_at
            """,
            (
                municipality,
                entry_id,
                local_date,
                action,
                json.dumps(texts, ensure_ascii=False) if texts else None,
                by,
                to_db_time(utcnow()),
            ),
        )

    async def clear_override(self, municipality: str, entry_id: str, local_date: str = "") -> bool:
        return (
            await self.db.execute(
                "DELETE FROM calendar_overrides "
                "WHERE municipality = ? AND entry_id = ? AND local_date = ?",
                (municipality, entry_id, local_date),
            )
            == 1
        )

    async def override_for(
        self, municipality: str, entry_id: str, local_date: str
    ) -> Override | None:
        """The override for one occurrence: a dated one wins over an 'always' one."""
        row = await self.db.fetchone(
            "SELECT action, texts, local_date FROM calendar_overrides "
            "WHERE municipality = ? AND entry_id = ? AND local_date IN (?, '') "
            "ORDER BY local_date DESC LIMIT 1",
            (municipality, entry_id, local_date),
        )
        if row is None:
            return None
        texts = json.loads(row["texts"]) if row["texts"] else None
        return Override(action=row["action"], texts=texts, local_date=row["local_date"])

    async def overrides(self, municipality: str | None = None) -> list[tuple[str, str, Override]]:
        """(municipality, entry_id, override) for listing in the CLI and the advisers' chat."""
        sql = "SELECT * FROM calendar_overrides"
        params: tuple[str, ...] = ()
        if municipality:
            sql += " WHERE municipality = ?"
            params = (municipality,)
        rows = await self.db.fetchall(sql + " ORDER BY municipality, entry_id, local_date", params)
        return [
            (
                r["municipality"],
                r["entry_id"],
                Override(
                    r["action"], json.loads(r["texts"]) if r["texts"] else None, r["local_date"]
                ),
            )
            for r in rows
        ]
