"""What the AVG/GDPR asks of us in code: the export of everything stored about a person and the
retention cut-off. Telegram-free so it is tested on plain data."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.storage.advice import AdviceRequest
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


def export_document(
    user_id: int,
    chat: Chat | None,
    requests: list[AdviceRequest],
    now: datetime,
    grants: Sequence[Grant] = (),
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The /mydata file: the subscription, every request and any staff role, every field;
    `extra` holds other features' sections (the wijkschouw, the self-check)."""
    subscription = None
    if chat is not None:
        subscription = {k: _plain(v) for k, v in dataclasses.asdict(chat).items()}
    document = {
        "generated_at": now.isoformat(),
        "telegram_user_id": user_id,
        "subscription": subscription,
        "advice_requests": [
            {k: _plain(v) for k, v in dataclasses.asdict(r).items()} for r in requests
        ],
        "roles": [{k: _plain(v) for k, v in dataclasses.asdict(g).items()} for g in grants],
        **(extra or {}),
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
