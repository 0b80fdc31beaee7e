"""Logging set-up that keeps secrets out of the logs.

httpx logs every request URL at INFO, and Bot API URLs contain the token; it is lowered to
WARNING. A filter on every handler masks the secrets (the token, the webhook secret) wherever
they appear in a record: the message, its arguments, and the text of an exception or stack.
At DEBUG, PTB logs the parameters of every Bot API call (setWebhook's secret_token too), so
the filter is what keeps them out. In webhook mode PTB logs an update it cannot read in full;
another filter keeps only its id.
The lines are text or, with `[logging] format = "json"`, one JSON object per line for a log
collector: the same messages (ids only, never personal data), with the level, the logger and the
traceback as separate fields.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

REDACTED = "[redacted]"
_FORMATTER = logging.Formatter()


class RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            # The formatter uses exc_text when it is set, so the traceback is redacted here.
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


# How PTB's webhook server logs an update it could not read: the whole update as it came, so
# residents' names and texts (telegram/ext/_utils/webhookhandler.py, PTB 22.x).
_UNREADABLE_UPDATE = "Something went wrong processing the data received from Telegram."


class UnreadableUpdateFilter(logging.Filter):
    """Keeps only the update_id of an update PTB could not read; the error itself stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_UNREADABLE_UPDATE):
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            data = args[0] if args else None
            record.msg = "Telegram sent an update PTB could not read (update_id=%s), not logged"
            record.args = (data.get("update_id") if isinstance(data, dict) else None,)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    level: str = "INFO",
    secrets: list[str] | None = None,
    fmt: Literal["text", "json"] = "text",
) -> None:
    logging.basicConfig(level=level, format=TEXT_FORMAT, force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    redact = RedactFilter(secrets or [])
    unreadable = UnreadableUpdateFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(unreadable)
        handler.addFilter(redact)
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
