"""The one configuration loader: TOML file -> typed, validated, frozen dataclasses.

Validation is declarative in two layers, both collected into one list of problems so that
`check-config` reports everything at once instead of one problem per run:

- types: each section is a dataclass and `_convert` walks its type hints (unknown keys, wrong
  types, missing keys). A value of the wrong type is replaced by its default for the rest of
  the checks, so one typo does not hide the other problems.
- bounds: every field that is not a boolean, a fixed choice or a table carries its `Bound` in
  its metadata (`limits(...)`); `_bound_problems` walks every field of every dataclass.
  Checks across fields (duplicate slugs, the default locale, Telegram's ceilings) are the
  functions in `CROSS_CHECKS`.

Secrets are never in the file: `Config.token()` and `Config.webhook_secret()` read them from the
environment variables the file names.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import math
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from bot.advice.validation import parse_team_phone
from bot.i18n import MissingCatalogue, load_translations
from messages.model import TOPICS as CALENDAR_TOPICS
from scheduler.quiet import quiet_release

SCHOOL_REGIONS = ("noord", "midden", "zuid")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
PC4_RANGE_RE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Telegram's rule for a webhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MIN_SECRET_LENGTH = 32
# Telegram's limits (Bot FAQ): ~30 messages/s in bulk (1000/s with paid broadcasts),
# 1 message/s per chat, 20 messages/min per group.
BULK_PER_SECOND = 30
PAID_BULK_PER_SECOND = 1000
# Telegram ids fit in 52 bits; user ids are positive (negative ids are groups and channels).
MAX_TELEGRAM_ID = 2**52
# An inline keyboard holds at most 100 buttons; a list shown as buttons leaves room for others.
MAX_BUTTONS = 90
# A prevention team cannot take more; a higher cap would be no cap against a flood.
MAX_REQUESTS_PER_HOUR = 1000


class ConfigError(Exception):
    """Raised with every problem found; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Bound:
    """What a value may be: `ok(value)` says whether it is allowed, `rule` says it to people."""

    ok: Callable[[Any], bool]
    rule: str


def whole(low: int, high: int) -> Bound:
    return Bound(lambda v: low <= v <= high, f"must be a whole number from {low} to {high}")


def above(low: float, high: float) -> Bound:
    """More than `low`, at most `high` (NaN and infinity fail both comparisons)."""
    return Bound(
        lambda v: math.isfinite(v) and low < v <= high,
        f"must be more than {low:g} and at most {high:g}",
    )


def text(max_length: int) -> Bound:
    return Bound(
        lambda v: bool(v.strip()) and len(v) <= max_length,
        f"must be a non-empty text of at most {max_length} characters",
    )


def optional_text(max_length: int) -> Bound:
    """Empty (not filled in), or a text of at most `max_length` characters."""
    return Bound(
        lambda v: not v or (bool(v.strip()) and len(v) <= max_length),
        f"must be empty or a text of at most {max_length} characters",
    )


def pattern(regex: re.Pattern[str], rule: str) -> Bound:
    return Bound(lambda v: regex.match(v) is not None, rule)


def one_of(choices: tuple[str, ...]) -> Bound:
    return Bound(lambda v: v in choices, "must be one of " + ", ".join(choices))


def count(low: int, high: int) -> Bound:
    return Bound(lambda v: low <= len(v) <= high, f"must have from {low} to {high} items")


