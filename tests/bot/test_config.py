"""Every configuration validation error, and the shipped example."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import Config, ConfigError, load_config, parse_config
from bot.i18n import Catalogues, MissingCatalogue

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text("utf-8"))


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    return info.value.problems


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(EXAMPLE)
    assert len(config.municipalities) == 14
    assert {m.school_region for m in config.municipalities} == {"noord"}
    assert config.municipality_for_pc4(7522).slug == "enschede"  # type: ignore[union-attr]
    assert config.municipality_for_pc4(7448).slug == "hellendoorn"  # type: ignore[union-attr]
    assert config.municipality_for_pc4(7411) is None  # Deventer, not Twente
    assert config.locale.default == "nl" and config.locale.timezone == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["storage"].update(flavour="x"), "storage.flavour: unknown key"),
        (lambda c: c.update(extra={}), "extra: unknown key"),
        (lambda c: c["storage"].update(path=3), "storage.path: expected string, got int 3"),
        (lambda c: c["admins"].update(user_ids=["1"]), "admins.user_ids[0]: expected integer"),
        (lambda c: c["delivery"].update(paid_broadcast="yes"), "expected boolean"),
        (lambda c: c["telegram"].update(mode="push"), "telegram.mode: expected 'polling' or"),
        (lambda c: c["locale"].update(timezone="Europe/Enschede"), "unknown time zone"),
        (lambda c: c["locale"].update(available=["nl", "xx_YY"]), "unknown locale 'xx_YY'"),
        (lambda c: c["locale"].update(default="de"), "locale.default: 'de' is not in"),
        (
            lambda c: c["municipalities"][1].update(slug="enschede"),
            "municipalities[1].slug: duplicate slug 'enschede'",
        ),
        (lambda c: c["municipalities"][0].pop("name"), "municipalities[0].name: required key"),
        (lambda c: c["municipalities"][0].update(school_region="oost"), "must be one of noord"),
        (lambda c: c["municipalities"][0].update(postcodes=["75A1"]), "postcodes[0]: must be"),
        (lambda c: c["municipalities"][1].update(postcodes=["7511"]), "7511 is also assigned"),
        (lambda c: c["delivery"].update(global_per_second=40.0), "above Telegram's limit"),
        (lambda c: c["delivery"].update(quiet_hours_start="9pm"), "must be a time HH:MM"),
        (lambda c: c["telegram"].update(mode="webhook"), "webhook mode needs a public https"),
        (lambda c: c["calendar"].update(academic_year_start={"2027": "2028-09-01"}), "not in 2027"),
        (lambda c: c.update(municipalities=[]), "municipalities: must have from 1 to 90 items"),
    ],
)
def test_each_validation_error_names_key_and_problem(mutate: Any, expected: str) -> None:
    raw = example()
    mutate(raw)
    problems = problems_of(raw)
    assert any(expected in p for p in problems), problems


def test_sharing_and_feedback_keys_have_bounds() -> None:
    raw = example()
    assert raw["sharing"]["enabled"] and raw["feedback"]["vote_days"] == 30
    raw["sharing"]["topics"] = ["burglary", "weather"]
    raw["feedback"].update(vote_days=0, min_votes=0, low_below=1.5)
    assert sorted(p.split(":")[0] for p in problems_of(raw)) == [
        "feedback.low_below",
        "feedback.min_votes",
        "feedback.vote_days",
        "sharing.topics[1]",
    ]
    raw["feedback"].update(vote_days=366, min_votes=10_001, low_below=0.0)
    assert len(problems_of(raw)) == 4


def test_all_problems_are_reported_at_once() -> None:
    raw = example()
    raw["storage"]["path"] = 1
    raw["telegram"]["colour"] = "blue"
    assert len(problems_of(raw)) == 2


def test_token_comes_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_config(EXAMPLE, need_token=True)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "42:abc")
    assert load_config(EXAMPLE, need_token=True).token() == "42:abc"
    raw = example()
    raw["telegram"]["token"] = "42:abc"
    assert any("telegram.token: unknown key" in p for p in problems_of(raw))


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.strip() == "OK"
    broken = tmp_path / "broken.toml"
    broken.write_text('[storage]\npath = 1\n[telegram]\nmode = "x"\n', "utf-8")
    assert main(["check-config", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "storage.path: expected string" in out and "telegram.mode" in out
    assert main(["check-config", str(tmp_path / "missing.toml")]) == 1
    assert "file not found" in capsys.readouterr().out
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[storage\n", "utf-8")
    assert main(["check-config", str(bad_toml)]) == 1
    assert "not valid TOML" in capsys.readouterr().out


def _config_classes(cls: type[Any]) -> list[type[Any]]:
    """Every dataclass reachable from `cls` through its fields (lists of them too)."""
    found = [cls]
    for hint in typing.get_type_hints(cls).values():
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
        if dataclasses.is_dataclass(inner) and isinstance(inner, type):
            found += _config_classes(inner)
    return found


def test_every_value_has_a_bound() -> None:
    """A new key cannot slip in without bounds: booleans, fixed choices and tables are bounded
    by their type, every other field names its Bound."""
    unbounded = []
    for cls in _config_classes(Config):
        for f, hint in zip(
            dataclasses.fields(cls), typing.get_type_hints(cls).values(), strict=True
        ):
            by_type = hint is bool or typing.get_origin(hint) is Literal
            nested = dataclasses.is_dataclass(hint)
            if not (by_type or nested or f.metadata.get("bound") or f.metadata.get("each")):
                unbounded.append(f"{cls.__name__}.{f.name}")
    assert unbounded == []


# One configuration with a bad value in every corner: types and bounds together.
MANY_BAD: list[tuple[str, str, Any, str]] = [
    (
        "delivery",
        "per_group_per_minute",
        0,
        "delivery.per_group_per_minute: must be a whole number from 1 to 20, got 0",
    ),
    (
        "delivery",
        "per_chat_per_second",
        0,
        "delivery.per_chat_per_second: must be more than 0 and at most 1, got 0.0",
    ),
    (
        "delivery",
        "global_per_second",
        31,
        "delivery.global_per_second: 31 is above Telegram's limit of 30/s",
    ),
    ("delivery", "max_attempts", 0, "delivery.max_attempts: must be a whole number from 1 to 20"),
    (
        "delivery",
        "paid_broadcast",
        "yes",
        "delivery.paid_broadcast: expected boolean, got str 'yes'",
    ),
    (
        "privacy",
        "retention_days",
        10**12,
        "privacy.retention_days: must be a whole number from 1 to 3650",
    ),
    ("calendar", "plan_days", 10_000, "calendar.plan_days: must be a whole number from 1 to 60"),
    (
        "calendar",
        "catch_up_hours",
        100,
        "calendar.catch_up_hours: must be a whole number from 0 to 72",
    ),
    (
        "locale",
        "available",
        ["nl", "en", "fy"],
        "locale.available[2]: no compiled catalogue for locale 'fy'",
    ),
    ("storage", "path", "", "storage.path: must be the path of a database file"),
    (
        "admins",
        "user_ids",
        [0, -1001234567890],
        "admins.user_ids[0]: must be a whole number from 1 to",
    ),
    (
        "telegram",
        "base_url",
        "http://api.example.org/bot",
        "telegram.base_url: must be empty, an https:// URL, or http:// to this machine only",
    ),
    ("alerts", "night_start", "25:00", "alerts.night_start: must be a time HH:MM"),
    ("audit", "retention_days", 1, "audit.retention_days: must be a whole number from 30 to 3650"),
]
MANY_BAD_MORE = [
    "admins.user_ids[1]: must be a whole number from 1 to",
    "telegram.webhook.port: must be a whole number from 1 to 65535, got 70000",
    "municipalities[0].name: must be a non-empty text of at most 64 characters, got ''",
    "municipalities[1].neighbourhoods[0]: must be a non-empty text",
    "calendar.academic_year_start.2027: must be a date YYYY-MM-DD, got 'soon'",
    "storage.colour: unknown key",
]


def many_bad() -> dict[str, Any]:
    raw = example()
    for section, key, value, _problem in MANY_BAD:
        raw.setdefault(section, {})[key] = value
    raw["telegram"]["webhook"]["port"] = 70000
    raw["municipalities"][0]["name"] = ""
    raw["municipalities"][1]["neighbourhoods"] = ["  "]
    raw["calendar"]["academic_year_start"] = {"2027": "soon"}
    raw["storage"]["colour"] = "blue"
    return raw


def test_many_bad_values_are_all_reported_in_one_run() -> None:
    problems = problems_of(many_bad())
    expected = [problem for *_change, problem in MANY_BAD] + MANY_BAD_MORE
    missing = [e for e in expected if not any(p.startswith(e) for p in problems)]
    assert missing == [], problems
    assert len(problems) == len(expected), problems  # and no noise besides


@pytest.mark.parametrize(
    ("base_url", "ok"),
    [
        ("", True),
        ("https://bot-api.example.org/bot", True),
        ("http://127.0.0.1:8081/bot", True),
        ("http://127.8.9.10/bot", True),
        ("http://[::1]:8081/bot", True),
        ("http://localhost:8081/bot", True),
        ("http://10.0.0.5:8081/bot", False),
        ("http://127.0.0.1.example.org/bot", False),
        ("ftp://127.0.0.1/bot", False),
        ("https://:99999/bot", False),
    ],
)
def test_plain_http_only_to_this_machine(base_url: str, ok: bool) -> None:
    raw = example()
    raw["telegram"]["base_url"] = base_url
    if ok:
        parse_config(raw)
    else:
        assert any(p.startswith("telegram.base_url: must be") for p in problems_of(raw))


def test_a_locale_that_passes_the_check_can_be_loaded(tmp_path: Path) -> None:
    """What passes check-config must run: 'fy' is a real locale without a catalogue."""
    with pytest.raises(MissingCatalogue):
        Catalogues(["nl", "fy"], "nl", ZoneInfo("Europe/Amsterdam"))
    raw = example()
    raw["locale"]["available"] = ["nl", "fy"]
    (problem,) = problems_of(raw)
    assert problem.startswith("locale.available[1]: no compiled catalogue for locale 'fy'")


def test_rates_above_telegrams_pass_only_with_paid_broadcast() -> None:
    raw = example()
    raw["delivery"].update(global_per_second=500.0, paid_broadcast=True)
    assert parse_config(raw).delivery.global_per_second == 500.0
    raw["delivery"]["global_per_second"] = 1001.0
    assert problems_of(raw) == [
        "delivery.global_per_second: must be more than 0 and at most 1000, got 1001.0"
    ]
    raw["delivery"].update(global_per_second=float("nan"), per_chat_per_second=float("inf"))
    assert len(problems_of(raw)) == 2


WEBHOOK_TOML = """
[telegram]
mode = "webhook"
[telegram.webhook]
url = "https://bot.example.org/telegram"
secret_token_env = "BW_TEST_WEBHOOK_SECRET"
[[municipalities]]
name = "Enschede"
slug = "enschede"
"""


def test_check_config_lists_every_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.toml"
    path.write_text(
        "[delivery]\nper_group_per_minute = 0\nper_chat_per_second = 5.0\npaid_broadcast = 'yes'\n"
        "[privacy]\nretention_days = 100000\n[storage]\npath = ''\n"
        "[locale]\navailable = ['nl', 'en', 'fy']\n[admins]\nuser_ids = [-100123]\n"
        "[[municipalities]]\nname = ''\nslug = 'Enschede!'\n",
        "utf-8",
    )
    assert main(["check-config", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    for start in (
        "delivery.per_group_per_minute: must be",
        "delivery.per_chat_per_second: must be",
        "delivery.paid_broadcast: expected boolean",
        "privacy.retention_days: must be",
        "storage.path: must be",
        "locale.available[2]: no compiled catalogue",
        "admins.user_ids[0]: must be",
        "municipalities[0].name: must be",
        "municipalities[0].slug: must be",
    ):
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert len(lines) == 9, lines


def test_check_config_needs_a_webhook_secret_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "webhook.toml"
    path.write_text(WEBHOOK_TOML, "utf-8")
    monkeypatch.delenv("BW_TEST_WEBHOOK_SECRET", raising=False)
    assert main(["check-config", str(path)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(
        "telegram.webhook.secret_token_env: environment variable BW_TEST_WEBHOOK_SECRET is not "
        "set in this environment; webhook mode needs a secret of at least 32 characters"
    )
    for unusable in ("short-secret", "x" * 31, "y" * 40 + " spaces not allowed"):
        monkeypatch.setenv("BW_TEST_WEBHOOK_SECRET", unusable)
        assert main(["check-config", str(path)]) == 1
        out = capsys.readouterr().out
        assert "holds an unusable secret" in out and unusable not in out
    monkeypatch.setenv("BW_TEST_WEBHOOK_SECRET", "s" * 32)
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "OK"
    # Polling mode does not need the variable.
    monkeypatch.delenv("BW_TEST_WEBHOOK_SECRET")
    path.write_text(WEBHOOK_TOML.replace('mode = "webhook"', 'mode = "polling"'), "utf-8")
    assert main(["check-config", str(path)]) == 0


@pytest.mark.parametrize(
    ("per_hour", "per_day", "key"),
    [
        (0, 10, "per_municipality_per_hour"),
        (1001, 2000, "per_municipality_per_hour"),
        (10, 5, "per_municipality_per_day"),
        (10, 241, "per_municipality_per_day"),
    ],
)
def test_advice_caps_have_bounds(per_hour: int, per_day: int, key: str) -> None:
    raw = example()
    raw["advice"].update(per_municipality_per_hour=per_hour, per_municipality_per_day=per_day)
    assert [p for p in problems_of(raw) if p.startswith(f"advice.{key}:")]
