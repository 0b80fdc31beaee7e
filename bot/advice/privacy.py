"""What the AVG/GDPR asks of us in code: the export of everything stored about a person and the
retention cut-off. Telegram-free so it is tested on plain data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.storage.advice import AdviceRequest, RelayedMessage
from bot.storage.chats import Chat
from bot.storage.roles import Grant


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Requests closed before this moment lose their personal fields."""
    return now - timedelta(days=retention_days)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset | tuple | list):
        return sorted(value) if isinstance(value, frozenset) else list(value)
    return value


# What a request stores about the resident who made it. Not theirs, so not in their export: the
# team member who handled it (id and name), the team's chat and message, internal ids.
RESIDENT_FIELDS = (
    "reference",
    "locale",
    "municipality",
    "reason",
    "name",
    "postcode",
    "house_number",
    "phone",
    "moments",
    "status",
    "created_at",
    "updated_at",
    "claimed_at",
    "planned_for",
    "closed_at",
    "note",
    "selfcheck",
)
# What a grant stores about the staff member (not who granted it).
GRANT_FIELDS = ("role", "municipalities", "label", "granted_at")


def _fields(item: object, names: Sequence[str]) -> dict[str, Any]:
    return {name: _plain(getattr(item, name)) for name in names}


def _handled(user_id: int, request: AdviceRequest) -> dict[str, Any]:
    """What a request stores about a team member who claimed or closed it."""
    entry: dict[str, Any] = _fields(request, ("reference", "municipality", "status"))
    if request.claimed_by == user_id:
        entry |= {"claimed_at": _plain(request.claimed_at), "name": request.claimed_by_name}
    if request.closed_by == user_id:
        entry |= {"closed_at": _plain(request.closed_at), "name": request.closed_by_name}
    return entry


def relayed_messages(
    requests: Sequence[AdviceRequest], messages: Sequence[RelayedMessage]
) -> list[dict[str, Any]]:
    """What is kept of the messages between the resident and the team: which request, which
    way, when; never the text (it is only in the two Telegram chats)."""
    references = {r.id: r.reference for r in requests}
    return [
        {
            "reference": references.get(m.request_id),
            "direction": m.direction,
            "sent_at": _plain(m.sent_at),
        }
        for m in messages
        if m.request_id in references
    ]


def export_data(
    user_id: int,
    chat: Chat | None,
    requests: list[AdviceRequest],
    now: datetime,
    grants: Sequence[Grant] = (),
    handled: Sequence[AdviceRequest] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything stored about this person and nobody else, as plain JSON values.

    The subscription, their own requests, their staff roles, for a team member the requests
    whose claim or closing carries their id and name, and `extra`: other features' sections
    (the messages with the team, the wijkschouw, the self-check, the votes and shares still
    linked to the chat, a staff member's campaigns, alerts and audit entries).
    """
    subscription = None
    if chat is not None:
        subscription = {k: _plain(v) for k, v in dataclasses.asdict(chat).items()}
    document = {
        "generated_at": now.isoformat(),
        "telegram_user_id": user_id,
        "subscription": subscription,
        "advice_requests": [_fields(r, RESIDENT_FIELDS) for r in requests],
        "roles": [_fields(g, GRANT_FIELDS) for g in grants],
        "handled_as_team_member": [_handled(user_id, r) for r in handled],
        **(extra or {}),
    }
    return document