def _parses(parse: Callable[[str], object], value: str) -> bool:
    """Whether `parse` takes `value` without a ValueError."""
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _is_ip_address(value: str) -> bool:
    return _parses(ipaddress.ip_address, value)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scheme_and_host(url: str) -> tuple[str, str] | None:
    """(scheme, host) of a URL that has a host and, if any, a valid port; else None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or too big
    except ValueError:
        return None
    return (parts.scheme, parts.hostname) if parts.hostname else None


def _is_bot_api_url(value: str) -> bool:
    """Empty, https:// to any host, or http:// only to this machine (127.0.0.0/8, ::1,
    localhost): plain http elsewhere would send the token in clear."""
    url = _scheme_and_host(value)
    return not value or (
        url is not None and (url[0] == "https" or (url[0] == "http" and _is_loopback(url[1])))
    )


def _is_https_url(value: str) -> bool:
    url = _scheme_and_host(value)
    return not value or (url is not None and url[0] == "https")


def _is_database_path(value: str) -> bool:
    # ":memory:" and "file:" URIs would give each connection its own database, or none on disk.
    return bool(value.strip()) and not value.startswith((":", "file:")) and not Path(value).is_dir()


def _is_iso_date(value: str) -> bool:
    return _parses(date.fromisoformat, value)


def _is_pc4_range(value: str) -> bool:
    m = PC4_RANGE_RE.match(value)
    low = int(m.group(1)) if m else 0
    return m is not None and 1000 <= low <= int(m.group(2) or low) <= 9999


HHMM = pattern(HHMM_RE, "must be a time HH:MM (00:00-23:59)")
ENV_NAME = pattern(ENV_NAME_RE, "must be the name of an environment variable (letters, digits, _)")
TELEGRAM_USER_ID = whole(1, MAX_TELEGRAM_ID)


def limits(
    bound: Bound | None = None, *, each: Bound | None = None, keys: Bound | None = None
) -> dict[str, Bound | None]:
    """A field's bounds, as its metadata: `bound` for the value, `each` for every item of a list
    or value of a table, `keys` for the keys of a table."""
    return {"bound": bound, "each": each, "keys": keys}


@dataclass(frozen=True)
class WebhookConfig:
    # Loopback by default: a reverse proxy terminates TLS and forwards to it, so the bot never
    # listens on a public interface itself (README: Webhook behind a reverse proxy; SECURITY.md).
    listen: str = field(
        default="127.0.0.1",
        metadata=limits(Bound(_is_ip_address, "must be an IP address, e.g. 127.0.0.1")),
    )
    port: int = field(default=8443, metadata=limits(whole(1, 65535)))
    url: str = field(
        default="",
        metadata=limits(Bound(_is_https_url, "must be empty or a public https:// URL with a host")),
    )
    # The secret is a credential: like the token it comes from the environment, never the file.
    secret_token_env: str = field(default="TELEGRAM_WEBHOOK_SECRET", metadata=limits(ENV_NAME))


@dataclass(frozen=True)
class TelegramConfig:
    token_env: str = field(default="TELEGRAM_BOT_TOKEN", metadata=limits(ENV_NAME))
    base_url: str = field(
        default="",
        metadata=limits(
            Bound(
                _is_bot_api_url,
                "must be empty, an https:// URL, or http:// to this machine only "
                "(127.0.0.0/8, ::1, localhost)",
            )
        ),
    )
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass(frozen=True)
class StorageConfig:
    path: str = field(
        default="buurtwacht.sqlite3",
        metadata=limits(
            Bound(_is_database_path, "must be the path of a database file (not empty, no folder)")
        ),
    )

    @property
    def media_dir(self) -> Path:
        """Campaign and wijkschouw photos live beside the database, so a backup of that folder
        has both."""
        return Path(self.path).parent / "media"


@dataclass(frozen=True)
class LocaleConfig:
    default: str = field(default="nl", metadata=limits(text(35)))
    available: list[str] = field(
        default_factory=lambda: ["nl", "en"], metadata=limits(count(1, 20), each=text(35))
    )
    timezone: str = field(default="Europe/Amsterdam", metadata=limits(text(64)))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class AdminsConfig:
    user_ids: list[int] = field(
        default_factory=list, metadata=limits(count(0, 100), each=TELEGRAM_USER_ID)
    )


@dataclass(frozen=True)
class Municipality:
    name: str = field(metadata=limits(text(64)))
    slug: str = field(
        metadata=limits(pattern(SLUG_RE, "must be lowercase letters, digits and '-'"))
    )
    school_region: str = field(default="noord", metadata=limits(one_of(SCHOOL_REGIONS)))
    free_advice: bool = True
    neighbourhoods: list[str] = field(
        default_factory=list, metadata=limits(count(0, MAX_BUTTONS), each=text(64))
    )
    # Four-digit postcode areas, as "7511" or "7511-7514".
    postcodes: list[str] = field(
        default_factory=list,
        metadata=limits(
            count(0, 500),
            each=Bound(_is_pc4_range, "must be '1234' or '1234-1240' (1000-9999, low to high)"),
        ),
    )
    # Where residents can go instead when free_advice is false, per locale ("nl", "en");
    # empty = the catalogue's default text about the police quality mark.
    advice_alternative: dict[str, str] = field(
        default_factory=dict, metadata=limits(each=text(500))
    )
    # The prevention team's phone number, shown to residents with their request and as the
    # number to check an adviser at the door with; empty = not shown.
    team_phone: str = field(
        default="",
        metadata=limits(
            Bound(
                lambda v: not v or parse_team_phone(v) is not None,
                "must be empty or a Dutch phone number, e.g. 14 053 or 053 481 1111",
            )
        ),
    )

    def pc4_ranges(self) -> list[tuple[int, int]]:
        ranges = []
        for item in self.postcodes:
            m = PC4_RANGE_RE.match(item)
            if m:
                low = int(m.group(1))
                ranges.append((low, int(m.group(2) or low)))
        return ranges


@dataclass(frozen=True)
class CalendarConfig:
    # Occurrences are planned this many days ahead and re-planned daily.
    plan_days: int = field(default=14, metadata=limits(whole(1, 60)))
    # A missed occurrence younger than this is still delivered at start-up; older ones are skipped.
    catch_up_hours: int = field(default=6, metadata=limits(whole(0, 72)))
    # Per-year override of the academic year's first day ("2028" = "2028-09-04").
    academic_year_start: dict[str, str] = field(
        default_factory=dict,
        metadata=limits(
            keys=pattern(re.compile(r"^(20\d\d|2100)$"), "must be a year from 2000 to 2100"),
            each=Bound(_is_iso_date, "must be a date YYYY-MM-DD"),
        ),
    )


@dataclass(frozen=True)
class DeliveryConfig:
    # Telegram's bulk limit is about 30/s (Bot FAQ); stay below it by default. The ceiling
    # without paid_broadcast is a check across fields (_delivery_ceiling).
    global_per_second: float = field(default=25.0, metadata=limits(above(0, PAID_BULK_PER_SECOND)))
    per_chat_per_second: float = field(default=1.0, metadata=limits(above(0, 1)))
    per_group_per_minute: int = field(default=20, metadata=limits(whole(1, 20)))
    # With allow_paid_broadcast Telegram allows up to 1000/s (paid per message).
    paid_broadcast: bool = False
    max_attempts: int = field(default=5, metadata=limits(whole(1, 20)))
    quiet_hours_start: str = field(default="21:00", metadata=limits(HHMM))
    quiet_hours_end: str = field(default="08:00", metadata=limits(HHMM))

    @property
    def quiet_start(self) -> time:
        return _parse_hhmm(self.quiet_hours_start)

    @property
    def quiet_end(self) -> time:
        return _parse_hhmm(self.quiet_hours_end)


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: int = field(default=90, metadata=limits(whole(1, 3650)))
    # Who is responsible for the data (the "controller" of AVG art. 4(7)), how to reach them,
    # and their privacy officer (functionaris gegevensbescherming), named in /privacy. Empty
    # = /privacy says that the organisation running the bot has not filled it in.
    controller: str = field(default="", metadata=limits(optional_text(200)))
    contact: str = field(default="", metadata=limits(optional_text(200)))
    privacy_officer: str = field(default="", metadata=limits(optional_text(200)))


@dataclass(frozen=True)
class AuditConfig:
    # Audit rows (user ids, actions) are deleted this many days after their last activity.
    retention_days: int = field(default=365, metadata=limits(whole(30, 3650)))


@dataclass(frozen=True)
class AdviceConfig:
    # At most this many new requests per municipality in any hour / any 24 hours; beyond it
    # residents are asked to try again later and the admins are told (once per period).
    per_municipality_per_hour: int = field(
        default=30, metadata=limits(whole(1, MAX_REQUESTS_PER_HOUR))
    )
    # From per_municipality_per_hour to 24 times it (a cross check).
    per_municipality_per_day: int = field(
        default=100, metadata=limits(whole(1, 24 * MAX_REQUESTS_PER_HOUR))
    )


@dataclass(frozen=True)
class CampaignConfig:
    # Four eyes: another adviser or an admin of the same municipality approves a campaign first.
    require_approval: bool = False


@dataclass(frozen=True)
class AlertConfig:
    # Alerts in these hours (Europe/Amsterdam) need a second confirmation by the sender.
    night_start: str = field(default="23:00", metadata=limits(HHMM))
    night_end: str = field(default="07:00", metadata=limits(HHMM))
    # The next day at this time the same audience hears that free advice can be requested.
    follow_up_at: str = field(default="10:00", metadata=limits(HHMM))

    @property
    def night(self) -> tuple[time, time]:
        return _parse_hhmm(self.night_start), _parse_hhmm(self.night_end)

    @property
    def follow_up_time(self) -> time:
        return _parse_hhmm(self.follow_up_at)


@dataclass(frozen=True)
class MetricsConfig:
    # The Prometheus endpoint; loopback by default: put a scraper or a proxy in front of it.
    enabled: bool = False
    host: str = field(
        default="127.0.0.1",
        metadata=limits(Bound(_is_ip_address, "must be an IP address, e.g. 127.0.0.1")),
    )
    port: int = field(default=9464, metadata=limits(whole(1, 65535)))


def _is_dashboard_url(value: str) -> bool:
    """Empty, https:// to any host, or http:// only to this machine (the demo and tests):
    Telegram opens Mini Apps only over https, and a session cookie must not travel in clear."""
    return _is_bot_api_url(value) and not (urlsplit(value).query or urlsplit(value).fragment)


@dataclass(frozen=True)
class DashboardConfig:
    """The advisers' web dashboard (README: Dashboard), served by the bot process behind a
    reverse proxy that terminates TLS."""

    enabled: bool = False
    host: str = field(
        default="127.0.0.1",
        metadata=limits(Bound(_is_ip_address, "must be an IP address, e.g. 127.0.0.1")),
    )
    port: int = field(default=8081, metadata=limits(whole(1, 65535)))
    # What the reverse proxy serves, e.g. https://bot.example.nl/dashboard (a path is allowed:
    # the dashboard then lives under it).
    public_url: str = field(
        default="",
        metadata=limits(
            Bound(
                _is_dashboard_url,
                "must be empty or an https:// URL without query (http:// only to this machine)",
            )
        ),
    )

    @property
    def prefix(self) -> str:
        """The path the dashboard lives under ('' at the root of its host)."""
        return urlsplit(self.public_url).path.rstrip("/")

    @property
    def secure(self) -> bool:
        """Cookies are Secure when the public address is https."""
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class LoggingConfig:
    # "json": one JSON object per line for a log collector; the same texts, ids only.
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class HealthConfig:
    """When the admins hear that something needs a human (and `buurtwacht status` exits 1)."""

    # A due delivery still pending after this many minutes: sending is stalled.
    stalled_minutes: int = field(default=15, metadata=limits(whole(1, 1440)))
    # This many 429 answers from Telegram within 10 minutes.
    rate_limited_per_10_minutes: int = field(default=3, metadata=limits(whole(1, 1000)))
    # More failed deliveries than this in 24 hours, not counting chats that blocked the bot or
    # are gone (that is normal churn).
    failed_per_day: int = field(default=20, metadata=limits(whole(1, 100_000)))
    # A team with a request waiting this many days that claimed nothing in those days.
    team_silent_days: int = field(default=7, metadata=limits(whole(1, 90)))


@dataclass(frozen=True)
class SharingConfig:
    # The "Share in your WhatsApp group" button (a wa.me link); false: nowhere, not even for
    # WhatsApp group coordinators, who otherwise get it under every message.
    enabled: bool = True
    # Where every chat gets it: neighbourhood alerts, campaigns, and the calendar messages of
    # these topics (messages/model.py TOPICS).
    alerts: bool = True
    campaigns: bool = True
    topics: list[str] = field(
        default_factory=lambda: list(CALENDAR_TOPICS),
        metadata=limits(count(0, len(CALENDAR_TOPICS)), each=one_of(CALENDAR_TOPICS)),
    )


@dataclass(frozen=True)
class FeedbackConfig:
    # "Useful? 👍 / 👎" under calendar messages and campaigns.
    enabled: bool = True
    # A chat may change its vote this many days after the message; then the vote is closed and
    # its link to the chat (a keyed hash) is deleted.
    vote_days: int = field(default=30, metadata=limits(whole(1, 365)))
    # /calendar marks an entry as scoring low from this many votes in the municipality, when
    # the share of 👍 is below `low_below`.
    min_votes: int = field(default=10, metadata=limits(whole(1, 10_000)))
    low_below: float = field(
        default=0.5,
        metadata=limits(
            Bound(
                lambda v: 0 < v < 1,
                "must be more than 0 and less than 1 (a share of the votes)",
            )
        ),
    )


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    admins: AdminsConfig = field(default_factory=AdminsConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    advice: AdviceConfig = field(default_factory=AdviceConfig)
    campaigns: CampaignConfig = field(default_factory=CampaignConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    sharing: SharingConfig = field(default_factory=SharingConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    municipalities: list[Municipality] = field(
        default_factory=list, metadata=limits(count(1, MAX_BUTTONS))
    )

    def municipality(self, slug: str | None) -> Municipality | None:
        return next((m for m in self.municipalities if m.slug == slug), None)

    def municipality_name(self, slug: str) -> str:
        """Its name; the slug itself for one no longer configured (an old row)."""
        municipality = self.municipality(slug)
        return municipality.name if municipality else slug

    def find_municipality(self, wanted: str) -> str | None:
        """A slug from what someone typed: a slug or a name, in any case."""
        value = wanted.strip().lower()
        return next(
            (m.slug for m in self.municipalities if value in (m.slug, m.name.lower())), None
        )

    def quiet_release(self, moment: datetime) -> datetime | None:
        """When the private chats' quiet hours that contain `moment` end (what the engine
        holds them until); None when `moment` is outside them."""
        delivery = self.delivery
        return quiet_release(moment, delivery.quiet_start, delivery.quiet_end, self.locale.tz)

    def municipality_for_pc4(self, pc4: int) -> Municipality | None:
        for m in self.municipalities:
            if any(low <= pc4 <= high for low, high in m.pc4_ranges()):
                return m
        return None

    def academic_year_override(self, year: int) -> date | None:
        value = self.calendar.academic_year_start.get(str(year))
        return date.fromisoformat(value) if value else None

    def token(self) -> str:
        """The bot token from the environment; raises ConfigError when it is not set."""
        problem = self._token_problem()
        if problem:
            raise ConfigError([problem])
        return os.environ[self.telegram.token_env].strip()

    def webhook_secret(self) -> str:
        """The webhook's secret token from the environment; raises ConfigError when it is
        unset, shorter than MIN_SECRET_LENGTH or not what Telegram accepts."""
        problem = self._webhook_secret_problem()
        if problem:
            raise ConfigError([problem])
        return os.environ[self.telegram.webhook.secret_token_env]

    def secrets(self) -> list[str]:
        """The secret values set in the environment (token, webhook secret), for redaction."""
        names = (self.telegram.token_env, self.telegram.webhook.secret_token_env)
        return [value for name in names if (value := os.environ.get(name, "").strip())]

    def environment_problems(self, *, token: bool, webhook_secret: bool) -> list[str]:
        """What is missing in this process's environment for `run`."""
        problems = [self._token_problem() if token else ""]
        if webhook_secret and self.telegram.mode == "webhook":
            problems.append(self._webhook_secret_problem())
        return [p for p in problems if p]

    def _token_problem(self) -> str:
        name = self.telegram.token_env
        if not os.environ.get(name, "").strip():
            return f"telegram.token_env: environment variable {name} is not set"
        return ""

    def _webhook_secret_problem(self) -> str:
        name = self.telegram.webhook.secret_token_env
        value = os.environ.get(name, "")
        where = f"telegram.webhook.secret_token_env: environment variable {name}"
        need = (
            f"webhook mode needs a secret of at least {MIN_SECRET_LENGTH} characters "
            "(A-Z, a-z, 0-9, _ and -), e.g. from `openssl rand -hex 32`"
        )
        if not value:
            return f"{where} is not set in this environment; {need}"
        if len(value) < MIN_SECRET_LENGTH or not SECRET_RE.match(value):
            return f"{where} holds an unusable secret ({len(value)} characters); {need}"
        return ""


