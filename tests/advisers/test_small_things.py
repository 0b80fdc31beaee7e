"""The small things that made the advisers' tools feel unfinished: /stats in plurals and human
durations that keep past counts after a /forgetme, the report in both languages, the calendar
command line that checks its dates and knows names, and a poster link that names the place."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.advisers.broadcasts import schedule_campaign
from bot.cli import main as cli
from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.advice import AdviceRequest, NewRequest
from tests.advisers.helpers import (
    adviser,
    config_file,
    group,
    press,
    resident,
    say,
    stored_campaign,
)
from tests.harness import ROOT, BotHarness

NOW = datetime(2027, 10, 20, 10, 0, tzinfo=UTC)


async def test_stats_plurals_durations_and_counts_after_forgetme(
    emu: BotApiEmulator, bot: BotHarness
) -> None:
    services = bot.services
    services.now = lambda: NOW
    rita = await resident(emu, bot, "Rita", "enschede")
    gea = emu.add_user("Gea", language_code="en").id
    buren = await group(emu, bot, "Buren", gea, "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    dirk = await adviser(emu, bot, "Dirk", "enschede", locale="nl")
    campaign = await stored_campaign(bot, eva, {"enschede"}, NOW)
    await schedule_campaign(services, campaign)
    await emu.wait_sent(rita, 2)
    await services.engine.drain()
    request = await services.advice.create(
        NewRequest(rita, "en", "enschede", "secure_home", "Rita", "7511 AB", "1", None, ()),
        NOW - timedelta(hours=3),
        2027,
    )
    assert isinstance(request, AdviceRequest)
    await services.advice.transition(
        request.id, "claim", NOW - timedelta(hours=1), by=gea, by_name="Gea"
    )

    (stats,) = await say(emu, eva, "/stats")
    text = stats.text or ""
    assert "Enschede: 1 private chat, 1 group (" in text
    assert f"Campaign #{campaign.id}: Lock the door: sent 2 · failed 0" in text
    assert "median time to claim: 2 hours; to close: –" in text
    (dutch,) = await say(emu, dirk, "/statistieken")
    assert "Enschede: 1 privéchat, 1 groep (" in (dutch.text or "")
    assert "2 uur" in (dutch.text or "")

    await say(emu, rita, "/forgetme")
    await press(emu, rita, "Yes, delete my data")
    (stats,) = await say(emu, eva, "/stats")
    text = stats.text or ""
    assert "Enschede: 0 private chats, 1 group (" in text
    assert f"Campaign #{campaign.id}: Lock the door: sent 2 · failed 0" in text  # not 1
    assert buren  # the group's delivery still counts, and so does Rita's


@pytest.mark.parametrize(
    ("locale", "heading", "line"),
    [
        (None, "# Buurtwacht-rapport 1 januari 2027 – 30 juni 2027", "Aangemelde privéchats: 1"),
        ("en", "# Buurtwacht report 1 January 2027 – 30 June 2027", "Private chats subscribed: 1"),
    ],
)
async def test_report_in_the_configured_or_chosen_language(
    emu: BotApiEmulator,
    bot: BotHarness,
    config: Config,
    tmp_path: Path,
    locale: str | None,
    heading: str,
    line: str,
) -> None:
    await resident(emu, bot, "Rita", "enschede")
    out = tmp_path / "report"
    args = ["report", "--from", "2027-01-01", "--to", "2027-06-30", "--out", str(out)]
    args += ["--config", config_file(tmp_path, config)]
    args += ["--locale", locale] if locale else []
    assert await asyncio.to_thread(cli, args) == 0
    summary = (out / "report.md").read_text("utf-8")
    assert summary.startswith(heading) and line in summary
    assert "section,municipality,item,metric,value" in (out / "report.csv").read_text("utf-8")


def test_report_refuses_an_unknown_language(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "--from", "2027-01-01", "--to", "2027-06-30", "--locale", "fy"]
    assert cli([*args, "--config", config_file(tmp_path, config)]) == 2
    assert "--locale: one of nl, en" in capsys.readouterr().err


def test_calendar_show_checks_the_period_and_knows_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(ROOT / "config.example.toml")
    period = ["--from", "2027-12-31", "--to", "2027-01-01"]
    assert cli(["calendar", "show", *period, "--config", config]) == 2
    assert "--from 2027-12-31 is after --to 2027-01-01" in capsys.readouterr().err

    year = ["--from", "2027-01-01", "--to", "2027-12-31", "--config", config]
    assert cli(["calendar", "show", *year, "--municipality", "Enschede"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 40 and all(" enschede " in line for line in lines[:-1])
    assert cli(["calendar", "show", *year, "--municipality", "Haarlem"]) == 2
    assert "unknown municipality 'Haarlem'" in capsys.readouterr().out

    out = tmp_path / "year.ics"
    ics = ["--format", "ics", "--output", str(out)]
    assert cli(["calendar", "show", *year, "--municipality", "hof van twente", *ics]) == 0
    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == len(events) > 40
    assert all(str(e["DESCRIPTION"]).startswith("Voor: Hof van Twente") for e in events)
    assert "Kalenderbericht" in {str(c) for e in events for c in e["CATEGORIES"].cats}

    # The whole region: one event per moment, not fourteen.
    assert cli(["calendar", "show", *year, *ics, "--locale", "en", "--force"]) == 0
    region = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert len(region) < 2 * len(events)
    assert any(str(e["DESCRIPTION"]).startswith("For: the whole region") for e in region)


async def test_a_poster_link_names_the_municipality(emu: BotApiEmulator, bot: BotHarness) -> None:
    for name, language, expected in (
        ("Piet", "nl", "Je kwam via de link van <b>Almelo</b>"),
        ("Pat", "en", "You came through the link of <b>Almelo</b>"),
    ):
        user = emu.add_user(name, language_code=language).id
        (reply,) = await say(emu, user, "/start gem_almelo")
        assert expected in (reply.html or ""), reply.html
