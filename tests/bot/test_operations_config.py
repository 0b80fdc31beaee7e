"""Bounds of the operations keys: [metrics], [logging], [health]; all problems at once."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_of_the_example() -> None:
    config = parse_config(tomllib.loads((ROOT / "config.example.toml").read_text("utf-8")))
    assert (config.metrics.enabled, config.metrics.host, config.metrics.port) == (
        False, "127.0.0.1", 9464,
    )
    assert config.logging.format == "text"
    assert config.health.stalled_minutes == 15 and config.health.team_silent_days == 7


def test_out_of_bounds_values_are_all_reported() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    raw["metrics"].update(enabled=True, port=70000, host="bad host!")
    raw["health"].update(
        stalled_minutes=0, rate_limited_per_10_minutes=0, failed_per_day=0, team_silent_days=400
    )
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.problems == [
        "metrics.port: 70000 is not a TCP port (1-65535)",
        "metrics.host: 'bad host!' is not a host name or IP address",
        "health.stalled_minutes: 0 is outside 1-1440",
        "health.rate_limited_per_10_minutes: 0 is outside 1-1000",
        "health.failed_per_day: 0 is outside 1-100000",
        "health.team_silent_days: 400 is outside 1-90",
    ]


def test_metrics_port_must_not_be_the_webhook_port_and_format_is_checked() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    raw["telegram"].update(mode="webhook")
    raw["telegram"]["webhook"].update(url="https://bot.example.nl/telegram", port=9464)
    raw["metrics"].update(enabled=True)
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.problems == ["metrics.port: 9464 is also telegram.webhook.port"]
    raw["logging"] = {"format": "xml"}
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.problems == ["logging.format: expected 'text' or 'json', got 'xml'"]
