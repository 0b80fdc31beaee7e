"""The dashboard's configuration keys and how the bot starts and stops it."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot import config as config_module
from bot.config import ConfigError, parse_config
from bot.sandbox.emulator import BotApiEmulator
from tests.bot.test_startup_failures import buurtwacht, one_line, run_config
from tests.harness import ROOT


def example() -> dict[str, Any]:
    return tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))


def problems(**dashboard: object) -> list[str]:
    raw = example()
    raw["dashboard"].update(dashboard)
    try:
        parse_config(raw)
    except ConfigError as exc:
        return exc.problems
    return []


def test_off_by_default_and_checked_when_on() -> None:
    assert parse_config(example()).dashboard.enabled is False
    assert problems(enabled=True, public_url="https://bot.example.nl/dashboard") == []
    assert problems(enabled=True) == [
        "dashboard.public_url: the dashboard needs the https:// address the reverse proxy "
        "serves (Telegram opens Mini Apps only over https)"
    ]
    assert problems(public_url="http://bot.example.nl/dashboard") == [
        "dashboard.public_url: must be empty or an https:// URL without query (http:// only "
        "to this machine), got 'http://bot.example.nl/dashboard'"
    ]
    assert problems(port=0, host="localhost") == [
        "dashboard.host: must be an IP address, e.g. 127.0.0.1, got 'localhost'",
        "dashboard.port: must be a whole number from 1 to 65535, got 0",
    ]
    raw = example()
    raw["metrics"].update(enabled=True, port=9464)
    raw["dashboard"].update(enabled=True, port=9464, public_url="https://x.example.nl")
    with pytest.raises(ConfigError, match=r"dashboard\.port: 9464 is also metrics\.port"):
        parse_config(raw)


def test_enabled_without_the_extra_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_module, "dashboard_extra_missing", lambda: ["jinja2"])
    assert problems(enabled=True, public_url="https://bot.example.nl") == [
        "dashboard.enabled: the dashboard needs jinja2, which is not installed: "
        "pip install 'buurtwacht[dashboard]'"
    ]


def test_the_addresses_live_under_the_public_path() -> None:
    raw = example()
    raw["dashboard"].update(enabled=True, public_url="https://bot.example.nl/dashboard/")
    dashboard = parse_config(raw).dashboard
    assert dashboard.prefix == "/dashboard" and dashboard.secure


async def test_a_busy_dashboard_port_is_one_line_and_everything_stops(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = run_config(tmp_path, emu)
        text = (
            config.read_text("utf-8")
            .replace(
                'enabled = false\nhost = "127.0.0.1"             # an IP address; keep',
                'enabled = true\nhost = "127.0.0.1"             # an IP address; keep',
            )
            .replace("port = 8081", f"port = {port}")
            .replace('public_url = ""', f'public_url = "http://127.0.0.1:{port}"')
        )
        config.write_text(text, "utf-8")
        code, out = await buurtwacht("run", "--config", str(config), token=emu.token)
    assert code == 1, out
    line = one_line(out, "buurtwacht run:", emu.token)
    assert f"dashboard port {port} on 127.0.0.1 cannot be used" in line
    assert "[dashboard] port" in line
