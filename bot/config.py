"""The one configuration loader: TOML file -> typed, validated, frozen dataclasses.

Validation is declarative: each section is a dataclass, and `_convert` walks the type hints, so
a new section (or key) is one dataclass field and every file gets the same checks: unknown keys,
wrong types, missing keys. Semantic checks (duplicate slugs, time zones, ...) live in
`_semantic_problems`.
All problems are collected, so `check-config` can report them at once instead of one per run.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

SCHOOL_REGIONS = ("noord", "midden", "zuid")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
PC4_RANGE_RE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """Raised with every problem found; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class WebhookConfig:
    listen: str = "0.0.0.0"  # noqa: S104 - a webhook must listen beyond loopback
    port: int = 8443
    url: str = ""
    # The secret is a credential: like the token it comes from the environment, never the file.
    secret_token_env: str = "TELEGRAM_WEBHOOK_SECRET"  # noqa: S105 - a variable name


@dataclass(frozen=True)
class TelegramConfig:
    token_env: str = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - a variable name, not a token
    base_url: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass(frozen=True)
class StorageConfig:
    path: str = "buurtwacht.sqlite3"

    @property
    def media_dir(self) -> Path:
        """Campaign photos live beside the database, so a backup of that folder has both."""
        return Path(self.path).parent / "media"


@dataclass(frozen=True)
class LocaleConfig:
    default: str = "nl"
    available: list[str] = field(default_factory=lambda: ["nl", "en"])
    timezone: str = "Europe/Amsterdam"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class AdminsConfig:
    user_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Municipality:
    name: str
    slug: str
    school_region: str = "noord"
    free_advice: bool = True
    neighbourhoods: list[str] = field(default_factory=list)
    # Four-digit postcode areas, as "7511" or "7511-7514".
    postcodes: list[str] = field(default_factory=list)
    # Where residents can go instead when free_advice is false, per locale ("nl", "en");
    # empty = the catalogue's default text about the police quality mark.
    advice_alternative: dict[str, str] = field(default_factory=dict)

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
    plan_days: int = 14
    # A missed occurrence younger than this is still delivered at start-up; older ones are skipped.
    catch_up_hours: int = 6
    # Per-year override of the academic year's first day ("2027" = "2027-08-30").
    academic_year_start: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryConfig:
    # Telegram's bulk limit is about 30/s (Bot FAQ); stay below it by default.
    global_per_second: float = 25.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: int = 20
    # With allow_paid_broadcast Telegram allows up to 1000/s (paid per message).
    paid_broadcast: bool = False
    max_attempts: int = 5
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "08:00"

    @property
    def quiet_start(self) -> time:
        return _parse_hhmm(self.quiet_hours_start)

    @property
    def quiet_end(self) -> time:
        return _parse_hhmm(self.quiet_hours_end)


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: int = 90


@dataclass(frozen=True)
class CampaignConfig:
    # Four eyes: another adviser or an admin of the same municipality approves a campaign first.
    require_approval: bool = False


