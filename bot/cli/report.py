"""`buurtwacht report --from DATE --to DATE [--out DIR]`: the half-year report for the partners'
meeting, as `report.csv` (one figure per row) and a short `report.md` summary.

It reads the same figures as /stats (bot.advisers.stats), for the whole region.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.advisers.stats import (
    advice_summary,
    by_source_ref,
    delivery_counts,
    inspection_summary,
    subscribers,
)
from bot.cli.common import add_output, load_or_report, open_database
from bot.config import Config
from bot.csv_files import write_csv
from bot.files import UnsafeOutput, open_output, output_folder
from bot.storage.alerts import AlertStore
from bot.storage.campaigns import CampaignStore
from bot.storage.database import utcnow
from bot.storage.figures import FigureStore

Row = tuple[str, str, str, str, int | float | str]  # section, municipality, item, metric, value


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="write the half-year report (CSV and Markdown)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    parser.add_argument("--config", default="config.toml")
    add_output(parser, "--out", "folder for report.csv and report.md", default=Path("."))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    if args.end < args.start:
        print("--to must not be before --from", file=sys.stderr)
        return 2
    rows = asyncio.run(collect(config, args.start, args.end))
    try:
        folder = output_folder(args.out)
        with (
            open_output(folder / "report.csv", force=args.force) as csv_file,
            open_output(folder / "report.md", force=args.force) as md_file,
        ):
            write_csv(csv_file, ["section", "municipality", "item", "metric", "value"], rows)
            md_file.write(summary(config, args.start, args.end, rows))
    except UnsafeOutput as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"report written to {folder / 'report.csv'} and {folder / 'report.md'}")
    return 0


async def collect(config: Config, start_day: date, end_day: date) -> list[Row]:
    """Every figure of the period [start_day, end_day] (local dates, both inclusive)."""
    tz = config.locale.tz
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    slugs = [m.slug for m in config.municipalities]
    async with open_database(config.storage.path) as db:
        rows: list[Row] = []
        for slug, s in (await subscribers(db, slugs, start, end)).items():
            rows += [
                ("reach", slug, "", "private_chats", s.private),
                ("reach", slug, "", "groups", s.groups),
                ("reach", slug, "", "net_change_in_period", s.change),
            ]
        per_key = await delivery_counts(db, utcnow(), start=start, end=end)
        for (source, ref), counts in by_source_ref(per_key).items():
            for metric in ("sent", "failed", "blocked"):
                rows.append((f"deliveries_{source}", "", ref, metric, getattr(counts, metric)))
        for campaign in await CampaignStore(db).between(start, end):
            rows.append(
                (
                    "campaigns",
                    ",".join(sorted(campaign.audience.municipalities)),
                    str(campaign.id),
                    "due_at",
                    campaign.due_at.astimezone(tz).isoformat(timespec="minutes"),
                )
            )
        for slug, n in (await AlertStore(db).count(slugs, start, end)).items():
            rows.append(("alerts", slug, "", "alerts", n))
        for slug in slugs:
            advice = await advice_summary(db, [slug], start, end)
            rows += [
                ("advice", slug, "", "open", advice.open),
                ("advice", slug, "", "claimed", advice.claimed),
                ("advice", slug, "", "closed", advice.done),
                ("advice", slug, "", "median_days_to_claim", _num(advice.median_days_to_claim)),
                ("advice", slug, "", "median_days_to_close", _num(advice.median_days_to_close)),
            ]
            inspections = (await inspection_summary(db, [slug], start, end))[slug]
            rows.append(("wijkschouw", slug, "", "held", inspections.held))
            rows += [
                ("wijkschouw_findings", slug, category, "findings", n)
                for category, n in sorted(inspections.categories.items())
            ]
            rows += [
                ("wijkschouw_status", slug, status, "findings", n)
                for status, n in sorted(inspections.statuses.items())
            ]
            for year, count in (await FigureStore(db).per_year([slug])).items():
                rows.append(("figures", slug, str(year), "burglaries", count))
        return rows


def _num(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def summary(config: Config, start: date, end: date, rows: list[Row]) -> str:
    """A few lines for people: totals per section; the CSV holds the detail."""

    def total(section: str, metric: str) -> int:
        return sum(int(v) for s, _m, _i, k, v in rows if s == section and k == metric)

    def total_prefix(prefix: str, metric: str) -> int:
        return sum(int(v) for s, _m, _i, k, v in rows if s.startswith(prefix) and k == metric)

    def per_item(section: str) -> int:
        return sum(int(v) for s, _m, _i, _k, v in rows if s == section)

    names = {m.slug: m.name for m in config.municipalities}
    lines = [
        f"# Buurtwacht report {start.isoformat()} – {end.isoformat()}",
        "",
        "## Reach",
        f"- Private chats subscribed: {total('reach', 'private_chats')}",
        f"- Groups subscribed: {total('reach', 'groups')}",
        f"- Net change in subscribers in the period: {total('reach', 'net_change_in_period'):+d}",
        "",
        "## Messages",
        f"- Campaigns: {sum(1 for r in rows if r[0] == 'campaigns')}",
        f"- Deliveries sent: {total_prefix('deliveries_', 'sent')}, "
        f"failed: {total_prefix('deliveries_', 'failed')} "
        f"(blocked: {total_prefix('deliveries_', 'blocked')})",
        f"- Neighbourhood alerts: {total('alerts', 'alerts')}",
        "",
        "## Advice requests",
        f"- Open: {total('advice', 'open')}, claimed: {total('advice', 'claimed')}, "
        f"closed: {total('advice', 'closed')}",
        "",
        "## Wijkschouw",
        f"- Held: {total('wijkschouw', 'held')}, findings: {per_item('wijkschouw_findings')}",
        "- By category: " + _items("wijkschouw_findings", rows),
        "- Status now: " + _items("wijkschouw_status", rows),
        "",
        "## Home burglaries per year",
        "",
        "| municipality | " + " | ".join(_years(rows)) + " |",
        "|---|" + "---|" * len(_years(rows)),
    ]
    for slug, name in names.items():
        per_year = {i: v for s, m, i, _k, v in rows if s == "figures" and m == slug}
        lines.append(
            f"| {name} | " + " | ".join(str(per_year.get(y, "")) for y in _years(rows)) + " |"
        )
    return "\n".join(lines) + "\n"


def _years(rows: list[Row]) -> list[str]:
    return sorted({item for section, _m, item, _k, _v in rows if section == "figures"})


def _items(section: str, rows: list[Row]) -> str:
    """ "lighting 3, greenery 1" over all municipalities, or "none"."""
    totals: dict[str, int] = {}
    for s, _m, item, _k, value in rows:
        if s == section:
            totals[item] = totals.get(item, 0) + int(value)
    return ", ".join(f"{item} {n}" for item, n in sorted(totals.items())) or "none"
