"""Repository for advice requests: creating them (with limits and reference numbers in one
transaction), team transitions as conditional updates, and erasing personal fields."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.advice.requests import (
    CAP_PERIODS,
    CLOSED,
    LIMIT_WINDOW,
    OPEN,
    TRANSITIONS,
    Action,
    LimitCheck,
    MunicipalityCaps,
    Refusal,
    check_caps,
    check_limits,
    reference,
)
from bot.storage.database import Database, from_db_time, from_db_time_or_none, to_db_time
from bot.storage.keys import deployment_key

# Cleared by /forgetme and by the retention purge; what stays is anonymous. The team member's
# id and name go too: on an anonymous request they serve no purpose.
PERSONAL_FIELDS = (
    "user_id",
    "name",
    "postcode",
    "house_number",
    "phone",
    "moments",
    "note",
    "selfcheck",
    "claimed_by",
    "claimed_by_name",
    "closed_by",
    "closed_by_name",
)


@dataclass(frozen=True)
class AdviceRequest:
    id: int
    reference: str
    user_id: int | None
    locale: str
    municipality: str
    reason: str
    name: str | None
    postcode: str | None
    house_number: str | None
    phone: str | None  # E.164, None = "via this chat" (or erased)
    moments: tuple[str, ...]
    status: str
    created_at: datetime
    updated_at: datetime
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    planned_for: datetime | None
    closed_at: datetime | None
    closed_by: int | None
    closed_by_name: str | None
    note: str | None
    team_chat_id: int | None
    team_message_id: int | None
    erased_at: datetime | None
    # Answers of the home self-check the resident attached (bot/selfcheck/scoring.py), or None.
    selfcheck: str | None = None
    # Why the personal fields were erased: "resident" (/forgetme, a withdrawal) or "retention".
    erased_reason: str | None = None
    # The appointment the day-before reminder was sent for (a new appointment gets its own).
    reminded_for: datetime | None = None
    # When the resident said the planned moment does not suit them (until it is planned again).
    declined_at: datetime | None = None
    # When the resident was told the advice is done (after the team's undo window).
    done_told_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


Direction = Literal["to_team", "to_resident"]


@dataclass(frozen=True)
class RelayedMessage:
    """A bot message about a request outside its team message: a resident's text or a notice
    in the team group ("to_team"), a team's text in the resident's chat ("to_resident")."""

    request_id: int
    direction: Direction
    chat_id: int
    message_id: int
    sent_at: datetime


@dataclass(frozen=True)
class Erased:
    """A request whose personal fields were just erased: as it was (to tell the team and the
    claimer), as it is now, and the bot's messages about it (their rows are gone)."""

    before: AdviceRequest
    after: AdviceRequest
    messages: tuple[RelayedMessage, ...]


@dataclass(frozen=True)
class NewRequest:
    """What the resident entered and agreed to store."""

    user_id: int
    locale: str
    municipality: str
    reason: str
    name: str
    postcode: str
    house_number: str
    phone: str | None
    moments: tuple[str, ...]
    selfcheck: str | None = None


