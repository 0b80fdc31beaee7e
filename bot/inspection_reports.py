"""The Telegram side of the wijkschouw that is not a handler: the invitation in the group, the
group's summary and the municipality's report when a walk closes (text, photos, CSV, GeoJSON,
map and the message on which findings are marked), the notice to the group when a finding is
solved, and the daily job.

Closing is a row first (state 'closed'); the summary and the report are marked as sent only once
they went out, so a crash or an unreachable team in between is made good by the daily job
(also run at start-up) instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, time

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError

from bot.advice.privacy import retention_cutoff
from bot.advisers.texts import chunks
from bot.erasure import complete_erasure
from bot.i18n import Translator
from bot.services import BotApplication, BotContext, Services
from bot.storage.inspections import Finding, Inspection
from bot.storage.roles import ALL
from bot.teamwork import chat_translator, drop_stale_drafts
from bot.telegram_errors import edit_elsewhere
from bot.wijkschouw import texts
from bot.wijkschouw.export import findings_csv, findings_geojson
from bot.wijkschouw.mapimage import MapLabels, MapPoint, findings_map
from bot.wijkschouw.model import CATEGORIES, marks_for

log = logging.getLogger(__name__)

JOIN_PREFIX = "wsj"
CLOSE_PREFIX = "wsc"
BOARD_PREFIX = "wsb"
DEEP_LINK_PREFIX = "ws_"
FINDING_DRAFT_KEY = "finding"
DAILY_AT = time(9, 30)
ALBUM_SIZE = 10
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def deep_link(bot_username: str, inspection: Inspection) -> str:
    """Opens the private chat in which a participant reports findings for this walk."""
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{inspection.code}"


# ----------------------------------------------------------------------------- the invitation


def invitation_markup(
    _: Translator, inspection: Inspection, participants: int, bot_username: str
) -> InlineKeyboardMarkup | None:
    if not inspection.is_open:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✋ I'm joining ({n})", n=participants),
                    callback_data=f"{JOIN_PREFIX}:{inspection.id}",
                )
            ],
            [
                InlineKeyboardButton(
                    _("📝 Report a finding"), url=deep_link(bot_username, inspection)
                )
            ],
            [
                InlineKeyboardButton(
                    _("Close the wijkschouw"), callback_data=f"{CLOSE_PREFIX}:{inspection.id}"
                )
            ],
        ]
    )


async def _invitation(
    services: Services, bot: Bot, inspection: Inspection
) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = await chat_translator(services, inspection.chat_id, None)
    participants = await services.inspections.participant_count(inspection.id)
    name = services.config.municipality_name(inspection.municipality)
    return (
        texts.invitation(_, inspection, name, participants),
        invitation_markup(_, inspection, participants, bot.username),
    )


async def post_invitation(services: Services, bot: Bot, inspection: Inspection) -> Message:
    text, markup = await _invitation(services, bot, inspection)
    message = await bot.send_message(
        inspection.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    await services.inspections.set_invite_message(inspection.id, message.message_id)
    return message


async def refresh_invitation(services: Services, bot: Bot, inspection_id: int) -> None:
    """Show the current count (or that the walk is closed) on the group's invitation."""
    inspection = await services.inspections.get(inspection_id)
    if inspection is None or inspection.invite_message_id is None:
        return
    text, markup = await _invitation(services, bot, inspection)
    await edit_elsewhere(
        bot,
        inspection.chat_id,
        inspection.invite_message_id,
        text,
        f"invitation of inspection id={inspection.id}",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )


# ----------------------------------------------------------------------------- closing


async def recipients(services: Services, municipality: str) -> tuple[list[int], bool]:
    """Who gets the report: the municipality's prevention team, else its advisers, else the
    bot's administrators (so a report is never lost); True when it is the team."""
    team = await services.teams.team_of(municipality)
    if team is not None:
        return [team], True
    advisers = sorted(
        {
            grant.user_id
            for grant in await services.roles.all()
            if grant.role == "adviser"
            and (ALL in grant.municipalities or municipality in grant.municipalities)
        }
    )
    return advisers or list(services.config.admins.user_ids), False


def recipient_text(_: Translator, services: Services, municipality: str, team: bool) -> str:
    name = services.config.municipality_name(municipality)
    if team:
        return _("the prevention team of {name}", name=name)
    return _("the municipality of {name}", name=name)


