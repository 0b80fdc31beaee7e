"""The token never reaches the logs, even when a library logs a request URL."""

from __future__ import annotations

import json
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


def test_json_lines_carry_no_token_in_message_or_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", secrets=[TOKEN], fmt="json")
    try:
        logging.getLogger("bot.app").info("bot %s is running", "@buurtwacht_bot")
        try:
            raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
        except ConnectionError:
            logging.getLogger("scheduler.delivery").exception("send to chat_id=%s failed", 42)
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    assert [(entry["level"], entry["logger"], entry["message"]) for entry in lines] == [
        ("INFO", "bot.app", "bot @buurtwacht_bot is running"),
        ("ERROR", "scheduler.delivery", "send to chat_id=42 failed"),
    ]
    assert "ConnectionError" in lines[1]["exception"]
    assert "bot[redacted]/sendMessage" in lines[1]["exception"]
    assert TOKEN not in json.dumps(lines)
    assert lines[0]["time"].endswith("+00:00")


def test_an_update_ptb_cannot_read_is_logged_by_id_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """PTB's webhook server logs an unreadable update whole, residents' names and texts too."""
    setup_logging("INFO", secrets=[TOKEN])
    data = {"update_id": 7, "message": {"from": {"first_name": "Geertruida"}, "text": "06 1234"}}
    try:
        try:
            raise TypeError("Message.__init__() missing 1 required positional argument")
        except TypeError as exc:
            # The call of telegram/ext/_utils/webhookhandler.py (PTB 22.x), as it is.
            logging.getLogger("telegram.ext.Updater").critical(
                "Something went wrong processing the data received from Telegram. "
                "Received data was *not* processed! Received data was: %r",
                data,
                exc_info=exc,
            )
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
    assert "Geertruida" not in err and "06 1234" not in err
    assert "update_id=7" in err and "TypeError" in err