def _message(row: aiosqlite.Row) -> RelayedMessage:
    return RelayedMessage(
        request_id=row["request_id"],
        direction=row["direction"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        sent_at=from_db_time(row["sent_at"]),
    )


def _row(row: aiosqlite.Row) -> AdviceRequest:
    return AdviceRequest(
        id=row["id"],
        reference=row["reference"],
        user_id=row["user_id"],
        locale=row["locale"],
        municipality=row["municipality"],
        reason=row["reason"],
        name=row["name"],
        postcode=row["postcode"],
        house_number=row["house_number"],
        phone=row["phone"],
        moments=tuple(m for m in (row["moments"] or "").split(",") if m),
        status=row["status"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        claimed_by=row["claimed_by"],
        claimed_by_name=row["claimed_by_name"],
        claimed_at=from_db_time_or_none(row["claimed_at"]),
        planned_for=from_db_time_or_none(row["planned_for"]),
        closed_at=from_db_time_or_none(row["closed_at"]),
        closed_by=row["closed_by"],
        closed_by_name=row["closed_by_name"],
        note=row["note"],
        team_chat_id=row["team_chat_id"],
        team_message_id=row["team_message_id"],
        erased_at=from_db_time_or_none(row["erased_at"]),
        selfcheck=row["selfcheck"],
        erased_reason=row["erased_reason"],
        reminded_for=from_db_time_or_none(row["reminded_for"]),
        declined_at=from_db_time_or_none(row["declined_at"]),
        done_told_at=from_db_time_or_none(row["done_told_at"]),
    )


LIMITS_KEY = "advice-limits"
_OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN) + ")"
_CLOSED_SQL = "(" + ", ".join(f"'{s}'" for s in CLOSED) + ")"
_ERASE_SQL = ", ".join(f"{f} = NULL" for f in PERSONAL_FIELDS)


Fetch = Callable[[str, Sequence[Any]], Awaitable[Sequence[aiosqlite.Row]]]


def _in(conn: aiosqlite.Connection) -> Fetch:
    """Reads inside the caller's write transaction on `conn`."""

    async def fetch(sql: str, params: Sequence[Any]) -> Sequence[aiosqlite.Row]:
        cursor = await conn.execute(sql, params)
        return list(await cursor.fetchall())

    return fetch


async def _user_limits(fetch: Fetch, user_id: int, subject: str, now: datetime) -> LimitCheck:
    """One open request per resident (their rows), 3 per window (the marks of their subject)."""
    open_rows = await fetch(
        f"SELECT id FROM advice_requests WHERE user_id = ? AND status IN {_OPEN_SQL}", (user_id,)
    )
    marks = await fetch(
        "SELECT created_at FROM advice_limit_marks WHERE subject = ? AND created_at > ?",
        (subject, to_db_time(now - LIMIT_WINDOW)),
    )
    return check_limits(len(open_rows), [from_db_time(r[0]) for r in marks], now)


class AdviceStore:
    """Repository for the `advice_requests` and `advice_sequences` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._key: bytes | None = None

    async def _subject(self, user_id: int) -> str:
        """The limits' key for a user: an HMAC of the id, so that the marks that outlive
        /forgetme hold no id in clear and cannot be compared with another deployment's."""
        if self._key is None:
            self._key = await deployment_key(self.db, LIMITS_KEY)
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()

    async def create(
        self,
        new: NewRequest,
        now: datetime,
        year: int,
        caps: MunicipalityCaps | None = None,
    ) -> AdviceRequest | LimitCheck:
        """Store a request and give it the next reference of `year` (the local year).

        The limits are checked inside the same write transaction, so two confirmations sent at
        once cannot both pass: the resident's own (counted on marks that survive /forgetme) and,
        with `caps`, the municipality's.
        """
        stamp = to_db_time(now)
        subject = await self._subject(new.user_id)
        async with self.db.transaction() as conn:
            limit = await _user_limits(_in(conn), new.user_id, subject, now)
            if limit.refused is None and caps is not None:
                cursor = await conn.execute(
                    "SELECT created_at FROM advice_requests "
                    "WHERE municipality = ? AND created_at > ?",
                    (new.municipality, to_db_time(now - max(CAP_PERIODS.values()))),
                )
                recent = [from_db_time(r[0]) for r in await cursor.fetchall()]
                limit = check_caps(caps, recent, now)
            if limit.refused:
                return limit
            cursor = await conn.execute(
                "INSERT INTO advice_sequences (year, last) VALUES (?, 1) "
                "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                (year,),
            )
            seq = await cursor.fetchone()
            assert seq is not None
            cursor = await conn.execute(
                """
                INSERT INTO advice_requests (reference, user_id, locale, municipality, reason,
                    name, postcode, house_number, phone, moments, created_at, updated_at,
                    selfcheck)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    reference(year, seq[0]),
                    new.user_id,
                    new.locale,
                    new.municipality,
                    new.reason,
                    new.name,
                    new.postcode,
                    new.house_number,
                    new.phone,
                    ",".join(new.moments),
                    stamp,
                    stamp,
                    new.selfcheck,
                ),
            )
            request_id = cursor.lastrowid
            # Not linked to the request: an erased request must stay anonymous.
            await conn.execute(
                "INSERT INTO advice_limit_marks (subject, created_at) VALUES (?, ?)",
                (subject, stamp),
            )
        assert request_id is not None
        created = await self.get(request_id)
        assert created is not None
        return created

    async def limits(self, user_id: int, now: datetime) -> LimitCheck:
        """The limits as they stand, to tell the resident before they fill everything in."""
        return await _user_limits(self.db.fetchall, user_id, await self._subject(user_id), now)

    async def purge_limit_marks(self, now: datetime) -> int:
        """Marks older than the limit window count for nothing any more: deleted (daily)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM advice_limit_marks WHERE created_at <= ?",
                (to_db_time(now - LIMIT_WINDOW),),
            )
            await conn.execute(
                "DELETE FROM advice_cap_notices WHERE noticed_at <= ?",
                (to_db_time(now - max(CAP_PERIODS.values())),),
            )
            return cursor.rowcount

    async def claim_cap_notice(self, municipality: str, refusal: Refusal, now: datetime) -> bool:
        """True once per cap period and municipality: then the admins are to be told."""
        period = "hour" if refusal == "municipality_hour" else "day"
        return (
            await self.db.execute(
                "INSERT INTO advice_cap_notices (municipality, period, noticed_at) "
                "VALUES (?, ?, ?) ON CONFLICT (municipality, period) DO UPDATE "
                "SET noticed_at = excluded.noticed_at WHERE noticed_at <= ?",
                (municipality, period, to_db_time(now), to_db_time(now - CAP_PERIODS[refusal])),
            )
            == 1
        )

    async def get(self, request_id: int) -> AdviceRequest | None:
        row = await self.db.fetchone("SELECT * FROM advice_requests WHERE id = ?", (request_id,))
        return None if row is None else _row(row)

    async def for_user(self, user_id: int) -> list[AdviceRequest]:
        rows = await self.db.fetchall(
            "SELECT * FROM advice_requests WHERE user_id = ? ORDER BY created_at, id", (user_id,)
        )
        return [_row(r) for r in rows]

    async def handled_by(self, user_id: int) -> list[AdviceRequest]:
        """Requests a team member claimed or closed: their id and name are stored there."""
        rows = await self.db.fetchall(
            "SELECT * FROM advice_requests WHERE claimed_by = ? OR closed_by = ? "
            "ORDER BY created_at, id",
            (user_id, user_id),
        )
        return [_row(r) for r in rows]

    async def forget_team_member(self, user_id: int, now: datetime) -> list[AdviceRequest]:
        """/forgetme by a team member: their id and name leave the requests they handled.

        The requests themselves stay as they are (a claim stays a claim: any member of the team
        may then plan it). Returns them as they are now, for editing their team messages.
        """
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE advice_requests SET claimed_by = NULL, claimed_by_name = NULL, "
                "updated_at = ? WHERE claimed_by = ? RETURNING id",
                (stamp, user_id),
            )
            ids = {row[0] for row in await cursor.fetchall()}
            cursor = await conn.execute(
                "UPDATE advice_requests SET closed_by = NULL, closed_by_name = NULL, "
                "updated_at = ? WHERE closed_by = ? RETURNING id",
                (stamp, user_id),
            )
            ids |= {row[0] for row in await cursor.fetchall()}
        return [r for r in [await self.get(i) for i in sorted(ids)] if r is not None]

    async def open_for(self, municipalities: list[str]) -> list[AdviceRequest]:
        """Open requests of these municipalities, oldest first."""
        marks = ", ".join("?" for _ in municipalities)
        rows = await self.db.fetchall(
            f"SELECT * FROM advice_requests WHERE status IN {_OPEN_SQL} "
            f"AND municipality IN ({marks}) ORDER BY created_at, id",
            municipalities,
        )
        return [_row(r) for r in rows]

    async def unposted(self) -> list[AdviceRequest]:
        """Open requests no team message exists for (no team was linked, or sending failed)."""
        rows = await self.db.fetchall(
            f"SELECT * FROM advice_requests WHERE status IN {_OPEN_SQL} "
            "AND team_message_id IS NULL ORDER BY created_at, id"
        )
        return [_row(r) for r in rows]

    async def set_team_message(self, request_id: int, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE advice_requests SET team_chat_id = ?, team_message_id = ? WHERE id = ?",
            (chat_id, message_id, request_id),
        )

    async def hand_over(self, request_id: int) -> None:
        """The request leaves its team's group for a new team: no team message until it is
        posted there, and the old team's claimer (id and name) is not the new team's."""
        await self.db.execute(
            "UPDATE advice_requests SET team_chat_id = NULL, team_message_id = NULL, "
            "claimed_by = NULL, claimed_by_name = NULL WHERE id = ?",
            (request_id,),
        )

    async def transition(
        self,
        request_id: int,
        action: Action,
        now: datetime,
        *,
        by: int,
        by_name: str,
        planned_for: datetime | None = None,
        note: str | None = None,
        reminded: bool = False,
    ) -> AdviceRequest | None:
        """Apply a team action if the request is still in a state that allows it.

        The state check is part of the UPDATE, so of two members pressing at once only one
        wins; None means the action is no longer possible. A new appointment is no longer
        declined; `reminded` says its notice already serves as the day-before reminder.
        """
        sources, target = TRANSITIONS[action]
        stamp = to_db_time(now)
        sets: dict[str, Any] = {"status": target, "updated_at": stamp}
        if action == "claim":
            sets |= {"claimed_by": by, "claimed_by_name": by_name, "claimed_at": stamp}
        elif action == "plan":
            assert planned_for is not None
            sets |= {
                "planned_for": to_db_time(planned_for),
                "declined_at": None,
                "reminded_for": to_db_time(planned_for) if reminded else None,
            }
        else:
            sets |= {"closed_at": stamp, "closed_by": by, "closed_by_name": by_name, "note": note}
            sets["done_told_at"] = None
        assignments = ", ".join(f"{k} = :{k}" for k in sets)
        states = ", ".join(f"'{s}'" for s in sources)
        changed = await self.db.execute(
            f"UPDATE advice_requests SET {assignments} "
            f"WHERE id = :id AND status IN ({states}) AND erased_at IS NULL",
            {**sets, "id": request_id},
        )
        return await self.get(request_id) if changed else None

    async def _erase(
        self, conn: aiosqlite.Connection, ids: Sequence[int], reason: str, now: datetime
    ) -> list[tuple[AdviceRequest, tuple[RelayedMessage, ...]]]:
        """Inside a transaction: the requests as they were and their relayed messages, then
        their personal fields and message rows go (the caller reads them back afterwards)."""
        fetch = _in(conn)
        found = []
        for request_id in ids:
            rows = await fetch("SELECT * FROM advice_requests WHERE id = ?", (request_id,))
            messages = await fetch(
                "SELECT * FROM advice_messages WHERE request_id = ? ORDER BY id", (request_id,)
            )
            found.append((_row(rows[0]), tuple(_message(m) for m in messages)))
        marks = ", ".join("?" for _ in ids)
        stamp = to_db_time(now)
        await conn.execute(
            f"UPDATE advice_requests SET {_ERASE_SQL}, erased_at = ?, erased_reason = ?, "
            f"updated_at = ? WHERE id IN ({marks})",
            (stamp, reason, stamp, *ids),
        )
        await conn.execute(f"DELETE FROM advice_messages WHERE request_id IN ({marks})", ids)
        return found

    async def _erased(
        self, found: list[tuple[AdviceRequest, tuple[RelayedMessage, ...]]]
    ) -> list[Erased]:
        erased = []
        for before, messages in found:
            after = await self.get(before.id)
            assert after is not None
            erased.append(Erased(before, after, messages))
        return erased

    async def forget_user(self, user_id: int, now: datetime) -> list[Erased]:
        """Erase the personal fields of all the user's requests; open ones become withdrawn.

        Returns each request as it was and as it is now, with the bot's messages about it (for
        telling the team and editing its messages).
        """
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id FROM advice_requests WHERE user_id = ? ORDER BY id", (user_id,)
            )
            ids = [row[0] for row in await cursor.fetchall()]
            if not ids:
                return []
            found = await self._erase(conn, ids, "resident", now)
            await conn.execute(
                f"UPDATE advice_requests SET status = 'withdrawn', closed_at = :now "
                f"WHERE id IN ({', '.join(str(i) for i in ids)}) AND status IN {_OPEN_SQL}",
                {"now": stamp},
            )
        return await self._erased(found)

    async def withdraw(self, request_id: int, user_id: int, now: datetime) -> Erased | None:
        """The resident withdraws one open request of theirs: withdrawn, and its personal
        fields erased at once (nothing is left to arrange). None when it is not theirs or no
        longer open."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT id FROM advice_requests WHERE id = ? AND user_id = ? "
                f"AND status IN {_OPEN_SQL} AND erased_at IS NULL",
                (request_id, user_id),
            )
            if await cursor.fetchone() is None:
                return None
            found = await self._erase(conn, [request_id], "resident", now)
            await conn.execute(
                "UPDATE advice_requests SET status = 'withdrawn', closed_at = ? WHERE id = ?",
                (to_db_time(now), request_id),
            )
        [erased] = await self._erased(found)
        return erased

    async def purge_closed_before(self, cutoff: datetime, now: datetime) -> list[Erased]:
        """Retention: erase personal fields of requests closed before `cutoff`.

        Returns the erased requests, so their team messages can lose the details too.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT id FROM advice_requests WHERE status IN {_CLOSED_SQL} "
                "AND closed_at < ? AND erased_at IS NULL ORDER BY id",
                (to_db_time(cutoff),),
            )
            ids = [row[0] for row in await cursor.fetchall()]
            if not ids:
                return []
            found = await self._erase(conn, ids, "retention", now)
        return await self._erased(found)

    # ------------------------------------------------------------------ the visit

    async def decline(self, request_id: int, user_id: int, now: datetime) -> AdviceRequest | None:
        """The resident says the planned moment does not suit them (once per appointment)."""
        changed = await self.db.execute(
            "UPDATE advice_requests SET declined_at = ?, updated_at = ? WHERE id = ? "
            "AND user_id = ? AND status = 'planned' AND declined_at IS NULL "
            "AND erased_at IS NULL",
            (to_db_time(now), to_db_time(now), request_id, user_id),
        )
        return await self.get(request_id) if changed else None

    async def planned_between(self, start: datetime, end: datetime) -> list[AdviceRequest]:
        """Planned appointments in [start, end) that no reminder was sent for yet, and that
        the resident did not decline."""
        rows = await self.db.fetchall(
            "SELECT * FROM advice_requests WHERE status = 'planned' AND erased_at IS NULL "
            "AND declined_at IS NULL AND planned_for >= ? AND planned_for < ? "
            "AND (reminded_for IS NULL OR reminded_for != planned_for) ORDER BY planned_for",
            (to_db_time(start), to_db_time(end)),
        )
        return [_row(r) for r in rows]

    async def mark_reminded(self, request_id: int, planned_for: datetime) -> bool:
        """The reminder for this appointment was sent (not if it was moved meanwhile)."""
        moment = to_db_time(planned_for)
        return (
            await self.db.execute(
                "UPDATE advice_requests SET reminded_for = ? WHERE id = ? AND planned_for = ?",
                (moment, request_id, moment),
            )
            == 1
        )

    async def undo_done(
        self, request_id: int, by: int, now: datetime, window: timedelta
    ) -> AdviceRequest | None:
        """Take back "done" by the member who pressed it, within `window` and before the
        resident was told: back to planned (with an appointment) or claimed."""
        changed = await self.db.execute(
            "UPDATE advice_requests SET status = CASE WHEN planned_for IS NULL THEN 'claimed' "
            "ELSE 'planned' END, closed_at = NULL, closed_by = NULL, closed_by_name = NULL, "
            "updated_at = ? WHERE id = ? AND status = 'done' AND closed_by = ? "
            "AND closed_at > ? AND done_told_at IS NULL AND erased_at IS NULL",
            (to_db_time(now), request_id, by, to_db_time(now - window)),
        )
        return await self.get(request_id) if changed else None

    async def done_untold(self, before: datetime) -> list[AdviceRequest]:
        """Requests marked done before `before` (past the undo window) whose resident was not
        told yet."""
        rows = await self.db.fetchall(
            "SELECT * FROM advice_requests WHERE status = 'done' AND done_told_at IS NULL "
            "AND erased_at IS NULL AND closed_at <= ? ORDER BY closed_at, id",
            (to_db_time(before),),
        )
        return [_row(r) for r in rows]

    async def mark_done_told(self, request_id: int, now: datetime) -> bool:
        return (
            await self.db.execute(
                "UPDATE advice_requests SET done_told_at = ? WHERE id = ? AND status = 'done' "
                "AND done_told_at IS NULL",
                (to_db_time(now), request_id),
            )
            == 1
        )

    # ------------------------------------------------------------------ relayed messages

    async def add_message(
        self, request_id: int, direction: Direction, chat_id: int, message_id: int, now: datetime
    ) -> None:
        """A bot message about the request in a team group ("to_team") or in the resident's
        chat ("to_resident"): which message, never its text."""
        await self.db.execute(
            "INSERT OR IGNORE INTO advice_messages (request_id, direction, chat_id, message_id, "
            "sent_at) VALUES (?, ?, ?, ?, ?)",
            (request_id, direction, chat_id, message_id, to_db_time(now)),
        )

    async def message_at(self, chat_id: int, message_id: int) -> RelayedMessage | None:
        row = await self.db.fetchone(
            "SELECT * FROM advice_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _message(row)

    async def messages_of(self, request_ids: Sequence[int]) -> list[RelayedMessage]:
        marks = ", ".join("?" for _ in request_ids)
        rows = await self.db.fetchall(
            f"SELECT * FROM advice_messages WHERE request_id IN ({marks}) ORDER BY id",
            list(request_ids),
        )
        return [_message(r) for r in rows]
