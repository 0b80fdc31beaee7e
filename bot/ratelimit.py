"""PTB's rate-limiter hook around every Bot API request, on the delivery engine's own limiter.

Given to `ApplicationBuilder().rate_limiter(...)`, `process_request` wraps every request the bot
makes (replies, edits, callback answers, team posts) except getUpdates, so that they and the
broadcasts share one budget (scheduler/limiter.py). Broadcast sends book their slot in the
engine and pass `rate_limit_args={"booked": True}`: they go straight through, and a 429 on them
goes back to the engine, which parks that row. Every other message is interactive: it is booked
with priority and, on a 429, sent again after `retry_after` (PTB's contract allows calling the
callback again on RetryAfter), so a reply is never dropped for being one too many.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from scheduler.limiter import RateLimiter

log = logging.getLogger(__name__)

# Requests that put a new message in a chat: per chat, per group and on the shared track.
MESSAGES = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAnimation",
        "sendAudio",
        "sendVoice",
        "sendVideoNote",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendSticker",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Requests that change a message: on the shared track only.
EDITS = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "deleteMessage",
    }
)

RateLimitArgs = dict[str, bool]
Result = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):  # none, or an @username
        return None


class SharedRateLimiter(BaseRateLimiter[RateLimitArgs]):
    def __init__(self, limiter: RateLimiter, *, max_retries: int = 5) -> None:
        self.limiter = limiter
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the limiter is plain state."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> Result:
        stats = self.limiter.stats
        if rate_limit_args and rate_limit_args.get("booked"):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter:
                stats.bulk_rate_limited += 1
                raise
        chat_id = _chat_id(data)
        paced = chat_id is not None and (endpoint in MESSAGES or endpoint in EDITS)
        attempt = 0
        while True:
            if paced and chat_id is not None:
                is_group = chat_id < 0
                await self.limiter.acquire(
                    chat_id, is_group, bulk=False, message=endpoint in MESSAGES
                )
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                stats.interactive_rate_limited += 1
                if attempt >= self.max_retries:
                    stats.interactive_gave_up += 1
                    raise
                attempt += 1
                stats.interactive_retries += 1
                seconds = retry_seconds(exc)
                log.info("429 on %s chat_id=%s: retry in %g s", endpoint, chat_id, seconds)
                if chat_id is not None:
                    self.limiter.penalize(chat_id, seconds)
                if not paced:
                    await asyncio.sleep(seconds)
