"""The token never reaches the logs, even when a library logs a request URL."""

from __future__ import annotations

import logging

import pytest

from bot.logs import setup_logging

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_token_is_redacted_and_httpx_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", secrets=[TOKEN])
    try:
        logging.getLogger("telegram.ext").info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getUpdates", TOKEN)
        err = capsys.readouterr().err
        assert TOKEN not in err
        assert "bot[redacted]/getMe" in err
        assert "getUpdates" not in err  # httpx's request lines are below WARNING
    finally:
        logging.getLogger().handlers.clear()
