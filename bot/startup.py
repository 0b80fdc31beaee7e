"""Why a command could not start (or had to stop), in one line an operator can act on.

`buurtwacht run` and `buurtwacht calendar send` print this line instead of a traceback and exit
non-zero. The line names the file or the setting and what to do; it never contains the token
(PTB's InvalidToken message does, so it is never printed).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.config import Config
from bot.delivery import AlreadyRunning
from bot.storage.database import SchemaTooNew
from scheduler.delivery import StorageUnavailable

log = logging.getLogger(__name__)


def _database(db: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"database {db} is damaged ({text}); it was left as it is. Restore it from a "
            f"backup: stop Buurtwacht, copy the backup to {db}, delete {db}-wal and {db}-shm "
            "if they exist, and start again"
        )
    if "full" in lowered:
        return f"database {db}: the disk is full ({text}); free space and start again"
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return (
            f"database {db} cannot be written ({text}): the file and its folder must be "
            "writable for this user, on a file system that is not mounted read-only"
        )
    if "locked" in lowered:
        return f"database {db} is locked by another program ({text}); stop it and start again"
    return f"database {db}: {text}"


def describe(exc: BaseException, config: Config) -> str | None:
    """The one line for a failure we know, or None for anything else (a bug)."""
    db = Path(config.storage.path).resolve()
    if isinstance(exc, AlreadyRunning | SchemaTooNew | StorageUnavailable):
        return str(exc)
    if type(exc).__name__ == "DashboardError":  # bot.dashboard.server needs the dashboard extra
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return _database(db, exc)
    if isinstance(exc, InvalidToken):
        return (
            f"Telegram refused the bot token (from ${config.telegram.token_env}): check it with "
            "@BotFather; the token is not shown here"
        )
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        hook = config.telegram.webhook
        return (
            f"webhook port {hook.port} on {hook.listen} is in use by another program "
            "([telegram.webhook] port)"
        )
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, NetworkError):
        return f"cannot reach the Bot API ({type(exc).__name__}: {exc.message})"
    return None


def report(exc: BaseException, config: Config, secrets: list[str]) -> str:
    """The line to print; an unknown failure is also logged with its traceback (redacted)."""
    line = describe(exc, config)
    if line is None:
        log.error("stopped by an unexpected error", exc_info=exc)
        line = f"stopped by an unexpected error: {type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            line = line.replace(secret, "[redacted]")
    return line
