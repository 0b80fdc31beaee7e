"""Burglary figures: the seed table, validated imports, the chart, /stats and the report."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.advisers.charts import ChartLabels, burglary_chart
from bot.advisers.figures import parse_figures, seed_figures
from bot.cli import main as cli
from bot.config import Config
from bot.sandbox.emulator import BotApiEmulator
from tests.advisers.helpers import adviser, config_file, resident, say
from tests.harness import BotHarness, make_config

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEADER = "municipality,year,burglaries\n"


def test_seed_table_matches_the_report_totals() -> None:
    figures = seed_figures()
    totals = {
        year: sum(f.burglaries for f in figures if f.year == year) for year in (2016, 2017, 2018)
    }
    assert totals == {2016: 1939, 2017: 1460, 2018: 1198}
    assert len({f.municipality for f in figures}) == 14


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("gemeente,jaar,aantal\nenschede,2019,300\n", "line 1: expected the header"),
        (
            "municipality,year,burglaries\nHaarlem,2019,3\n",
            "line 2: unknown municipality 'Haarlem'",
        ),
        ("municipality,year,burglaries\nenschede,1999,3\n", "line 2: year must be"),
        ("municipality,year,burglaries\nenschede,2031,3\n", "line 2: year must be"),
        ("municipality,year,burglaries\nenschede,twenty,3\n", "line 2: year must be"),
        ("municipality,year,burglaries\nenschede,2019,-1\n", "line 2: burglaries must be"),
        ("municipality,year,burglaries\nenschede,2019,1.5\n", "line 2: burglaries must be"),
        (
            "municipality,year,burglaries\nenschede,2019,3\nEnschede,2019,4\n",
            "line 3: enschede 2019 appears twice",
        ),
        # What crashed the import in the audit, and its relatives: each a problem on its line.
        (f"{HEADER}enschede,2019,{'9' * 30}\n", "line 2: burglaries must be a whole number"),
        (f"{HEADER}enschede,2019,{'9' * 5000}\n", "line 2: burglaries must be a whole number"),
        (f"{HEADER}enschede,2019,100001\n", "line 2: burglaries must be a whole number"),
        (f"{HEADER}enschede,2019,1_000\n", "line 2: burglaries must be a whole number"),
        (f"{HEADER}enschede,2019,300,extra\n", "line 2: expected 3 columns"),
        (f"{HEADER}enschede,2019\n", "line 2: expected 3 columns"),
        (f"{HEADER}enschede,2019,{'x' * 200_000}\n", "line 2: not readable as CSV"),
        (f"{HEADER}enschede,2019,3\x00\n", "line 2: burglaries must be a whole number"),
        ("", "line 1: expected the header municipality,year,burglaries, got an empty file"),
        ("municipality,year,burglaries,note\n", "line 1: expected the header"),
    ],
)
def test_import_problems(tmp_path: Path, text: str, problem: str) -> None:
    config = make_config(tmp_path)
    _figures, problems = parse_figures(text.encode(), config, last_year=2030)
    assert any(p.startswith(problem) for p in problems), problems


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    data = (
        b"\xef\xbb\xbfmunicipality,year,burglaries\n"
        b"enschede,2019,300\n"
        b"M\xfcnster,2019,3\n"  # Latin-1, not UTF-8
        b"hengelo,2019,3,extra\n"
        b"\n"
        b"almelo,1999,99999999999999999999\n"
        b"losser,2019,12\n"
    )
    figures, problems = parse_figures(data, make_config(tmp_path), last_year=2030)
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 6", "line 6"]
    assert [(f.municipality, f.year, f.burglaries) for f in figures] == [
        ("enschede", 2019, 300),
        ("losser", 2019, 12),
    ]


async def test_figures_import_cli_and_chart_command(
    emu: BotApiEmulator, bot: BotHarness, config: Config, tmp_path: Path
) -> None:
    path = config_file(tmp_path, config)
    bad = tmp_path / "bad.csv"
    bad.write_text("municipality,year,burglaries\nenschede,2019,-3\nHof van Twente,2019,30\n")
    assert await asyncio.to_thread(cli, ["figures", "import", str(bad), "--config", path]) == 1
    assert 2019 not in await bot.services.figures.per_year(["enschede"])
    for content in (b"", b"municipality,year,burglaries\nenschede,2019,3\xff\n"):
        bad.write_bytes(content)
        assert await asyncio.to_thread(cli, ["figures", "import", str(bad), "--config", path]) == 1

    good = tmp_path / "good.csv"
    good.write_text("municipality,year,burglaries\nenschede,2019,350\nEnschede,2018,400\n")
    assert await asyncio.to_thread(cli, ["figures", "import", str(good), "--config", path]) == 0
    assert await bot.services.figures.per_year(["enschede"]) == {
        2016: 792,
        2017: 505,
        2018: 400,
        2019: 350,
    }
    # A year only counts for a total when every municipality has a figure.
    assert 2019 not in await bot.services.figures.per_year(["enschede", "hengelo"])

    await resident(emu, bot, "Anna", "enschede")
    eva = await adviser(emu, bot, "Eva", "enschede")
    (chart,) = await say(emu, eva, "/figures")
    assert chart.photo is not None and chart.photo.data.startswith(PNG_SIGNATURE)
    assert "Enschede" in (chart.caption or "")
    (refusal,) = await say(emu, eva, "/figures Hengelo")
    assert "not one of yours" in (refusal.text or "")


def test_chart_is_a_valid_png() -> None:
    labels = ChartLabels(
        "Twente", "Home burglaries per year", "Subscribers now", "private", "groups"
    )
    png = burglary_chart(labels, {2016: 1939, 2017: 1460, 2018: 1198}, 120, 14)
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100


async def test_stats_and_half_year_report(
    emu: BotApiEmulator, bot: BotHarness, config: Config, tmp_path: Path
) -> None:
    await resident(emu, bot, "Anna", "enschede")
    await resident(emu, bot, "Hans", "hengelo")
    eva = await adviser(emu, bot, "Eva", "enschede")
    (stats,) = await say(emu, eva, "/stats")
    text = stats.text or ""
    assert (
        "Statistics for Enschede" in text
        and "Enschede: 1 private chat, 0 groups (+1 in 30 days)" in text
    )
    assert "Hengelo" not in text

    path = config_file(tmp_path, config)
    out = tmp_path / "report"
    args = [
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2030-06-30",
        "--config",
        path,
        "--out",
        str(out),
        "--locale",
        "en",
    ]
    assert await asyncio.to_thread(cli, args) == 0
    rows = list(csv.DictReader((out / "report.csv").open(encoding="utf-8")))
    reach = {(r["municipality"], r["metric"]): r["value"] for r in rows if r["section"] == "reach"}
    assert (
        reach[("enschede", "private_chats")] == "1" and reach[("hengelo", "private_chats")] == "1"
    )
    assert reach[("enschede", "net_change_in_period")] == "1"
    assert {"reach", "advice", "figures"} <= {r["section"] for r in rows}
    summary = (out / "report.md").read_text("utf-8")
    assert "Private chats subscribed: 2" in summary and "| Enschede | 792 | 505 | 402 |" in summary