async def send_summary(services: Services, bot: Bot, inspection: Inspection) -> bool:
    """The group's summary: counts per category and the findings in order, no names."""
    _ = await chat_translator(services, inspection.chat_id, None)
    findings = await services.inspections.findings(inspection.id)
    participants = await services.inspections.participant_count(inspection.id)
    _chats, team = await recipients(services, inspection.municipality)
    lines = texts.group_summary(
        _,
        inspection,
        services.config.municipality_name(inspection.municipality),
        findings,
        participants,
        recipient_text(_, services, inspection.municipality, team),
    )
    try:
        for text in chunks(lines):
            await bot.send_message(inspection.chat_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("summary of inspection id=%s not sent: %s", inspection.id, type(exc).__name__)
        return False
    await services.inspections.mark_summary_sent(inspection.id, services.now())
    return True


def board_markup(_: Translator, findings: Sequence[Finding]) -> InlineKeyboardMarkup | None:
    """One button per finding the municipality can still mark."""
    buttons = [
        InlineKeyboardButton(texts.board_label(_, f), callback_data=f"{BOARD_PREFIX}:{f.id}")
        for f in findings
        if marks_for(f.status)
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows) if rows else None


def map_labels(_: Translator, inspection: Inspection, name: str) -> MapLabels:
    return MapLabels(
        title=_("Wijkschouw {place}", place=texts.place_name(inspection, name)),
        subtitle=_(
            "{when} · positions as shared by the participants, no background map",
            when=_.fmt_datetime(inspection.walk_at, "d MMMM y"),
        ),
        categories={key: _(c.label) for key, c in CATEGORIES.items()},
        colours={key: c.colour for key, c in CATEGORIES.items()},
        metres=_("{n} m"),
        north=_("N"),
    )


async def _report_to(
    services: Services,
    bot: Bot,
    chat_id: int,
    inspection: Inspection,
    findings: Sequence[Finding],
    participants: int,
) -> None:
    """Text, photos, map, CSV, GeoJSON and the marking message, to one chat (or an error)."""
    _ = await chat_translator(services, chat_id, None)
    name = services.config.municipality_name(inspection.municipality)
    for text in chunks(texts.report(_, inspection, name, findings, participants)):
        await bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        )
    if not findings:
        return
    photos = [(f, data) for f in findings if f.photo and (data := services.media.read(f.photo))]
    for start in range(0, len(photos), ALBUM_SIZE):
        batch = photos[start : start + ALBUM_SIZE]
        captions = [texts.finding_line(_, f)[: MessageLimit.CAPTION_LENGTH] for f, _d in batch]
        if len(batch) == 1:
            await bot.send_photo(
                chat_id,
                batch[0][1],
                caption=captions[0],
                parse_mode=ParseMode.HTML,
            )
        else:
            album = [
                InputMediaPhoto(data, caption=caption, parse_mode=ParseMode.HTML)
                for (_f, data), caption in zip(batch, captions, strict=True)
            ]
            await bot.send_media_group(chat_id, album)
    points = [
        MapPoint(f.number, f.latitude, f.longitude, f.category)
        for f in findings
        if f.latitude is not None and f.longitude is not None
    ]
    if points:
        png = await asyncio.to_thread(findings_map, map_labels(_, inspection, name), points)
        caption = _.ngettext(
            "Map of {n} finding with a shared location (numbered as in the list).",
            "Map of {n} findings with a shared location (numbered as in the list).",
            len(points),
        )
        await bot.send_photo(chat_id, png, caption=caption)
    stem = f"wijkschouw-{inspection.municipality}-{inspection.walk_at.date().isoformat()}"
    await bot.send_document(
        chat_id,
        InputFile(findings_csv(_, findings), filename=f"{stem}.csv"),
        caption=_("The findings as a spreadsheet (CSV)."),
    )
    await bot.send_document(
        chat_id,
        InputFile(findings_geojson(_, inspection, findings), filename=f"{stem}.geojson"),
        caption=_("The findings with a location as GeoJSON, for map software such as QGIS."),
    )
    board = await bot.send_message(
        chat_id,
        texts.board(_, inspection, name, findings),
        parse_mode=ParseMode.HTML,
        reply_markup=board_markup(_, findings),
    )
    await services.inspections.set_board(inspection.id, chat_id, board.message_id)


