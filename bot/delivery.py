"""Glue between the delivery engine and Telegram: PTB errors become engine outcomes, and the
engine, the planner and the calendar are built from the configuration."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.aiohttp_request import AiohttpRequest
from bot.config import Config
from bot.feedback.buttons import Buttons
from bot.files import FOLDER_MODE, open_private
from bot.ratelimit import RateLimitArgs, SharedRateLimiter
from bot.storage.figures import FigureStore
from bot.storage.outbox import OutboxStore
from messages.loader import Calendar
from scheduler.calendar_source import CalendarSource, Place
from scheduler.delivery import (
    ChatMoved,
    ChatUnreachable,
    DeliveryEngine,
    Keyboard,
    Permanent,
    RetryLater,
    Sent,
    Transient,
    workers_for,
)
from scheduler.limiter import RateLimiter
from scheduler.moments import MomentResolver
from scheduler.planner import Planner, Resolver, stored_resolver

# Built once: PTB objects are immutable, so one can be shared instead of building one per send.
NO_LINK_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramSender:
    """Sends one delivery and maps every Telegram error to what the engine should do."""

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False, booked: bool = False) -> None:
        """`booked`: the engine's sends, whose slot the engine booked in the shared limiter;
        other sends (a preview to an adviser) go through the limiter hook as interactive."""
        self.bot = bot
        self.extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid_broadcast else {}
        if booked and isinstance(bot, ExtBot) and bot.rate_limiter is not None:
            self.extra["rate_limit_args"] = {"booked": True}

    async def __call__(
        self,
        chat_id: int,
        text: str,
        image: Path | None,
        image_id: str | None = None,
        *,
        keyboard: Keyboard = (),
    ) -> Sent:
        markup = reply_markup(keyboard)
        try:
            if image_id is not None or image is not None:
                message = await self._photo(chat_id, text, image, image_id, markup)
                file_id = message.photo[-1].file_id if message.photo else None
                return Sent(message.message_id, file_id)
            message = await self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_LINK_PREVIEW,
                reply_markup=markup,
                **self.extra,
            )
            return Sent(message.message_id)
        # Order matters: BadRequest and TimedOut are subclasses of NetworkError.
        except RetryAfter as exc:
            seconds = exc.retry_after
            raise RetryLater(
                seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
            ) from exc
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from exc
        except Forbidden as exc:
            raise ChatUnreachable(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise ChatUnreachable("chat not found") from exc
            raise Permanent(exc.message) from exc
        except TimedOut as exc:
            raise Transient("timed out") from exc
        except NetworkError as exc:
            raise Transient(exc.message) from exc
        except TelegramError as exc:  # anything else Telegram refuses is not worth a retry
            raise Permanent(exc.message) from exc

    async def _photo(
        self,
        chat_id: int,
        caption: str,
        image: Path | None,
        image_id: str | None,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        """By file_id when Telegram has the photo already, else uploaded from the file."""
        if image_id is not None:
            return await self.bot.send_photo(
                chat_id,
                image_id,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                **self.extra,
            )
        assert image is not None
        try:
            photo = image.open("rb")
        except OSError as exc:
            raise Permanent(f"image unreadable: {image.name}: {exc.strerror}") from exc
        with photo:
            return await self.bot.send_photo(
                chat_id,
                photo,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                **self.extra,
            )


def reply_markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """A broadcast's buttons as Telegram's inline keyboard (None when there are none)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


def academic_overrides(config: Config) -> dict[int, date]:
    return {int(y): date.fromisoformat(v) for y, v in config.calendar.academic_year_start.items()}


def build_limiter(config: Config) -> RateLimiter:
    """The one budget of a process: the engine books in it, every other request goes through
    `SharedRateLimiter` on it."""
    d = config.delivery
    return RateLimiter(
        d.global_per_second,
        paid=d.paid_broadcast,
        per_chat_interval=1.0 / d.per_chat_per_second,
        group_per_minute=d.per_group_per_minute,
    )


def build_bot(token: str, base_url: str, limiter: RateLimiter) -> ExtBot[RateLimitArgs]:
    """A Bot for the command line (`calendar send`), on the same limiter as the engine."""
    return ExtBot(
        token,
        base_url=base_url or "https://api.telegram.org/bot",
        rate_limiter=SharedRateLimiter(limiter),
        request=AiohttpRequest(),
    )


def build_engine(
    config: Config,
    outbox: OutboxStore,
    bot: Bot,
    now: Callable[[], datetime],
    limiter: RateLimiter,
) -> DeliveryEngine:
    d = config.delivery
    sender = TelegramSender(bot, paid_broadcast=d.paid_broadcast, booked=True)
    return DeliveryEngine(
        outbox,
        sender,
        limiter,
        now,
        max_attempts=d.max_attempts,
        workers=workers_for(d.global_per_second),
    )


def build_calendar_source(
    config: Config, calendar: Calendar, outbox: OutboxStore
) -> CalendarSource:
    tz = config.locale.tz
    return CalendarSource(
        calendar,
        MomentResolver(tz, academic_overrides(config)),
        [(m.slug, m.school_region) for m in config.municipalities],
        outbox,
        tz,
        # What the texts may say per municipality, read when a message is due.
        places={m.slug: Place(m.name, m.free_advice) for m in config.municipalities},
        figures=FigureStore(outbox.db),
    )


def build_planner(
    config: Config,
    calendar: Calendar,
    outbox: OutboxStore,
    engine: DeliveryEngine,
    now: Callable[[], datetime],
    resolvers: dict[str, Resolver] | None = None,
    *,
    buttons: Buttons | None = None,
) -> Planner:
    source = build_calendar_source(config, calendar, outbox)
    resolvers = {"calendar": source.resolve, "campaign": stored_resolver, **(resolvers or {})}
    if buttons is not None:
        # Calendar messages and campaigns get their 👍/👎 and share buttons when they are due.
        resolvers = {name: buttons.resolver(resolve) for name, resolve in resolvers.items()}
    return Planner(
        store=outbox,
        engine=engine,
        now=now,
        tz=config.locale.tz,
        catch_up=timedelta(hours=config.calendar.catch_up_hours),
        quiet_start=config.delivery.quiet_start,
        quiet_end=config.delivery.quiet_end,
        plan_days=config.calendar.plan_days,
        sources=[source.broadcasts],
        resolvers=resolvers,
    )


class AlreadyRunning(RuntimeError):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """One sending process per database: an advisory lock on `<real path of the db>.lock`.

    The path is resolved first, so a symlink or another relative path to the same file meets the
    same lock. A database with more than one hard link is refused: SQLite names its -wal and
    -shm files after the path, so two names for one file would corrupt it. The kernel releases
    the lock when the process dies, even by SIGKILL, so a crash never leaves a stale lock; a
    second process (e.g. `calendar send` while the bot runs) only writes rows.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path).resolve()
        self.path = self.db_path.with_name(self.db_path.name + ".lock")
        self._fh: TextIO | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        if self.db_path.exists() and (links := self.db_path.stat().st_nlink) > 1:
            raise AlreadyRunning(
                f"database {self.db_path} has {links} hard links; SQLite keeps its journal per "
                "name, so use one path to it (a symlink is fine)"
            )
        fh = os.fdopen(open_private(self.path), "a")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.truncate(0)
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> InstanceLock:
        if not self.acquire():
            raise AlreadyRunning(f"another Buurtwacht process holds {self.path}; refusing to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
