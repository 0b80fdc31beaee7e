"""Logging set-up that keeps secrets out of the logs.

httpx logs every request URL at INFO, and Bot API URLs contain the token; it is lowered to
WARNING, and a filter on every handler masks the token should it appear anywhere else, in the
message or in an exception's traceback. The lines are text or, with `[logging] format = "json"`,
one JSON object per line for a log collector: the same messages (ids only, never personal data),
with the level, the logger and the traceback as separate fields.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: the redacted traceback is what they print.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
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
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
