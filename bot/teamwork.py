"""The Telegram side of advice requests that is not a handler: the team message (rendered,
posted, edited), telling the resident, and the daily jobs (team reminder, admins' notice about
municipalities without a team, retention purge, stale drafts).

The daily job bodies take their inputs explicitly (services, bot, now), so tests call them with
a moved clock instead of waiting for 09:00.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as dt_time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.advice.privacy import retention_cutoff
from bot.advice.requests import (
    MOMENTS,
    REASONS,
    Action,
    Refusal,
    allowed,
    waiting_too_long,
)
from bot.advice.validation import format_phone
from bot.erasure import complete_erasure
from bot.i18n import Html, Translator
from bot.selfcheck.texts import answer_lines
from bot.services import BotApplication, BotContext, Services
from bot.storage.advice import AdviceRequest, Erased
from bot.subscription import FINISHED_KEY, WIZARD_KEY
from bot.telegram_errors import edit_elsewhere, is_not_modified, tell

log = logging.getLogger(__name__)

TEAM_PREFIX = "team"
# Short action codes in callback data; the request id is the only other thing a button carries.
ACTION_CODES: dict[str, Action] = {
    "claim": "claim",
    "plan": "plan",
    "done": "done",
    "np": "not_possible",
}
# Not a step of the request: a member writes to the resident (bot/handlers/contact.py).
MESSAGE_CODE = "msg"
DRAFT_KEY = "advice"
DRAFT_MAX_AGE = timedelta(days=1)
DAILY_AT = dt_time(9, 0)
POST_BACKOFF = (10.0, 600.0)  # seconds: first retry of a failed team post, and the cap
INLINE_POST_WAIT = 0.1  # a handler posts itself only when the group can take it this soon


async def chat_translator(services: Services, chat_id: int, fallback: str | None) -> Translator:
    """The stored locale of a chat we are not answering (a team, a resident)."""
    chat = await services.chats.get(chat_id)
    return services.i18n.get(chat.locale if chat else fallback)


def team_text(_: Translator, services: Services, request: AdviceRequest) -> str:
    """The team message: every user-entered value goes through the translator, so escaped."""
    fmt = "d MMMM y HH:mm"
    lines = [
        _(
            "<b>Prevention advice {reference}</b> – {municipality}",
            reference=request.reference,
            municipality=services.config.municipality_name(request.municipality),
        ),
        _("Received: {when}", when=_.fmt_datetime(request.created_at, fmt)),
    ]
    if request.erased:
        why = {
            "resident": _("Removed at the resident's request."),
            "retention": _("Personal details removed after the retention period."),
        }.get(request.erased_reason or "", _("Personal details removed."))
        lines.append(Html(f"<i>{why}</i>"))
    else:
        contact = (
            format_phone(request.phone)
            if request.phone
            else _("only in Telegram: use Message resident")
        )
        lines += [
            _("Reason: {reason}", reason=_(REASONS.get(request.reason, request.reason))),
            _("Name: {name}", name=request.name or ""),
            _(
                "Address: {postcode} {number}",
                postcode=request.postcode or "",
                number=request.house_number or "",
            ),
            _("Contact: {contact}", contact=contact),
            _("Language: {language}", language=_.language_name(request.locale)),
            _(
                "Preferred moments: {moments}",
                moments=", ".join(_(MOMENTS[m]) for m in request.moments if m in MOMENTS),
            ),
        ]
        if request.selfcheck:
            lines += [_("Self-check answers of the resident:"), *answer_lines(_, request.selfcheck)]
    if request.claimed_at and request.claimed_by_name:
        lines.append(
            _(
                "✋ Claimed by {name} on {when}",
                name=request.claimed_by_name,
                when=_.fmt_datetime(request.claimed_at, fmt),
            )
        )
    elif request.claimed_at and not request.erased:
        # The member asked to be forgotten: the claim stays, their name does not.
        lines.append(_("✋ Claimed on {when}", when=_.fmt_datetime(request.claimed_at, fmt)))
    if request.planned_for and request.status in ("planned", "done"):
        lines.append(_("📅 Appointment: {when}", when=_.fmt_datetime(request.planned_for, fmt)))
        if request.declined_at and request.status == "planned":
            lines.append(
                _(
                    "⚠️ The resident said on {when} that this moment does not suit them.",
                    when=_.fmt_datetime(request.declined_at, fmt),
                )
            )
    closed = _.fmt_datetime(request.closed_at, fmt) if request.closed_at else ""
    by = request.closed_by_name
    if request.closed_at and request.status == "done":
        lines.append(
            _("✅ Done on {when} by {name}", when=closed, name=by)
            if by
            else _("✅ Done on {when}", when=closed)
        )
    if request.closed_at and request.status == "not_possible":
        lines.append(
            _("⛔ Not possible ({when}, {name})", when=closed, name=by)
            if by
            else _("⛔ Not possible ({when})", when=closed)
        )
        if request.note:
            lines.append(_("Reason: {reason}", reason=request.note))
    return "\n".join(lines)


def team_keyboard(_: Translator, request: AdviceRequest) -> InlineKeyboardMarkup | None:
    labels = {
        "claim": _("Claim"),
        "plan": _("Change appointment") if request.planned_for else _("Plan appointment"),
        MESSAGE_CODE: _("Message resident"),
        "done": _("Done"),
        "np": _("Not possible"),
    }
    buttons = [
        InlineKeyboardButton(label, callback_data=f"{TEAM_PREFIX}:{request.id}:{code}")
        for code, label in labels.items()
        if not request.erased
        and (
            request.is_open and request.user_id is not None
            if code == MESSAGE_CODE
            else allowed(ACTION_CODES[code], request.status)
        )
        # Closing is offered once someone is on it; a new request can only be claimed or refused.
        and not (request.status == "new" and code == "done")
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows) if buttons else None


async def post_request(services: Services, bot: Bot, request: AdviceRequest) -> bool:
    """Post a request in its municipality's team group; False when no team is linked. Telegram
    errors propagate: the request stays unposted and TeamPoster retries it."""
    team = await services.teams.team_of(request.municipality)
    if team is None:
        log.info("advice request id=%s waits: no team for %s", request.id, request.municipality)
        return False
    _ = await chat_translator(services, team, None)
    message = await bot.send_message(
        team,
        team_text(_, services, request),
        parse_mode=ParseMode.HTML,
        reply_markup=team_keyboard(_, request),
    )
    await services.advice.set_team_message(request.id, team, message.message_id)
    log.info("advice request id=%s posted to team chat_id=%s", request.id, team)
    return True


class TeamPoster:
    """Posts new requests in their team's group from a durable queue: the open requests that
    have a team but no team message yet (rows, so a restart loses none).

    `post_ready()` (from a handler) posts at once what a team group can take without waiting;
    everything else is posted by one background task, in order, through the shared limiter,
    which keeps the group's 20 messages per minute and retries a 429 after retry_after. Any
    other failure is retried with backoff (POST_BACKOFF), not at the next 09:00 run. So a burst
    of requests never holds up the replies to residents, and no request waits for a day.
    """

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services, self.bot = services, bot
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one poster at a time: a request is never posted twice
        self._task: asyncio.Task[None] | None = None
        self._retry: dict[int, tuple[float, float]] = {}  # request id -> (retry at, backoff)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="team-poster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def queue_position(self, request: AdviceRequest) -> int:
        """1 + the requests before this one still waiting for the same team group."""
        team = await self.services.teams.team_of(request.municipality)
        if team is None:
            return 0
        served = set(await self.services.teams.municipalities_of(team))
        waiting = [r.id for r in await self.services.advice.unposted() if r.municipality in served]
        return waiting.index(request.id) + 1 if request.id in waiting else 0

    async def post_ready(self) -> int:
        """Post now what the team groups can take without waiting; the rest waits its turn."""
        posted = 0
        if not self._lock.locked():
            async with self._lock:
                posted = await self._post_waiting(wait=False)
        self.wake()
        return posted

    async def _post_waiting(self, *, wait: bool) -> int:
        limiter = self.services.engine.limiter
        posted = 0
        for request in await self.services.advice.unposted():
            team = await self.services.teams.team_of(request.municipality)
            retry_at, backoff = self._retry.get(request.id, (0.0, 0.0))
            if team is None or time.monotonic() < retry_at:
                continue
            if not wait and limiter.chat_wait(team, True) > INLINE_POST_WAIT:
                continue
            try:
                posted += await post_request(self.services, self.bot, request)
            except TelegramError as exc:
                backoff = min(POST_BACKOFF[1], max(POST_BACKOFF[0], backoff * 2))
                self._retry[request.id] = (time.monotonic() + backoff, backoff)
                log.warning(
                    "could not post advice request id=%s (%s); retrying in %g s",
                    request.id,
                    type(exc).__name__,
                    backoff,
                )
            else:
                self._retry.pop(request.id, None)
        return posted

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                async with self._lock:
                    await self._post_waiting(wait=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database: the requests stay queued
                log.warning("team posts: %s: %s", type(exc).__name__, exc)
            now = time.monotonic()
            wait = min((at for at, _ in self._retry.values()), default=now + 60.0) - now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(1.0, wait))


async def refresh_team_message(services: Services, bot: Bot, request: AdviceRequest) -> None:
    """Show the request's current state on its team message (after a step, a /forgetme or a
    purge); a message that is gone or unchanged is not an error."""
    if request.team_chat_id is None or request.team_message_id is None:
        return
    _ = await chat_translator(services, request.team_chat_id, None)
    await edit_elsewhere(
        bot,
        request.team_chat_id,
        request.team_message_id,
        team_text(_, services, request),
        f"team message of request id={request.id}",
        parse_mode=ParseMode.HTML,
        reply_markup=team_keyboard(_, request),
    )


async def show_erased(services: Services, bot: Bot, erased: Sequence[Erased]) -> None:
    """Erased requests: their team messages show it, and the team's copies of the resident's
    words (and the notices about the request) lose their text (the rows are already gone)."""
    for item in erased:
        await refresh_team_message(services, bot, item.after)
        for relayed in item.messages:
            if relayed.direction != "to_team":
                continue
            _ = await chat_translator(services, relayed.chat_id, None)
            text = (
                _(
                    "💬 {reference}: removed after the retention period.",
                    reference=item.after.reference,
                )
                if item.after.erased_reason == "retention"
                else _(
                    "💬 {reference}: removed at the resident's request.",
                    reference=item.after.reference,
                )
            )
            try:
                await bot.edit_message_text(
                    text, chat_id=relayed.chat_id, message_id=relayed.message_id
                )
            except TelegramError as exc:
                if not is_not_modified(exc):
                    log.info(
                        "could not edit a message of request id=%s: %s",
                        item.after.id,
                        type(exc).__name__,
                    )


async def move_requests(services: Services, bot: Bot, municipality: str) -> int:
    """The municipality has a new team: its open requests are posted there (a claim stays a
    claim, without the old team's member: any member of the new team may plan it). On the old
    team's messages the resident's details and the buttons go, as that group no longer handles
    them. Returns how many requests were handed over; the team poster posts them in the new
    group through the shared limiter."""
    team = await services.teams.team_of(municipality)
    moved = 0
    for request in await services.advice.open_for([municipality]):
        if request.team_chat_id == team and request.team_message_id is not None:
            continue
        if request.team_chat_id is not None and request.team_message_id is not None:
            _ = await chat_translator(services, request.team_chat_id, None)
            text = "\n".join(
                [
                    _(
                        "<b>Prevention advice {reference}</b> – {municipality}",
                        reference=request.reference,
                        municipality=services.config.municipality_name(request.municipality),
                    ),
                    _("Moved to the new prevention team of this municipality."),
                ]
            )
            try:
                await bot.edit_message_text(
                    text,
                    chat_id=request.team_chat_id,
                    message_id=request.team_message_id,
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError as exc:
                log.info("old team message of request id=%s: %s", request.id, type(exc).__name__)
        # Unposted until the new team has it: the team poster's durable queue.
        await services.advice.hand_over(request.id)
        moved += 1
    await services.team_poster.post_ready()
    return moved


# ----------------------------------------------------------------------------- daily jobs


async def remind_teams(services: Services, bot: Bot, now: datetime) -> int:
    """09:00: each team hears of its requests unclaimed for more than 2 working days."""
    today = now.astimezone(services.config.locale.tz).date()
    sent = 0
    for chat_id, municipalities in (await services.teams.teams()).items():
        late = [
            r
            for r in await services.advice.open_for(municipalities)
            if waiting_too_long(
                r.status, r.created_at.astimezone(services.config.locale.tz).date(), today
            )
        ]
        if not late:
            continue
        _ = await chat_translator(services, chat_id, None)
        lines = [_("⏰ Waiting for more than 2 working days without being claimed:")]
        lines += [
            _(
                "• {reference} ({municipality}), received {when}",
                reference=r.reference,
                municipality=services.config.municipality_name(r.municipality),
                when=_.fmt_datetime(r.created_at, "d MMMM"),
            )
            for r in late
        ]
        lines.append(_("Press Claim on the request's message. /requests lists all open ones."))
        try:
            await bot.send_message(chat_id, "\n".join(lines), parse_mode=ParseMode.HTML)
            sent += 1
        except TelegramError as exc:
            log.warning("team reminder to chat_id=%s failed: %s", chat_id, type(exc).__name__)
    log.info("advice reminders sent to %d team(s)", sent)
    return sent


async def notify_admins_without_team(services: Services, bot: Bot) -> dict[str, int]:
    """Once a day: the admins hear which municipalities have requests waiting without a team."""
    waiting: dict[str, int] = {}
    for request in await services.advice.unposted():
        if await services.teams.team_of(request.municipality) is None:
            waiting[request.municipality] = waiting.get(request.municipality, 0) + 1
    if not waiting:
        return waiting
    for admin in services.config.admins.user_ids:
        _ = await chat_translator(services, admin, None)
        lines = [_("<b>Advice requests are waiting without a prevention team</b>")]
        lines += [
            _("• {name}: {count}", name=services.config.municipality_name(slug), count=count)
            for slug, count in sorted(waiting.items())
        ]
        lines.append(
            _(
                "Create a link code with /teamcode and the municipality's name, and send it "
                "to the team."
            )
        )
        try:
            await bot.send_message(admin, "\n".join(lines), parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("admin notice to user_id=%s failed: %s", admin, type(exc).__name__)
    log.info("admins told about %d municipality(ies) without a team", len(waiting))
    return waiting


async def notify_admins_of_cap(
    services: Services, bot: Bot, municipality: str, refusal: Refusal, now: datetime
) -> bool:
    """A municipality reached its cap of requests: the admins hear it once per hour or day,
    each in their own language."""
    if not await services.advice.claim_cap_notice(municipality, refusal, now):
        return False
    caps = services.config.advice
    for admin in services.config.admins.user_ids:
        _ = await chat_translator(services, admin, None)
        name = services.config.municipality_name(municipality)
        if refusal == "municipality_hour":
            n = caps.per_municipality_per_hour
            text = _.ngettext(
                "{name} reached its limit of {n} advice request in an hour.",
                "{name} reached its limit of {n} advice requests in an hour.",
                n,
                name=name,
            )
        else:
            n = caps.per_municipality_per_day
            text = _.ngettext(
                "{name} reached its limit of {n} advice request in a day.",
                "{name} reached its limit of {n} advice requests in a day.",
                n,
                name=name,
            )
        text += "\n" + _(
            "New requests are refused for now; residents are asked to confirm again later. "
            "Is something going on (an alert, a campaign, misuse)? The limits are "
            "[advice] in the configuration."
        )
        await tell(bot, admin, text)
    log.info("admins told: %s reached its %s", municipality, refusal)
    return True


async def purge_expired(services: Services, bot: Bot, now: datetime) -> int:
    """Retention: personal fields of requests closed longer than retention_days ago."""
    cutoff = retention_cutoff(now, services.config.privacy.retention_days)
    purged = await services.advice.purge_closed_before(cutoff, now)
    await show_erased(services, bot, purged)
    log.info("retention purge: personal fields erased from %d advice request(s)", len(purged))
    return len(purged)


async def purge_audit(services: Services, now: datetime) -> int:
    """Retention of the audit log (user ids and actions): rows whose last activity is more
    than audit.retention_days ago go (run_daily then folds them out of the WAL)."""
    purged = await services.audit.purge_before(
        now - timedelta(days=services.config.audit.retention_days)
    )
    log.info("audit retention: %d row(s) deleted", purged)
    return purged


def drop_stale_drafts(
    app: BotApplication, now: datetime, key: str = DRAFT_KEY, *, per_chat: bool = False
) -> int:
    """Forget unfinished drafts under `key` in user_data (advice requests with names and
    phones, wijkschouw findings) or, `per_chat`, in chat_data (the subscription wizard) after a
    day without confirmation."""
    dropped = []
    for owner, data in (app.chat_data if per_chat else app.user_data).items():
        draft = data.get(key)
        started = draft.get("started") if isinstance(draft, dict) else None
        if draft is not None and (
            not isinstance(started, str) or datetime.fromisoformat(started) < now - DRAFT_MAX_AGE
        ):
            del data[key]
            dropped.append(owner)
    if dropped and per_chat:
        app.mark_data_for_update_persistence(chat_ids=dropped)
    elif dropped:
        app.mark_data_for_update_persistence(user_ids=dropped)
    log.info("dropped %d stale %s draft(s)", len(dropped), key)
    return len(dropped)


def forget_abandoned(app: BotApplication, now: datetime) -> int:
    """What people who wrote once and left keep in PTB's memory: drafts they never finished
    (an advice request, the subscription wizard of a /start from a poster) and the empty
    user_data and chat_data PTB keeps for everyone who ever wrote. bench/soak.py measured about
    1.2 KB per such resident, for good (drafts came back from the database after a restart).
    Returns how many users' and chats' data went."""
    drop_stale_drafts(app, now)
    for key in (WIZARD_KEY, FINISHED_KEY):
        drop_stale_drafts(app, now, key, per_chat=True)
    users = [user_id for user_id, data in app.user_data.items() if not data]
    chats = [chat_id for chat_id, data in app.chat_data.items() if not data]
    for user_id in users:
        app.drop_user_data(user_id)
    for chat_id in chats:
        app.drop_chat_data(chat_id)
    return len(users) + len(chats)


async def run_daily(app: BotApplication, now: datetime) -> None:
    """The 09:00 job's body: nudge the team poster, remind teams, tell admins, then the
    erasures of the day (retention of requests and audit rows, the limits' marks, stale
    drafts), folded out of the WAL at once."""
    services: Services = app.bot_data["services"]
    await services.team_poster.post_ready()
    await remind_teams(services, app.bot, now)
    await notify_admins_without_team(services, app.bot)
    await purge_expired(services, app.bot, now)
    await purge_audit(services, now)
    marks = await services.advice.purge_limit_marks(now)
    log.info("request limits: %d mark(s) past the window deleted", marks)
    forget_abandoned(app, now)
    await complete_erasure(app)


async def advice_daily(context: BotContext) -> None:
    await run_daily(context.application, context.services.now())


def schedule_advice_jobs(app: BotApplication) -> None:
    services: Services = app.bot_data["services"]
    if app.job_queue is None:
        raise RuntimeError("PTB's JobQueue is missing; install APScheduler (see pyproject.toml)")
    app.job_queue.run_daily(
        advice_daily,
        time=DAILY_AT.replace(tzinfo=services.config.locale.tz),
        name="advice-daily",
    )
