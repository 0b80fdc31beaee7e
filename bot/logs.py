"""Logging set-up that keeps secrets out of the logs.

httpx logs every request URL at INFO, and Bot API URLs contain the token; it is lowered to
WARNING, and a filter on every handler masks the token should it appear anywhere else.
"""

from __future__ import annotations

import logging


class RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    redact = RedactFilter(secrets or [])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
