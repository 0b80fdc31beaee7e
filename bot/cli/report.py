"""`buurtwacht report --from DATE --to DATE [--out DIR] [--locale nl|en]`: the half-year report
for the partners' meeting, as `report.csv` (one figure per row) and a short `report.md` summary.

It reads the same figures as /stats (bot.advisers.stats), for the whole region. The summary is
for people and comes in the configured languages (default: the configuration's default); the
CSV is for spreadsheets and keeps fixed English keys in every language, so formulas keep working.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.advisers.stats import (
    Feedback,
    advice_summary,
    by_source_ref,
    delivery_counts,
    feedback_counts,
    inspection_summary,
    message_feedback,
    subscribers,
    theme_feedback,
)
from bot.advisers.texts import theme_text
from bot.cli.common import add_output, load_or_report, no_database, open_database
from bot.config import Config
from bot.csv_files import write_csv
from bot.feedback.buttons import SOURCES
from bot.files import UnsafeOutput, open_output, output_folder
from bot.i18n import Catalogues, Translator
from bot.storage.alerts import AlertStore
from bot.storage.campaigns import CampaignStore
from bot.storage.database import utcnow
from bot.storage.figures import FigureStore
from bot.wijkschouw.texts import category_text, status_text
from messages.loader import load_calendar

Row = tuple[str, str, str, str, int | float | str]  # section, municipality, item, metric, value


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="write the half-year report (CSV and Markdown)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    parser.add_argument("--config", default="config.toml")
    add_output(parser, "--out", "folder for report.csv and report.md", default=Path("."))
    parser.add_argument("--locale", help="language of report.md (default: the configuration's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    if args.end < args.start:
        print("--to must not be before --from", file=sys.stderr)
        return 2
    locale = args.locale or config.locale.default
    if locale not in config.locale.available:
        print(f"--locale: one of {', '.join(config.locale.available)}", file=sys.stderr)
        return 2
    if no_database(config):
        return 2
    _ = Catalogues(config.locale.available, config.locale.default, config.locale.tz).get(locale)
    rows = asyncio.run(collect(config, args.start, args.end))
    try:
        folder = output_folder(args.out)
        with (
            open_output(folder / "report.csv", force=args.force) as csv_file,
            open_output(folder / "report.md", force=args.force) as md_file,
        ):
            write_csv(csv_file, ["section", "municipality", "item", "metric", "value"], rows)
            md_file.write(summary(_, config, args.start, args.end, rows))
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
        per_message = by_source_ref(per_key)
        for (source, ref), counts in per_message.items():
            for metric in ("sent", "failed", "blocked"):
                rows.append((f"deliveries_{source}", "", ref, metric, getattr(counts, metric)))
        votes = await feedback_counts(db, slugs, start=start, end=end)
        feedback = {
            key: item
            for key, item in message_feedback(per_message, votes).items()
            if key[0] in SOURCES
        }
        for (source, ref), item in feedback.items():
            rows += _feedback_rows(f"feedback_{source}", ref, item)
        for theme, item in theme_feedback(load_calendar(), feedback).items():
            rows += _feedback_rows("feedback_theme", theme, item)
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


def _feedback_rows(section: str, item_name: str, item: Feedback) -> list[Row]:
    """Delivered, votes (👍, 👎, the share of 👍 from 0 to 1) and shares of one message or theme."""
    share = item.useful_share
    return [
        (section, "", item_name, "delivered", item.delivered),
        (section, "", item_name, "votes", item.votes),
        (section, "", item_name, "useful", item.useful),
        (section, "", item_name, "not_useful", item.not_useful),
        (section, "", item_name, "useful_share", "" if share is None else round(share, 2)),
        (section, "", item_name, "shares", item.shares),
    ]


def summary(_: Translator, config: Config, start: date, end: date, rows: list[Row]) -> str:
    """A few lines for people: totals per section; the CSV holds the detail."""

    def total(section: str, metric: str) -> int:
        return sum(int(v) for s, _m, _i, k, v in rows if s == section and k == metric)

    def total_prefix(prefix: str, metric: str) -> int:
        return sum(int(v) for s, _m, _i, k, v in rows if s.startswith(prefix) and k == metric)

    def per_item(section: str) -> int:
        return sum(int(v) for s, _m, _i, _k, v in rows if s == section)

    names = {m.slug: m.name for m in config.municipalities}
    years = _years(rows)
    lines = [
        "# "
        + _(
            "Buurtwacht report {start} – {end}",
            start=_.fmt_date(start, "d MMMM y"),
            end=_.fmt_date(end, "d MMMM y"),
        ),
        "",
        "## " + _("Reach"),
        "- " + _("Private chats subscribed: {n}", n=total("reach", "private_chats")),
        "- " + _("Groups subscribed: {n}", n=total("reach", "groups")),
        "- "
        + _(
            "Net change in subscribers in the period: {n}",
            n=f"{total('reach', 'net_change_in_period'):+d}",
        ),
        "",
        "## " + _("Messages"),
        "- " + _("Campaigns: {n}", n=sum(1 for r in rows if r[0] == "campaigns")),
        "- "
        + _(
            "Deliveries sent: {sent}, failed: {failed} (blocked: {blocked})",
            sent=total_prefix("deliveries_", "sent"),
            failed=total_prefix("deliveries_", "failed"),
            blocked=total_prefix("deliveries_", "blocked"),
        ),
        "- " + _("Neighbourhood alerts: {n}", n=total("alerts", "alerts")),
        "",
        "## " + _("Feedback"),
        "- "
        + _(
            "Votes: {votes} (useful: {useful}), shares in WhatsApp groups: {shares}",
            votes=total("feedback_theme", "votes"),
            useful=total("feedback_theme", "useful"),
            shares=total("feedback_theme", "shares"),
        ),
        "",
        _row([_("theme"), _("delivered"), _("votes"), _("useful"), _("shares")]),
        "|---|---|---|---|---|",
        *_theme_lines(_, rows),
        "",
        "## " + _("Advice requests"),
        "- "
        + _(
            "Open: {open}, claimed: {claimed}, closed: {closed}",
            open=total("advice", "open"),
            claimed=total("advice", "claimed"),
            closed=total("advice", "closed"),
        ),
        "",
        "## " + _("Neighbourhood inspections (wijkschouw)"),
        "- "
        + _(
            "Held: {held}, findings: {findings}",
            held=total("wijkschouw", "held"),
            findings=per_item("wijkschouw_findings"),
        ),
        "- " + _("By category: {items}", items=_items(_, "wijkschouw_findings", rows)),
        "- " + _("Status now: {items}", items=_items(_, "wijkschouw_status", rows)),
        "",
        "## " + _("Home burglaries per year"),
        "",
        _row([_("municipality"), *years]),
        "|---|" + "---|" * len(years),
    ]
    for slug, name in names.items():
        per_year = {i: v for s, m, i, _k, v in rows if s == "figures" and m == slug}
        lines.append(_row([name, *(str(per_year.get(y, "")) for y in years)]))
    return "\n".join(lines) + "\n"


def _theme_lines(_: Translator, rows: list[Row]) -> list[str]:
    """The report.md table: one row per theme, named in the report's language."""
    themes: dict[str, dict[str, int | float | str]] = {}
    for section, _m, item, metric, value in rows:
        if section == "feedback_theme":
            themes.setdefault(item, {})[metric] = value
    lines = []
    for theme, v in themes.items():
        share = v["useful_share"]
        useful = f"{round(float(share) * 100)} %" if share != "" else "–"
        name = theme_text(_, theme)
        lines.append(_row([name, str(v["delivered"]), str(v["votes"]), useful, str(v["shares"])]))
    return lines


def _row(cells: list[str]) -> str:
    """A Markdown table row. (Not an f-string with _() inside: pybabel would not extract it.)"""
    return "| " + " | ".join(cells) + " |"


def _years(rows: list[Row]) -> list[str]:
    return sorted({item for section, _m, item, _k, _v in rows if section == "figures"})


def _items(_: Translator, section: str, rows: list[Row]) -> str:
    """ "💡 Lighting 3, 🌳 Greenery 1" (or statuses) over all municipalities, or "none"."""
    totals: dict[str, int] = {}
    for s, _m, item, _k, value in rows:
        if s == section:
            totals[item] = totals.get(item, 0) + int(value)
    name = category_text if section == "wijkschouw_findings" else status_text
    return ", ".join(f"{name(_, item)} {n}" for item, n in sorted(totals.items())) or _("none")
