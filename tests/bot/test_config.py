"""Every configuration validation error, and the shipped example."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config

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
        (lambda c: c["municipalities"][0].update(school_region="oost"), "is not one of"),
        (lambda c: c["municipalities"][0].update(postcodes=["75A1"]), "postcodes[0]: expected"),
        (lambda c: c["municipalities"][1].update(postcodes=["7511"]), "7511 is also assigned"),
        (lambda c: c["delivery"].update(global_per_second=40.0), "above Telegram's limit"),
        (lambda c: c["delivery"].update(quiet_hours_start="9pm"), "expected HH:MM"),
        (lambda c: c["telegram"].update(mode="webhook"), "webhook mode needs a public https"),
        (lambda c: c["calendar"].update(academic_year_start={"2027": "2028-09-01"}), "not in 2027"),
        (lambda c: c.update(municipalities=[]), "at least one municipality"),
    ],
)
def test_each_validation_error_names_key_and_problem(mutate: Any, expected: str) -> None:
    raw = example()
    mutate(raw)
    problems = problems_of(raw)
    assert any(expected in p for p in problems), problems


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
