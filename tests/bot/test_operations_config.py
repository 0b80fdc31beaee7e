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
        False,
        "127.0.0.1",
        9464,
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
    assert sorted(info.value.problems) == [
        "health.failed_per_day: must be a whole number from 1 to 100000, got 0",
        "health.rate_limited_per_10_minutes: must be a whole number from 1 to 1000, got 0",
        "health.stalled_minutes: must be a whole number from 1 to 1440, got 0",
        "health.team_silent_days: must be a whole number from 1 to 90, got 400",
        "metrics.host: must be an IP address, e.g. 127.0.0.1, got 'bad host!'",
        "metrics.port: must be a whole number from 1 to 65535, got 70000",
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
    # Every problem at once: the wrong format beside the port clash.
    assert info.value.problems == [
        "logging.format: expected 'text' or 'json', got 'xml'",
        "metrics.port: 9464 is also telegram.webhook.port",
    ]
