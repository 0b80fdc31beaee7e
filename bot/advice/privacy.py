"""What the AVG/GDPR asks of us in code: the export of everything stored about a person and the
retention cut-off. Telegram-free so it is tested on plain data."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from bot.storage.advice import AdviceRequest
from bot.storage.chats import Chat


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
    user_id: int, chat: Chat | None, requests: list[AdviceRequest], now: datetime
) -> bytes:
    """The /mydata file: the subscription and every request with every stored field."""
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
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