@dataclass(frozen=True)
class AlertConfig:
    # Alerts in these hours (Europe/Amsterdam) need a second confirmation by the sender.
    night_start: str = "23:00"
    night_end: str = "07:00"
    # The next day at this time the same audience hears that free advice can be requested.
    follow_up_at: str = "10:00"

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
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True)
class LoggingConfig:
    # "json": one JSON object per line for a log collector; the same texts, ids only.
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class HealthConfig:
    """When the admins hear that something needs a human (and `buurtwacht status` exits 1)."""

    # A due delivery still pending after this many minutes: sending is stalled.
    stalled_minutes: int = 15
    # This many 429 answers from Telegram within 10 minutes.
    rate_limited_per_10_minutes: int = 3
    # More failed deliveries than this in 24 hours, not counting chats that blocked the bot or
    # are gone (that is normal churn).
    failed_per_day: int = 20
    # A team with a request waiting this many days that claimed nothing in those days.
    team_silent_days: int = 7


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    admins: AdminsConfig = field(default_factory=AdminsConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    campaigns: CampaignConfig = field(default_factory=CampaignConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    municipalities: list[Municipality] = field(default_factory=list)

    def municipality(self, slug: str | None) -> Municipality | None:
        return next((m for m in self.municipalities if m.slug == slug), None)

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
        value = os.environ.get(self.telegram.token_env, "").strip()
        if not value:
            raise ConfigError(
                [f"telegram.token_env: environment variable {self.telegram.token_env} is not set"]
            )
        return value


def _parse_hhmm(value: str) -> time:
    m = HHMM_RE.match(value)
    if not m:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return time(int(m.group(1)), int(m.group(2)))


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


def _convert(tp: Any, value: Any, path: str, problems: list[str]) -> Any:
    """Check `value` against type hint `tp`, returning the converted value (or None on error)."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a table, got {type(value).__name__}")
            return None
        return _build(tp, value, path, problems)
    if origin is Literal:
        if value not in typing.get_args(tp):
            problems.append(f"{path}: expected {_type_name(tp)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            problems.append(f"{path}: expected {_type_name(tp)}, got {type(value).__name__}")
            return None
        (item_tp,) = typing.get_args(tp)
        return [_convert(item_tp, v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a table, got {type(value).__name__}")
            return None
        _, val_tp = typing.get_args(tp)
        return {str(k): _convert(val_tp, v, f"{path}.{k}", problems) for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    ok = isinstance(value, tp) and not (tp is int and isinstance(value, bool))
    if not ok:
        problems.append(f"{path}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
        return None
    return value


def _build(cls: type[Any], raw: Mapping[str, Any], path: str, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            known = ", ".join(sorted(fields))
            problems.append(f"{_join(path, key)}: unknown key (known keys: {known})")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in raw:
            kwargs[name] = _convert(hints[name], raw[name], _join(path, name), problems)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            problems.append(f"{_join(path, name)}: required key is missing")
    if any(v is None for v in kwargs.values()):
        return None
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a missing required key, already reported
        problems.append(f"{path or 'config'}: {exc}")
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _semantic_problems(cfg: Config) -> list[str]:
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
    if cfg.locale.default not in cfg.locale.available:
        problems.append(f"locale.default: {cfg.locale.default!r} is not in locale.available")
    if cfg.telegram.mode == "webhook" and not cfg.telegram.webhook.url.startswith("https://"):
        problems.append("telegram.webhook.url: webhook mode needs a public https:// URL")
    if cfg.telegram.base_url and not re.match(r"^https?://", cfg.telegram.base_url):
        problems.append("telegram.base_url: must start with http:// or https://")
    for key in ("quiet_hours_start", "quiet_hours_end"):
        if not HHMM_RE.match(getattr(cfg.delivery, key)):
            problems.append(f"delivery.{key}: expected HH:MM, got {getattr(cfg.delivery, key)!r}")
    if cfg.delivery.global_per_second <= 0:
        problems.append("delivery.global_per_second: must be positive")
    ceiling = 1000 if cfg.delivery.paid_broadcast else 30
    if cfg.delivery.global_per_second > ceiling:
        problems.append(
            f"delivery.global_per_second: {cfg.delivery.global_per_second} is above Telegram's "
            f"limit of {ceiling}/s"
            + ("" if cfg.delivery.paid_broadcast else " without paid_broadcast")
        )
    for key in ("plan_days", "catch_up_hours"):
        if getattr(cfg.calendar, key) < 0:
            problems.append(f"calendar.{key}: must not be negative")
    for year, value in cfg.calendar.academic_year_start.items():
        try:
            day = date.fromisoformat(value)
            if str(day.year) != year:
                problems.append(f"calendar.academic_year_start.{year}: {value} is not in {year}")
        except ValueError:
            problems.append(
                f"calendar.academic_year_start.{year}: expected YYYY-MM-DD, got {value!r}"
            )
    for key in ("night_start", "night_end", "follow_up_at"):
        if not HHMM_RE.match(getattr(cfg.alerts, key)):
            problems.append(f"alerts.{key}: expected HH:MM, got {getattr(cfg.alerts, key)!r}")
    if cfg.privacy.retention_days < 1:
        problems.append("privacy.retention_days: must be at least 1")
    problems.extend(_operations_problems(cfg))
    if not cfg.municipalities:
        problems.append("municipalities: at least one municipality is required")
    seen: dict[str, int] = {}
    owner: dict[int, str] = {}
    for i, m in enumerate(cfg.municipalities):
        path = f"municipalities[{i}]"
        if not SLUG_RE.match(m.slug):
            problems.append(f"{path}.slug: {m.slug!r} must be lowercase letters, digits and '-'")
        if m.slug in seen:
            problems.append(
                f"{path}.slug: duplicate slug {m.slug!r} (also municipalities[{seen[m.slug]}])"
            )
        seen.setdefault(m.slug, i)
        if m.school_region not in SCHOOL_REGIONS:
            problems.append(
                f"{path}.school_region: {m.school_region!r} is not one of "
                + ", ".join(SCHOOL_REGIONS)
            )
        if len(set(m.neighbourhoods)) != len(m.neighbourhoods):
            problems.append(f"{path}.neighbourhoods: duplicate neighbourhood")
        for j, item in enumerate(m.postcodes):
            match = PC4_RANGE_RE.match(item)
            if not match or int(match.group(2) or match.group(1)) < int(match.group(1)):
                problems.append(
                    f"{path}.postcodes[{j}]: expected '1234' or '1234-1240', got {item!r}"
                )
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


HEALTH_BOUNDS = {
    "stalled_minutes": (1, 1440),
    "rate_limited_per_10_minutes": (1, 1000),
    "failed_per_day": (1, 100_000),
    "team_silent_days": (1, 90),
}


def _operations_problems(cfg: Config) -> list[str]:
    """Bounds of [metrics] and [health]."""
    problems = []
    m = cfg.metrics
    if not 1 <= m.port <= 65535:
        problems.append(f"metrics.port: {m.port} is not a TCP port (1-65535)")
    if not re.match(r"^[A-Za-z0-9.:\-\[\]]{1,253}$", m.host):
        problems.append(f"metrics.host: {m.host!r} is not a host name or IP address")
    webhook = cfg.telegram.webhook
    if m.enabled and cfg.telegram.mode == "webhook" and m.port == webhook.port:
        problems.append(f"metrics.port: {m.port} is also telegram.webhook.port")
    for key, (low, high) in HEALTH_BOUNDS.items():
        value = getattr(cfg.health, key)
        if not low <= value <= high:
            problems.append(f"health.{key}: {value} is outside {low}-{high}")
    return problems


def parse_config(raw: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document; raises ConfigError listing every problem."""
    problems: list[str] = []
    cfg = _build(Config, raw, "", problems)
    if cfg is not None and not problems:
        problems.extend(_semantic_problems(cfg))
    if problems:
        raise ConfigError(problems)
    assert isinstance(cfg, Config)
    return cfg


def example_config_text() -> str:
    """The commented example configuration: package data in an installed bot (setup.py copies
    it into the wheel), the checkout's own `config.example.toml` when running from source."""
    packaged = Path(__file__).with_name("config.example.toml")
    source = packaged if packaged.exists() else Path(__file__).parents[1] / "config.example.toml"
    return source.read_text(encoding="utf-8")


def load_example_config() -> Config:
    return parse_config(tomllib.loads(example_config_text()))


def load_config(path: str | Path, *, need_token: bool = False) -> Config:
    """Load and validate a config file. With `need_token`, the token variable must be set too."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{p}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: not valid TOML: {exc}"]) from None
    cfg = parse_config(raw)
    if need_token:
        cfg.token()
    return cfg