async def send_report(services: Services, bot: Bot, inspection: Inspection) -> bool:
    """The municipality's report; True when at least one recipient got all of it."""
    chats, _team = await recipients(services, inspection.municipality)
    findings = await services.inspections.findings(inspection.id)
    participants = await services.inspections.participant_count(inspection.id)
    delivered = 0
    for chat_id in chats:
        try:
            await _report_to(services, bot, chat_id, inspection, findings, participants)
            delivered += 1
        except TelegramError as exc:
            log.warning(
                "report of inspection id=%s to chat_id=%s failed: %s",
                inspection.id,
                chat_id,
                type(exc).__name__,
            )
    if delivered:
        await services.inspections.mark_reported(inspection.id, services.now())
        log.info(
            "report of inspection id=%s sent to %d chat(s), %d finding(s)",
            inspection.id,
            delivered,
            len(findings),
        )
    return delivered > 0


async def finish(services: Services, bot: Bot, inspection_id: int) -> None:
    """After closing: the group's summary and the municipality's report, each once (the claim
    keeps the daily job and the closing press from sending both)."""
    inspection = await services.inspections.claim_finish(inspection_id, services.now())
    if inspection is None:
        return
    try:
        if inspection.summary_sent_at is None:
            await send_summary(services, bot, inspection)
        if inspection.reported_at is None:
            await send_report(services, bot, inspection)
    finally:
        await services.inspections.release_finish(inspection_id)


# ----------------------------------------------------------------------------- marking


async def refresh_boards(services: Services, bot: Bot, inspection_id: int) -> None:
    """Every marking message of the walk shows the findings' current status."""
    inspection = await services.inspections.get(inspection_id)
    if inspection is None:
        return
    findings = await services.inspections.findings(inspection_id)
    name = services.config.municipality_name(inspection.municipality)
    for chat_id, message_id in await services.inspections.boards(inspection_id):
        _ = await chat_translator(services, chat_id, None)
        await edit_elsewhere(
            bot,
            chat_id,
            message_id,
            texts.board(_, inspection, name, findings),
            f"board of inspection id={inspection_id}",
            parse_mode=ParseMode.HTML,
            reply_markup=board_markup(_, findings),
        )


async def notify_solved(
    services: Services, bot: Bot, inspection: Inspection, finding: Finding
) -> None:
    """The group hears that a finding of its walk is solved, with the municipality's words."""
    _ = await chat_translator(services, inspection.chat_id, None)
    text = _(
        "✅ Good news from the municipality: finding #{number} ({category}, {place}) of the "
        "wijkschouw is solved.\n{reason}",
        number=finding.number,
        category=texts.category_text(_, finding.category),
        place=texts.where(_, finding),
        reason=finding.status_reason or "",
    )
    try:
        await bot.send_message(inspection.chat_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.info(
            "group of inspection id=%s not told about finding #%s: %s",
            inspection.id,
            finding.number,
            type(exc).__name__,
        )


# ----------------------------------------------------------------------------- daily job


async def catch_up(services: Services, bot: Bot) -> int:
    """Summaries and reports of closed walks that did not go out (crash, unreachable chat)."""
    pending = await services.inspections.unfinished()
    for inspection in pending:
        await finish(services, bot, inspection.id)
    return len(pending)


async def purge_expired_inspections(services: Services, now: datetime) -> int:
    """Retention: walks closed longer than retention_days ago keep no Telegram ids."""
    cutoff = retention_cutoff(now, services.config.privacy.retention_days)
    purged = await services.inspections.purge_closed_before(cutoff)
    log.info("retention purge: %d wijkschouw(s) unlinked from people", purged)
    return purged


async def wijkschouw_daily(context: BotContext) -> None:
    """Catch up on reports, unlink people from walks past retention, drop stale drafts; what
    was erased is then folded out of the WAL (bot.erasure)."""
    services, now = context.services, context.services.now()
    await catch_up(services, context.bot)
    purged = await purge_expired_inspections(services, now)
    dropped = drop_stale_drafts(context.application, now, FINDING_DRAFT_KEY)
    if purged or dropped:
        await complete_erasure(context.application)


async def start_wijkschouw(app: BotApplication) -> None:
    """At start-up, before updates are taken: what did not go out before a stop goes now; then
    the daily job."""
    services: Services = app.bot_data["services"]
    await catch_up(services, app.bot)
    assert app.job_queue is not None
    app.job_queue.run_daily(
        wijkschouw_daily,
        time=DAILY_AT.replace(tzinfo=services.config.locale.tz),
        name="wijkschouw-daily",
    )
