"""Repository for wijkschouw rows: the walks, who joins them, the findings (numbered per walk)
and the messages on which the municipality marks them.

State changes are conditional updates, so two presses at once cannot both close a walk or mark
a finding twice.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.storage.database import Database, from_db_time, from_db_time_or_none, to_db_time
from bot.wijkschouw.model import MAX_FINDINGS, TRANSITIONS, Status

Refused = Literal["closed", "full"]
FINISH_CLAIM = timedelta(minutes=15)


@dataclass(frozen=True)
class Inspection:
    id: int
    code: str
    chat_id: int
    municipality: str
    neighbourhood: str | None
    walk_at: datetime
    meeting_point: str
    organiser_id: int | None
    state: str
    invite_message_id: int | None
    created_at: datetime
    closed_at: datetime | None
    summary_sent_at: datetime | None
    reported_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class NewInspection:
    chat_id: int
    municipality: str
    neighbourhood: str | None
    walk_at: datetime
    meeting_point: str
    organiser_id: int


@dataclass(frozen=True)
class Finding:
    id: int
    inspection_id: int
    number: int
    reporter_id: int | None
    category: str
    note: str | None
    street: str | None
    latitude: float | None
    longitude: float | None
    photo: str | None
    status: str
    status_reason: str | None
    status_at: datetime | None
    created_at: datetime

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


@dataclass(frozen=True)
class NewFinding:
    inspection_id: int
    reporter_id: int
    category: str
    note: str | None
    street: str | None
    latitude: float | None
    longitude: float | None
    photo: str | None


@dataclass(frozen=True)
class Forgotten:
    """What /forgetme took away: photo files to delete, walks whose messages show it."""

    photos: list[str]
    inspections: list[int]


def _inspection(row: aiosqlite.Row) -> Inspection:
    return Inspection(
        id=row["id"],
        code=row["code"],
        chat_id=row["chat_id"],
        municipality=row["municipality"],
        neighbourhood=row["neighbourhood"],
        walk_at=from_db_time(row["walk_at"]),
        meeting_point=row["meeting_point"],
        organiser_id=row["organiser_id"],
        state=row["state"],
        invite_message_id=row["invite_message_id"],
        created_at=from_db_time(row["created_at"]),
        closed_at=from_db_time_or_none(row["closed_at"]),
        summary_sent_at=from_db_time_or_none(row["summary_sent_at"]),
        reported_at=from_db_time_or_none(row["reported_at"]),
    )


def _finding(row: aiosqlite.Row) -> Finding:
    return Finding(
        id=row["id"],
        inspection_id=row["inspection_id"],
        number=row["number"],
        reporter_id=row["reporter_id"],
        category=row["category"],
        note=row["note"],
        street=row["street"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        photo=row["photo"],
        status=row["status"],
        status_reason=row["status_reason"],
        status_at=from_db_time_or_none(row["status_at"]),
        created_at=from_db_time(row["created_at"]),
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class InspectionStore:
    """Repository for `inspections`, `inspection_participants`, `inspection_findings` and
    `inspection_boards`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ walks

    async def create(self, new: NewInspection, now: datetime) -> Inspection | None:
        """A new open walk; None when the group already has one open."""
        stamp = to_db_time(now)
        try:
            inspection_id = await self.db.insert(
                """
                INSERT INTO inspections (code, chat_id, municipality, neighbourhood, walk_at,
                    meeting_point, organiser_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    secrets.token_urlsafe(9),
                    new.chat_id,
                    new.municipality,
                    new.neighbourhood,
                    to_db_time(new.walk_at),
                    new.meeting_point,
                    new.organiser_id,
                    stamp,
                ),
            )
        except sqlite3.IntegrityError:
            return None
        return await self.get(inspection_id)

    async def get(self, inspection_id: int) -> Inspection | None:
        row = await self.db.fetchone("SELECT * FROM inspections WHERE id = ?", (inspection_id,))
        return None if row is None else _inspection(row)

    async def by_code(self, code: str) -> Inspection | None:
        row = await self.db.fetchone("SELECT * FROM inspections WHERE code = ?", (code,))
        return None if row is None else _inspection(row)

    async def open_in(self, chat_id: int) -> Inspection | None:
        row = await self.db.fetchone(
            "SELECT * FROM inspections WHERE chat_id = ? AND state = 'open'", (chat_id,)
        )
        return None if row is None else _inspection(row)

    async def set_invite_message(self, inspection_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE inspections SET invite_message_id = ? WHERE id = ?",
            (message_id, inspection_id),
        )

    async def close(self, inspection_id: int, now: datetime) -> Inspection | None:
        """Close an open walk; None when it was closed already (the other press won)."""
        changed = await self.db.execute(
            "UPDATE inspections SET state = 'closed', closed_at = ? "
            "WHERE id = ? AND state = 'open'",
            (to_db_time(now), inspection_id),
        )
        return await self.get(inspection_id) if changed else None

    async def mark_summary_sent(self, inspection_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE inspections SET summary_sent_at = ? WHERE id = ?",
            (to_db_time(now), inspection_id),
        )

    async def mark_reported(self, inspection_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE inspections SET reported_at = ? WHERE id = ?", (to_db_time(now), inspection_id)
        )

    async def claim_finish(self, inspection_id: int, now: datetime) -> Inspection | None:
        """The closed walk, if nobody else is sending its summary and report right now (a claim
        older than FINISH_CLAIM is taken over: the sender died)."""
        changed = await self.db.execute(
            "UPDATE inspections SET finishing_at = ? WHERE id = ? AND state = 'closed' "
            "AND (finishing_at IS NULL OR finishing_at < ?)",
            (to_db_time(now), inspection_id, to_db_time(now - FINISH_CLAIM)),
        )
        return await self.get(inspection_id) if changed else None

    async def release_finish(self, inspection_id: int) -> None:
        await self.db.execute(
            "UPDATE inspections SET finishing_at = NULL WHERE id = ?", (inspection_id,)
        )

    async def unfinished(self) -> list[Inspection]:
        """Closed walks whose group summary or municipal report has not gone out yet."""
        rows = await self.db.fetchall(
            "SELECT * FROM inspections WHERE state = 'closed' "
            "AND (summary_sent_at IS NULL OR reported_at IS NULL) ORDER BY closed_at, id"
        )
        return [_inspection(r) for r in rows]

    # ------------------------------------------------------------------ participants

    async def toggle_participant(self, inspection_id: int, user_id: int, now: datetime) -> bool:
        """Join, or leave when already joined; returns True when the user is joining now."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM inspection_participants WHERE inspection_id = ? AND user_id = ?",
                (inspection_id, user_id),
            )
            if cursor.rowcount:
                return False
            await conn.execute(
                "INSERT INTO inspection_participants (inspection_id, user_id, joined_at) "
                "VALUES (?, ?, ?)",
                (inspection_id, user_id, to_db_time(now)),
            )
        return True

    async def join(self, inspection_id: int, user_id: int, now: datetime) -> bool:
        """A reporter takes part; True when they were not on the list yet."""
        changed = await self.db.execute(
            "INSERT OR IGNORE INTO inspection_participants (inspection_id, user_id, joined_at) "
            "VALUES (?, ?, ?)",
            (inspection_id, user_id, to_db_time(now)),
        )
        return changed > 0

    async def participant_count(self, inspection_id: int) -> int:
        value = await self.db.fetchval(
            "SELECT COUNT(*) FROM inspection_participants WHERE inspection_id = ?",
            (inspection_id,),
        )
        return int(value or 0)

    # ------------------------------------------------------------------ findings

    async def add_finding(self, new: NewFinding, now: datetime) -> Finding | Refused:
        """Store a finding with the walk's next number, unless the walk is no longer open or
        has MAX_FINDINGS already.

        The checks and the numbering happen in the write transaction, so two reporters saving
        at once get different numbers and nothing is added after closing.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT state, (SELECT COUNT(*) FROM inspection_findings "
                "WHERE inspection_id = inspections.id) AS findings "
                "FROM inspections WHERE id = ?",
                (new.inspection_id,),
            )
            walk = await cursor.fetchone()
            if walk is None or walk["state"] != "open":
                return "closed"
            if walk["findings"] >= MAX_FINDINGS:
                return "full"
            cursor = await conn.execute(
                """
                INSERT INTO inspection_findings (inspection_id, number, reporter_id, category,
                    note, street, latitude, longitude, photo, created_at)
                VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM inspection_findings
                            WHERE inspection_id = ?), ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    new.inspection_id,
                    new.inspection_id,
                    new.reporter_id,
                    new.category,
                    new.note,
                    new.street,
                    new.latitude,
                    new.longitude,
                    new.photo,
                    to_db_time(now),
                ),
            )
            row = await cursor.fetchone()
            assert row is not None
        found = await self.finding(int(row[0]))
        assert found is not None
        return found

    async def finding(self, finding_id: int) -> Finding | None:
        row = await self.db.fetchone(
            "SELECT * FROM inspection_findings WHERE id = ?", (finding_id,)
        )
        return None if row is None else _finding(row)

    async def findings(self, inspection_id: int) -> list[Finding]:
        rows = await self.db.fetchall(
            "SELECT * FROM inspection_findings WHERE inspection_id = ? ORDER BY number",
            (inspection_id,),
        )
        return [_finding(r) for r in rows]

    async def mark(
        self, finding_id: int, status: Status, reason: str, now: datetime
    ) -> Finding | None:
        """The municipality's mark, if the finding is still in a status that allows it."""
        sources = ", ".join(f"'{s}'" for s in TRANSITIONS[status])
        changed = await self.db.execute(
            f"UPDATE inspection_findings SET status = ?, status_reason = ?, status_at = ? "
            f"WHERE id = ? AND status IN ({sources})",
            (status, reason, to_db_time(now), finding_id),
        )
        return await self.finding(finding_id) if changed else None

    # ------------------------------------------------------------------ boards

    async def set_board(self, inspection_id: int, chat_id: int, message_id: int) -> None:
        """Record the marking message the bot sent to `chat_id`."""
        await self.db.execute(
            "INSERT INTO inspection_boards (inspection_id, chat_id, message_id) "
            "VALUES (?, ?, ?) ON CONFLICT (inspection_id, chat_id) "
            "DO UPDATE SET message_id = excluded.message_id",
            (inspection_id, chat_id, message_id),
        )

    async def boards(self, inspection_id: int) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every marking message of the walk."""
        rows = await self.db.fetchall(
            "SELECT chat_id, message_id FROM inspection_boards WHERE inspection_id = ?",
            (inspection_id,),
        )
        return [(r["chat_id"], r["message_id"]) for r in rows]

    # ------------------------------------------------------------------ privacy

    async def export_user(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about `user_id`: walks organised, walks joined, findings."""
        organised = await self.db.fetchall(
            "SELECT * FROM inspections WHERE organiser_id = ? ORDER BY id", (user_id,)
        )
        joined = await self.db.fetchall(
            "SELECT inspection_id, joined_at FROM inspection_participants WHERE user_id = ? "
            "ORDER BY inspection_id",
            (user_id,),
        )
        findings = await self.db.fetchall(
            "SELECT * FROM inspection_findings WHERE reporter_id = ? ORDER BY inspection_id, "
            "number",
            (user_id,),
        )
        return {
            "organised": [
                {k: _plain(v) for k, v in asdict(_inspection(r)).items() if k != "code"}
                for r in organised
            ],
            "joined": [dict(r) for r in joined],
            "findings": [{k: _plain(v) for k, v in asdict(_finding(r)).items()} for r in findings],
        }

    async def forget_user(self, user_id: int) -> Forgotten:
        """Unlink the user from every walk: off the participant lists, no longer organiser,
        and their findings keep only what the municipality needs (number, category, place,
        status) without the reporter, the note or the photo."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT inspection_id, photo FROM inspection_findings WHERE reporter_id = ?",
                (user_id,),
            )
            rows = list(await cursor.fetchall())
            cursor = await conn.execute(
                "DELETE FROM inspection_participants WHERE user_id = ? RETURNING inspection_id",
                (user_id,),
            )
            joined = [r[0] for r in await cursor.fetchall()]
            await conn.execute(
                "UPDATE inspections SET organiser_id = NULL WHERE organiser_id = ?", (user_id,)
            )
            await conn.execute(
                "UPDATE inspection_findings SET reporter_id = NULL, note = NULL, photo = NULL "
                "WHERE reporter_id = ?",
                (user_id,),
            )
        photos = [r["photo"] for r in rows if r["photo"]]
        return Forgotten(photos, sorted({*(r["inspection_id"] for r in rows), *joined}))

    async def purge_closed_before(self, cutoff: datetime) -> int:
        """Retention: walks closed before `cutoff` keep no Telegram ids (participants,
        organiser, reporters); the findings stay for the municipality. Returns the walks."""
        stamp = to_db_time(cutoff)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT i.id FROM inspections i WHERE i.state = 'closed' AND i.closed_at < ? "
                "AND (i.organiser_id IS NOT NULL "
                "OR EXISTS (SELECT 1 FROM inspection_participants p WHERE p.inspection_id = i.id) "
                "OR EXISTS (SELECT 1 FROM inspection_findings f "
                "WHERE f.inspection_id = i.id AND f.reporter_id IS NOT NULL))",
                (stamp,),
            )
            ids = [r[0] for r in await cursor.fetchall()]
            marks = ", ".join("?" for _ in ids)
            if ids:
                await conn.execute(
                    f"DELETE FROM inspection_participants WHERE inspection_id IN ({marks})", ids
                )
                await conn.execute(
                    f"UPDATE inspections SET organiser_id = NULL WHERE id IN ({marks})", ids
                )
                await conn.execute(
                    f"UPDATE inspection_findings SET reporter_id = NULL "
                    f"WHERE inspection_id IN ({marks})",
                    ids,
                )
        return len(ids)

    # ------------------------------------------------------------------ figures

    async def held(
        self, municipalities: Iterable[str], start: datetime, end: datetime
    ) -> list[Inspection]:
        """Walks closed in [start, end) in these municipalities."""
        slugs = sorted(municipalities)
        marks = ", ".join("?" for _ in slugs)
        rows = await self.db.fetchall(
            f"SELECT * FROM inspections WHERE state = 'closed' AND municipality IN ({marks}) "
            "AND closed_at >= ? AND closed_at < ? ORDER BY closed_at",
            [*slugs, to_db_time(start), to_db_time(end)],
        )
        return [_inspection(r) for r in rows]