def _parse_hhmm(value: str) -> time:
    m = HHMM_RE.match(value)
    if not m:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return time(int(m.group(1)), int(m.group(2)))


# --- types -------------------------------------------------------------------------------------

_INVALID = object()  # a value of the wrong type; replaced by the field's default


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        return "table"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, str(tp))


def _placeholder(tp: Any) -> Any:
    """A value of type `tp` standing in for a missing or wrong one, so the other checks run."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, {}, "", [])
    if origin is Literal:
        return typing.get_args(tp)[0]
    if origin in (list, dict):
        return origin()
    return tp()


def _convert(tp: Any, value: Any, path: str, problems: list[str]) -> Any:
    """Check `value` against type hint `tp`: the converted value, or _INVALID after a problem."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a table, got {type(value).__name__}")
            return _INVALID
        return _build(tp, value, path, problems)
    if origin is Literal:
        if value not in typing.get_args(tp):
            problems.append(f"{path}: expected {_type_name(tp)}, got {value!r}")
            return _INVALID
        return value
    if origin is list:
        if not isinstance(value, list):
            problems.append(f"{path}: expected {_type_name(tp)}, got {type(value).__name__}")
            return _INVALID
        (item_tp,) = typing.get_args(tp)
        items = [_convert(item_tp, v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
        return [_placeholder(item_tp) if v is _INVALID else v for v in items]
    if origin is dict:
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a table, got {type(value).__name__}")
            return _INVALID
        _, val_tp = typing.get_args(tp)
        values = {str(k): _convert(val_tp, v, f"{path}.{k}", problems) for k, v in value.items()}
        return {k: _placeholder(val_tp) if v is _INVALID else v for k, v in values.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    ok = isinstance(value, tp) and not (tp is int and isinstance(value, bool))
    if not ok:
        problems.append(f"{path}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
        return _INVALID
    return value


def _build(cls: type[Any], raw: Mapping[str, Any], path: str, problems: list[str]) -> Any:
    """An instance of `cls` from `raw`; wrong or missing values become defaults (or
    placeholders), each with its problem reported."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            known = ", ".join(sorted(fields))
            problems.append(f"{_join(path, key)}: unknown key (known keys: {known})")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        value = (
            _convert(hints[name], raw[name], _join(path, name), problems) if name in raw else None
        )
        if name not in raw and required:
            problems.append(f"{_join(path, name)}: required key is missing")
        if name in raw and value is not _INVALID:
            kwargs[name] = value
        elif required:
            kwargs[name] = _placeholder(hints[name])
    return cls(**kwargs)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- bounds ------------------------------------------------------------------------------------


def _bound_problems(obj: Any, path: str, problems: list[str]) -> None:
    """Every field's bounds, in every dataclass reachable from `obj` (lists of them too)."""
    for f in dataclasses.fields(obj):
        value, where = getattr(obj, f.name), _join(path, f.name)
        bound, each, keys = (f.metadata.get(k) for k in ("bound", "each", "keys"))
        if bound is not None and not bound.ok(value):
            problems.append(f"{where}: {bound.rule}, got {_shown(value)}")
        if dataclasses.is_dataclass(value):
            _bound_problems(value, where, problems)
        items: list[tuple[str, Any]] = []
        if isinstance(value, list):
            items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(f"{where}.{k}", v) for k, v in value.items()]
            if keys is not None:
                problems += [
                    f"{where}.{k}: key {keys.rule}, got {k!r}" for k in value if not keys.ok(k)
                ]
        for item_path, item in items:
            if dataclasses.is_dataclass(item):
                _bound_problems(item, item_path, problems)
            elif each is not None and not each.ok(item):
                problems.append(f"{item_path}: {each.rule}, got {_shown(item)}")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} items"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# --- checks across fields ----------------------------------------------------------------------


def _locale_problems(cfg: Config) -> list[str]:
    problems: list[str] = []
    try:
        ZoneInfo(cfg.locale.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"locale.timezone: unknown time zone {cfg.locale.timezone!r}")
    for i, code in enumerate(cfg.locale.available):
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            problems.append(f"locale.available[{i}]: unknown locale {code!r}")
            continue
        try:
            load_translations(code)
        except MissingCatalogue as exc:
            problems.append(f"locale.available[{i}]: {exc}")
    if len(set(cfg.locale.available)) != len(cfg.locale.available):
        problems.append("locale.available: a locale is listed twice")
    if cfg.locale.default not in cfg.locale.available:
        problems.append(f"locale.default: {cfg.locale.default!r} is not in locale.available")
    return problems


def _telegram_problems(cfg: Config) -> list[str]:
    if cfg.telegram.mode == "webhook" and not cfg.telegram.webhook.url:
        return ["telegram.webhook.url: webhook mode needs a public https:// URL"]
    return []


def _delivery_ceiling(cfg: Config) -> list[str]:
    d = cfg.delivery
    if not d.paid_broadcast and d.global_per_second > BULK_PER_SECOND:
        return [
            f"delivery.global_per_second: {d.global_per_second:g} is above Telegram's limit of "
            f"{BULK_PER_SECOND}/s without paid_broadcast (with it: {PAID_BULK_PER_SECOND}/s)"
        ]
    return []


def _calendar_problems(cfg: Config) -> list[str]:
    return [
        f"calendar.academic_year_start.{year}: {value} is not in {year}"
        for year, value in cfg.calendar.academic_year_start.items()
        if _is_iso_date(value) and str(date.fromisoformat(value).year) != year
    ]


def _advice_problems(cfg: Config) -> list[str]:
    per_hour, per_day = cfg.advice.per_municipality_per_hour, cfg.advice.per_municipality_per_day
    if not per_hour <= per_day <= 24 * per_hour:
        return [
            "advice.per_municipality_per_day: must be at least per_municipality_per_hour and "
            "at most 24 times it"
        ]
    return []


def _metrics_problems(cfg: Config) -> list[str]:
    m, webhook = cfg.metrics, cfg.telegram.webhook
    if m.enabled and cfg.telegram.mode == "webhook" and m.port == webhook.port:
        return [f"metrics.port: {m.port} is also telegram.webhook.port"]
    return []


def _dashboard_problems(cfg: Config) -> list[str]:
    d = cfg.dashboard
    if not d.enabled:
        return []
    problems = []
    if not d.public_url:
        problems.append(
            "dashboard.public_url: the dashboard needs the https:// address the reverse proxy "
            "serves (Telegram opens Mini Apps only over https)"
        )
    taken: dict[int, str] = {}
    if cfg.telegram.mode == "webhook":
        taken[cfg.telegram.webhook.port] = "telegram.webhook.port"
    if cfg.metrics.enabled:
        taken[cfg.metrics.port] = "metrics.port"
    if d.port in taken:
        problems.append(f"dashboard.port: {d.port} is also {taken[d.port]}")
    missing = dashboard_extra_missing()
    if missing:
        problems.append(
            f"dashboard.enabled: the dashboard needs {', '.join(missing)}, which is not "
            "installed: pip install 'buurtwacht[dashboard]'"
        )
    return problems


def dashboard_extra_missing() -> list[str]:
    """The packages of the `dashboard` extra that cannot be imported here."""
    return [name for name in ("aiohttp", "jinja2") if importlib.util.find_spec(name) is None]


def _admin_problems(cfg: Config) -> list[str]:
    ids = cfg.admins.user_ids
    return ["admins.user_ids: a user id is listed twice"] if len(set(ids)) != len(ids) else []


def _municipality_problems(cfg: Config) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    names: dict[str, int] = {}
    owner: dict[int, str] = {}
    for i, m in enumerate(cfg.municipalities):
        path = f"municipalities[{i}]"
        if m.slug in seen:
            problems.append(
                f"{path}.slug: duplicate slug {m.slug!r} (also municipalities[{seen[m.slug]}])"
            )
        seen.setdefault(m.slug, i)
        if m.name.strip().lower() in names:
            problems.append(
                f"{path}.name: duplicate name {m.name!r} "
                f"(also municipalities[{names[m.name.strip().lower()]}])"
            )
        names.setdefault(m.name.strip().lower(), i)
        if len(set(m.neighbourhoods)) != len(m.neighbourhoods):
            problems.append(f"{path}.neighbourhoods: duplicate neighbourhood")
        for locale in m.advice_alternative:
            if locale not in cfg.locale.available:
                problems.append(
                    f"{path}.advice_alternative.{locale}: {locale!r} is not in locale.available"
                )
        for low, high in m.pc4_ranges():
            for pc4 in range(low, high + 1):
                if pc4 in owner and owner[pc4] != m.slug:
                    problems.append(f"{path}.postcodes: {pc4} is also assigned to {owner[pc4]!r}")
                owner.setdefault(pc4, m.slug)
    return problems


CROSS_CHECKS: tuple[Callable[[Config], list[str]], ...] = (
    _locale_problems,
    _telegram_problems,
    _delivery_ceiling,
    _calendar_problems,
    _advice_problems,
    _metrics_problems,
    _dashboard_problems,
    _admin_problems,
    _municipality_problems,
)


def _covered(problem: str, reported: set[str]) -> bool:
    """Whether a bound or cross-field problem is about a value whose type was already wrong
    (it was checked as its default, so its problem would be noise)."""
    where = problem.split(": ", 1)[0]
    return any(where == p or where.startswith((f"{p}.", f"{p}[")) for p in reported)


def config_problems(raw: Mapping[str, Any]) -> tuple[Config, list[str]]:
    """The configuration of a parsed TOML document and every problem in it (types, bounds and
    checks across fields, together)."""
    problems: list[str] = []
    cfg = _build(Config, raw, "", problems)
    reported = {p.split(": ", 1)[0] for p in problems}
    checked: list[str] = []
    _bound_problems(cfg, "", checked)
    for check in CROSS_CHECKS:
        checked += check(cfg)
    problems += [p for p in checked if not _covered(p, reported)]
    return cfg, problems


def parse_config(raw: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document; raises ConfigError listing every problem."""
    cfg, problems = config_problems(raw)
    if problems:
        raise ConfigError(problems)
    return cfg


def example_config_text() -> str:
    """The commented example configuration: package data in an installed bot (setup.py copies
    it into the wheel), the checkout's own `config.example.toml` when running from source."""
    packaged = Path(__file__).with_name("config.example.toml")
    source = packaged if packaged.exists() else Path(__file__).parents[1] / "config.example.toml"
    return source.read_text(encoding="utf-8")


def load_example_config() -> Config:
    return parse_config(tomllib.loads(example_config_text()))


def load_config(
    path: str | Path, *, need_token: bool = False, need_webhook_secret: bool = False
) -> Config:
    """Load and validate a config file; raises ConfigError listing every problem.

    `need_token` / `need_webhook_secret` (webhook mode only) also check the variables they
    name in this process's environment, as `run` needs them.
    """
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{p}: file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{p}: cannot be read: {exc.strerror}"]) from None
    cfg, problems = config_problems(raw)
    problems += cfg.environment_problems(token=need_token, webhook_secret=need_webhook_secret)
    if problems:
        raise ConfigError(problems)
    return cfg
