"""`buurtwacht calendar ...` on the shipped files and against the emulator."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from icalendar import Calendar as ICalendar

from bot.cli import main
from bot.cli.calendar import send_now
from bot.config import parse_config
from bot.sandbox.emulator import BotApiEmulator
from bot.storage import Database
from bot.storage.chats import ChatStore
from bot.storage.outbox import OutboxStore
from messages.loader import load_calendar
from messages.telegram_html import plain_text

ROOT = Path(__file__).resolve().parents[2]


def test_check_passes_on_the_shipped_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "check"]) == 0
    assert capsys.readouterr().out.strip() == "OK"


def test_check_runs_the_timing_rules_for_the_given_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(ROOT / "config.example.toml")
    assert main(["calendar", "check", "--years", "2027-2029", "--config", config]) == 0
    assert capsys.readouterr().out.strip() == "OK"
    # A valid file that is not a calendar the rules accept: no sources, no reminders, one
    # message a year.
    (tmp_path / "tiny.toml").write_text(
        '[[entry]]\nid = "tiny"\ntopic = "burglary"\naudience = "both"\n'
        '[entry.trigger]\nkind = "yearly"\nmonth = 1\nday = 5\ntime = "19:00"\n'
        '[entry.text]\nnl = "<b>Hallo</b>"\nen = "<b>Hello</b>"\n',
        "utf-8",
    )
    args = ["calendar", "check", "--dir", str(tmp_path), "--years", "2028", "--config", config]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tiny.toml [tiny]: sources is missing (where the facts come from)"
    assert (
        "timing: all 14 municipalities: no plan reminder 7-10 days before herfstvakantie "
        "(earliest start 2028-10-14)"
    ) in out
    assert (
        "timing: all 14 municipalities: private chats with topics alerts, burglary, holidays, "
        "valuables: 1 messages in 2028-01, fewer than 3"
    ) in out
    assert out[-1].endswith("problem(s)")


def test_check_notes_years_without_school_holiday_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = str(ROOT / "config.example.toml")
    assert main(["calendar", "check", "--years", "2029-2031", "--config", config]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "OK"
    assert "note: 2031 not checked: no school holiday data" in captured.err


def test_check_reports_a_broken_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.toml").write_text(
        '[[entry]]\nid = "x"\ntopic = "cats"\naudience = "both"\n'
        '[entry.trigger]\nkind = "once"\ndate = "2027-01-01"\ntime = "19:00"\n'
        '[entry.text]\nnl = "<b>hallo"\n',
        "utf-8",
    )
    assert main(["calendar", "check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "broken.toml [x]" in out and "topic" in out and "en" in out


def test_show_prints_a_plausible_year(capsys: pytest.CaptureFixture[str]) -> None:
    config = str(ROOT / "config.example.toml")
    code = main(
        [
            "calendar",
            "show",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--municipality",
            "enschede",
            "--config",
            config,
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    months = {line.split()[1][:7] for line in lines[:-1]}
    assert months == {f"2027-{m:02d}" for m in range(1, 13)}
    assert any("2027-12-31 16:00" in line and "year-end-new-years-eve" in line for line in lines)
    assert lines[-1].endswith("occurrences") and int(lines[-1].split()[0]) >= 40


def test_show_writes_ics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "year.ics"
    config = str(ROOT / "config.example.toml")
    assert (
        main(
            [
                "calendar",
                "show",
                "--from",
                "2027-01-01",
                "--to",
                "2027-03-31",
                "--municipality",
                "losser",
                "--format",
                "ics",
                "--output",
                str(out),
                "--locale",
                "en",
                "--config",
                config,
            ]
        )
        == 0
    )
    events = [c for c in ICalendar.from_ical(out.read_bytes()).walk() if c.name == "VEVENT"]
    assert len(events) > 5
    assert all(str(e["UID"]).endswith("@buurtwacht") for e in events)


async def test_send_now_delivers_once_and_resumes(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    raw["storage"]["path"] = str(tmp_path / "cli.sqlite3")
    raw["telegram"]["base_url"] = emu.base_url
    config = parse_config(raw)
    db = Database(config.storage.path)
    await db.open()
    users = [emu.add_user(f"R{i}", language_code="en").id for i in range(3)]
    chats = ChatStore(db)
    for user in users:
        emu.open_private_chat(user)
        await chats.ensure(user, "private", "en")
        await chats.subscribe(
            user,
            municipality="hengelo",
            neighbourhood=None,
            topics=frozenset({"burglary"}),
            locale="en",
        )
    await db.close()

    entry = "dark-days-tip-lock-with-key"
    assert await send_now(config, emu.token, entry, ["hengelo"]) == 0
    assert all(len(emu.sent(u)) == 1 for u in users)
    expected = plain_text(load_calendar().get(entry).texts["en"])
    assert [m.text for m in emu.sent(users[0])] == [expected]
    # The same day again: nothing is sent twice.
    assert await send_now(config, emu.token, entry, ["hengelo"]) == 0
    assert all(len(emu.sent(u)) == 1 for u in users)
    db = Database(config.storage.path)
    await db.open()
    try:
        keys = await db.fetchall("SELECT key FROM broadcasts")
        assert len(keys) == 1
        assert await OutboxStore(db).counts(keys[0]["key"]) == {"sent": 3}
    finally:
        await db.close()


def test_send_unknown_entry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    config = str(ROOT / "config.example.toml")
    assert main(["calendar", "send", "no-such-entry", "--now", "--config", config]) == 2
    assert "unknown calendar entry" in capsys.readouterr().out


def test_overrides_via_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = (ROOT / "config.example.toml").read_text("utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(raw.replace('path = "buurtwacht.sqlite3"', f'path = "{tmp_path}/o.sqlite3"'))
    entry = "year-end-new-years-eve"

    def calendar(*args: str) -> int:
        return main(["calendar", *args, "--config", str(cfg)])

    assert calendar("skip", entry, "--municipality", "borne") == 0
    assert (
        calendar(
            "replace", entry, "--municipality", "losser", "--nl", "<b>Hoi</b>", "--en", "<b>Hi</b>"
        )
        == 0
    )
    assert (
        calendar("replace", entry, "--municipality", "losser", "--nl", "<b>Hoi", "--en", "x") == 2
    )
    # A local entry's example copied without filling it in, or a mistyped placeholder.
    local = "local-prevention-evening"
    capsys.readouterr()
    assert (
        calendar("replace", local, "--municipality", "losser", "--nl", "Op [datum]", "--en", "x")
        == 2
    )
    assert "still to fill in: [datum]" in capsys.readouterr().out
    assert (
        calendar("replace", local, "--municipality", "losser", "--nl", "x", "--en", "{town}") == 2
    )
    assert "--en: still to fill in: {town}" in capsys.readouterr().out
    capsys.readouterr()
    assert calendar("overrides") == 0
    out = capsys.readouterr().out
    assert "borne" in out and "skip" in out and "losser" in out and "replace" in out
    assert calendar("restore", entry, "--municipality", "borne") == 0
    capsys.readouterr()
    calendar("overrides")
    assert "borne" not in capsys.readouterr().out


def test_replace_refuses_what_telegram_cannot_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's CDATA: taken by `calendar replace`, then every delivery failed."""
    raw = (ROOT / "config.example.toml").read_text("utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(raw.replace('path = "buurtwacht.sqlite3"', f'path = "{tmp_path}/o.sqlite3"'))
    entry = "year-end-new-years-eve"
    for bad in (
        "Hallo <![CDATA[<b>]]>",
        "<!-- x --> hoi",
        "&nbsp;",
        '<a href="x" onclick="y">z</a>',
    ):
        args = ["calendar", "replace", entry, "--municipality", "losser", "--nl", bad, "--en", "ok"]
        assert main([*args, "--config", str(cfg)]) == 2
        assert capsys.readouterr().out.startswith("--nl: ")
    assert main(["calendar", "overrides", "--config", str(cfg)]) == 0
    assert "losser" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("2027-01-02", "2027-01-01", "--from 2027-01-02 is after --to 2027-01-01"),
        ("2027-01-01", "9999-12-31", "--to must be at most 1830 days after --from"),
    ],
)
def test_show_refuses_a_period_out_of_bounds(
    start: str, end: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(ROOT / "config.example.toml")
    assert main(["calendar", "show", "--from", start, "--to", end, "--config", config]) == 2
    assert problem in capsys.readouterr().err


def test_show_piped_into_head_ends_quietly() -> None:
    """`buurtwacht calendar show ... | head` ended in a BrokenPipeError traceback."""
    command = [sys.executable, "-m", "bot", "calendar", "show", "--from", "2027-01-01"]
    config = str(ROOT / "config.example.toml")
    with subprocess.Popen(
        [*command, "--to", "2031-12-31", "--config", config],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline()  # like head -1: one line, then the reader leaves
        process.stdout.close()
        errors = process.stderr.read().decode()
        process.wait(timeout=60)
    assert "Traceback" not in errors and process.returncode == 1
