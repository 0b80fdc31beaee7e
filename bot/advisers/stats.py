"""Reach and results per municipality, for /stats, /figures and the half-year report.

Every figure is computed from the rows themselves (chats, broadcasts and deliveries, votes and
shares, advice requests, alerts), restricted to the municipalities the reader may see;
deliveries count by the recipient's municipality, so a campaign for two municipalities splits
cleanly. Deliveries of chats erased by /forgetme count from their anonymous tallies
(bot/storage/tallies.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.advice.requests import CLOSED, OPEN
from bot.storage.database import Database, from_db_time, to_db_time
from bot.storage.tallies import BLOCKED_MARK
from messages.loader import Calendar


def _in(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    items = sorted(values)
    return f"{column} IN ({','.join('?' * len(items))})", items


def _due_between(
    clauses: list[str], params: list[str], start: datetime | None, end: datetime | None
) -> None:
    """Add the SQL for broadcasts `b` due in [start, end) (either end open when None)."""
    if start is not None:
        clauses.append("b.due_at >= ?")
        params.append(to_db_time(start))
    if end is not None:
        clauses.append("b.due_at < ?")
        params.append(to_db_time(end))


@dataclass(frozen=True)
class Subscribers:
    municipality: str
    private: int
    groups: int
    change: int  # net change in subscribers since the given moment; may be negative

    @property
    def total(self) -> int:
        return self.private + self.groups


async def subscribers(
    db: Database,
    municipalities: Iterable[str],
    since: datetime,
    until: datetime | None = None,
) -> dict[str, Subscribers]:
    """Subscribed, active chats per municipality now, and their net change in [since, until).

    The change sums the anonymous subscription events (subscribe, unsubscribe, block, move,
    delete), so it is a true net change; history starts with schema version 5.
    """
    slugs = sorted(municipalities)
    where, params = _in("municipality", slugs)
    rows = await db.fetchall(
        f"""
        SELECT municipality,
               SUM(kind = 'private') AS private, SUM(kind = 'group') AS groups
        FROM chats WHERE subscribed = 1 AND active = 1 AND {where}
        GROUP BY municipality
        """,
        params,
    )
    window, window_params = "at >= ?", [to_db_time(since)]
    if until is not None:
        window += " AND at < ?"
        window_params.append(to_db_time(until))
    changes = await db.fetchall(
        f"""
        SELECT municipality, SUM(delta) AS change
        FROM subscription_events WHERE {window} AND {where}
        GROUP BY municipality
        """,
        [*window_params, *params],
    )
    change = {r["municipality"]: int(r["change"]) for r in changes}
    counts = {r["municipality"]: (int(r["private"]), int(r["groups"])) for r in rows}
    return {
        slug: Subscribers(slug, *counts.get(slug, (0, 0)), change.get(slug, 0)) for slug in slugs
    }


@dataclass
class Counts:
    sent: int = 0
    failed: int = 0
    blocked: int = 0  # part of failed
    held: int = 0  # pending, waiting for the end of quiet hours (or a retry)
    pending: int = 0  # pending and due now

    def add(self, other: Counts) -> None:
        for name in ("sent", "failed", "blocked", "held", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class BroadcastCounts:
    source: str
    ref: str
    counts: Counts = field(default_factory=Counts)


async def delivery_counts(
    db: Database,
    now: datetime,
    *,
    municipalities: Iterable[str] | None = None,
    keys: Iterable[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, BroadcastCounts]:
    """Deliveries per broadcast key by outcome, optionally for recipients in `municipalities`,
    for `keys`, or for broadcasts due in [start, end); with the outcomes of erased chats."""

    def where(municipality: str) -> tuple[str, list[str]]:
        clauses, params = ["1 = 1"], []
        if municipalities is not None:
            clause, values = _in(municipality, municipalities)
            clauses.append(clause)
            params += values
        if keys is not None:
            clause, values = _in("b.key", keys)
            clauses.append(clause)
            params += values
        _due_between(clauses, params, start, end)
        return " AND ".join(clauses), params

    live, live_params = where("c.municipality")
    kept, kept_params = where("t.municipality")
    rows = await db.fetchall(
        f"""
        SELECT b.key, b.source, b.ref, d.state,
               COALESCE(d.reason, '') LIKE ? AS blocked, d.not_before, 1 AS n
        FROM deliveries d
        JOIN broadcasts b ON b.key = d.broadcast_key
        JOIN chats c ON c.chat_id = d.chat_id
        WHERE {live}
        UNION ALL
        SELECT b.key, b.source, b.ref, t.state, t.blocked, NULL, t.n
        FROM delivery_tallies t
        JOIN broadcasts b ON b.key = t.broadcast_key
        WHERE {kept}
        """,
        [f"%{BLOCKED_MARK}%", *live_params, *kept_params],
    )
    result: dict[str, BroadcastCounts] = {}
    for r in rows:
        counts = result.setdefault(r["key"], BroadcastCounts(r["source"], r["ref"])).counts
        n = int(r["n"])
        if r["state"] == "sent":
            counts.sent += n
        elif r["state"] == "failed":
            counts.failed += n
            counts.blocked += n * int(r["blocked"])
        elif r["state"] == "pending":
            if from_db_time(r["not_before"]) > now:
                counts.held += n
            else:
                counts.pending += n
    return result


def by_source_ref(per_key: dict[str, BroadcastCounts]) -> dict[tuple[str, str], Counts]:
    """Counts per campaign, alert or calendar entry (a calendar entry has a key per date)."""
    totals: dict[tuple[str, str], Counts] = {}
    for item in per_key.values():
        totals.setdefault((item.source, item.ref), Counts()).add(item.counts)
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class AdviceSummary:
    open: int  # new, nobody claimed it yet
    claimed: int  # claimed or planned
    done: int  # closed (done, not possible or withdrawn)
    median_days_to_claim: float | None
    median_days_to_close: float | None


async def advice_summary(
    db: Database, municipalities: Iterable[str], start: datetime, end: datetime
) -> AdviceSummary:
    """Advice requests made in [start, end)."""
    where, params = _in("municipality", municipalities)
    rows = await db.fetchall(
        f"SELECT status, created_at, claimed_at, closed_at FROM advice_requests "
        f"WHERE {where} AND created_at >= ? AND created_at < ?",
        [*params, to_db_time(start), to_db_time(end)],
    )
    to_claim, to_close = [], []
    for r in rows:
        created = from_db_time(r["created_at"])
        if r["claimed_at"]:
            to_claim.append((from_db_time(r["claimed_at"]) - created).total_seconds() / 86400)
        if r["closed_at"] and r["status"] == "done":
            to_close.append((from_db_time(r["closed_at"]) - created).total_seconds() / 86400)
    statuses = [r["status"] for r in rows]
    return AdviceSummary(
        open=statuses.count("new"),
        claimed=sum(s in OPEN and s != "new" for s in statuses),
        done=sum(s in CLOSED for s in statuses),
        median_days_to_claim=statistics.median(to_claim) if to_claim else None,
        median_days_to_close=statistics.median(to_close) if to_close else None,
    )


@dataclass
class InspectionSummary:
    """Walks closed in a period and their findings, by category and by current status."""

    held: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        return sum(self.categories.values())


async def inspection_summary(
    db: Database, municipalities: Iterable[str], start: datetime, end: datetime
) -> dict[str, InspectionSummary]:
    """Per municipality: wijkschouwen closed in [start, end) and their findings."""
    where, params = _in("i.municipality", municipalities)
    window = [*params, to_db_time(start), to_db_time(end)]
    period = f"i.state = 'closed' AND {where} AND i.closed_at >= ? AND i.closed_at < ?"
    result = {slug: InspectionSummary() for slug in sorted(municipalities)}
    for r in await db.fetchall(
        f"SELECT i.municipality, COUNT(*) AS held FROM inspections i WHERE {period} "
        "GROUP BY i.municipality",
        window,
    ):
        result[r["municipality"]].held = int(r["held"])
    for r in await db.fetchall(
        "SELECT i.municipality, f.category, f.status, COUNT(*) AS n FROM inspection_findings f "
        f"JOIN inspections i ON i.id = f.inspection_id WHERE {period} "
        "GROUP BY i.municipality, f.category, f.status",
        window,
    ):
        summary = result[r["municipality"]]
        summary.categories[r["category"]] = summary.categories.get(r["category"], 0) + r["n"]
        summary.statuses[r["status"]] = summary.statuses.get(r["status"], 0) + r["n"]
    return result


@dataclass
class Feedback:
    """What readers made of a message (or a theme): delivered, 👍/👎 votes and shares."""

    delivered: int = 0
    useful: int = 0
    not_useful: int = 0
    shares: int = 0

    @property
    def votes(self) -> int:
        return self.useful + self.not_useful

    @property
    def useful_share(self) -> float | None:
        """The share of 👍 among the votes; None without votes."""
        return self.useful / self.votes if self.votes else None

    def add(self, other: Feedback) -> None:
        for name in ("delivered", "useful", "not_useful", "shares"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


async def feedback_counts(
    db: Database,
    municipalities: Iterable[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    source: str | None = None,
) -> dict[tuple[str, str], Feedback]:
    """Votes and shares per campaign, alert or calendar entry, of chats in `municipalities`,
    for broadcasts due in [start, end) (and of one `source`); `delivered` is left at 0."""
    where, params = _in("f.municipality", municipalities)
    clauses = [where]
    _due_between(clauses, params, start, end)
    if source is not None:
        clauses.append("b.source = ?")
        params.append(source)
    rows = await db.fetchall(
        f"""
        SELECT b.source, b.ref, f.kind, f.value, COUNT(*) AS n
        FROM feedback f JOIN broadcasts b ON b.key = f.broadcast_key
        WHERE {" AND ".join(clauses)}
        GROUP BY b.source, b.ref, f.kind, f.value
        """,
        params,
    )
    result: dict[tuple[str, str], Feedback] = {}
    for r in rows:
        item = result.setdefault((r["source"], r["ref"]), Feedback())
        if r["kind"] == "share":
            item.shares += r["n"]
        elif r["value"] > 0:
            item.useful += r["n"]
        else:
            item.not_useful += r["n"]
    return result


def message_feedback(
    delivered: dict[tuple[str, str], Counts], feedback: dict[tuple[str, str], Feedback]
) -> dict[tuple[str, str], Feedback]:
    """Per message: the delivered count beside its votes and shares."""
    result = {ref: Feedback(delivered=counts.sent) for ref, counts in delivered.items()}
    for ref, item in feedback.items():
        result.setdefault(ref, Feedback()).add(item)
    return dict(sorted(result.items()))


def theme_of(calendar: Calendar, source: str, ref: str) -> str:
    """A calendar entry's theme is its file (dark_days, school_holidays, ...)."""
    if source == "calendar":
        try:
            return calendar.get(ref).source.stem
        except KeyError:
            return "calendar"
    return {"campaign": "campaigns", "alert": "alerts"}.get(source, source)


def theme_feedback(
    calendar: Calendar, per_message: dict[tuple[str, str], Feedback]
) -> dict[str, Feedback]:
    result: dict[str, Feedback] = {}
    for (source, ref), item in per_message.items():
        result.setdefault(theme_of(calendar, source, ref), Feedback()).add(item)
    return dict(sorted(result.items()))


def scores_low(item: Feedback, min_votes: int, below: float) -> bool:
    """Enough votes to say, and too few of them 👍."""
    share = item.useful_share
    return item.votes >= min_votes and share is not None and share < below
