"""The sandbox's in-memory world: users, chats, the bot's messages, limits and counters.

Kept apart from the HTTP layer so tests can read it directly and the server stays small.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

BOT_ID = 7000000001
BOT_USERNAME = "buurtwacht_sandbox_bot"
BOT_FIRST_NAME = "Buurtwacht"
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": BOT_FIRST_NAME,
    "username": BOT_USERNAME,
}

ChatType = Literal["private", "group", "supergroup"]
BotStatus = Literal["member", "administrator", "left", "kicked"]
MessageEvent = Literal["sent", "edited", "deleted", "answered"]
Button = tuple[str, str | None]

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


class ApiError(Exception):
    """A Bot API error answer: HTTP code, Telegram's description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


@dataclass
class Limits:
    """Telegram's flood limits; switch off or change at runtime via ``emu.limits``."""

    enabled: bool = True
    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: int = 20
    # Paid broadcasts (allow_paid_broadcast) have a track of their own.
    paid_per_second: float = 1000.0


@dataclass
class Stats:
    """Counters the benchmark and tests read."""

    requests: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    messages_sent: int = 0
    uploads: int = 0  # files received as bytes (a file_id sent back is no upload)
    errors: Counter[int] = field(default_factory=Counter)


@dataclass
class SandboxUser:
    id: int
    first_name: str
    language_code: str | None = "nl"
    username: str | None = None
    started: bool = False
    blocked: bool = False
    deactivated: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class SandboxChat:
    id: int
    type: ChatType
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    creator: int | None = None
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    bot_status: BotStatus = "member"
    migrated_to: int | None = None
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    @property
    def name(self) -> str:
        return self.title or self.first_name or str(self.id)

    def to_api(self) -> dict[str, Any]:
        if self.type == "private":
            data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
            if self.username:
                data["username"] = self.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title}

    def status_of(self, user_id: int) -> str:
        if user_id == BOT_ID:
            return self.bot_status
        if user_id == self.creator and user_id in self.admins:
            return "creator"
        if user_id in self.admins:
            return "administrator"
        return "member" if user_id in self.members else "left"


def member_api(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object as PTB's de_json needs it for the given status."""
    data: dict[str, Any] = {"user": user, "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False})
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        data["until_date"] = 0
    return data


@dataclass
class SentFile:
    """A file the bot uploaded (bytes kept) or referenced by file_id/URL (``data`` may be empty)."""

    filename: str | None
    data: bytes
    mime_type: str | None
    file_id: str
    file_unique_id: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SentMessage:
    """One message the bot sent, with its current state after edits and deletes.

    ``text``/``caption`` are plain (as Telegram returns them); ``html`` is the text or caption
    exactly as the bot sent it, markup included. ``params`` keeps the request's other fields
    (``disable_notification``, ``link_preview_options``, ...) as received, for assertions.
    ``reply_markup`` keeps any keyboard, also reply keyboards that Telegram does not echo.
    """

    chat_id: int
    message_id: int
    date: int
    text: str | None = None
    html: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] | None = None
    reply_markup: dict[str, Any] | None = None
    photo: SentFile | None = None
    document: SentFile | None = None
    reply_to_message_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    media_group_id: str | None = None  # the album a photo or document was sent in
    deleted: bool = False
    edits: int = 0
    edit_date: int | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    last_event: MessageEvent = "sent"

    @property
    def body(self) -> str:
        """Text or caption as plain text, "" when neither."""
        return self.text if self.text is not None else (self.caption or "")

    def buttons(self) -> list[list[Button]]:
        return inline_buttons(self.reply_markup)

    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons() for button in row]

    def to_api(self, chat: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": BOT_USER,
        }
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.photo is not None:
            photo = self.photo
            data["photo"] = [photo_size(photo.file_id, photo.file_unique_id, photo.size)]
        if self.document is not None:
            doc = self.document
            data["document"] = {"file_id": doc.file_id, "file_unique_id": doc.file_unique_id}
            if doc.filename:
                data["document"]["file_name"] = doc.filename
            if doc.mime_type:
                data["document"]["mime_type"] = doc.mime_type
            data["document"]["file_size"] = doc.size
        if self.caption is not None:
            data["caption"] = self.caption
            if self.entities:
                data["caption_entities"] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        return data

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe snapshot for the HTTP control routes (file bytes as base64)."""
        data: dict[str, Any] = {
            key: getattr(self, key)
            for key in (
                "chat_id",
                "message_id",
                "date",
                "text",
                "html",
                "caption",
                "parse_mode",
                "entities",
                "reply_markup",
                "reply_to_message_id",
                "params",
                "media_group_id",
                "deleted",
                "edits",
                "edit_date",
                "answers",
                "last_event",
            )
        }
        for key in ("photo", "document"):
            file: SentFile | None = getattr(self, key)
            data[key] = (
                None
                if file is None
                else {
                    "filename": file.filename,
                    "mime_type": file.mime_type,
                    "file_id": file.file_id,
                    "size": file.size,
                    "data_b64": base64.b64encode(file.data).decode(),
                }
            )
        data["buttons"] = self.buttons()
        return data


def photo_size(file_id: str, unique_id: str, size: int) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "width": 800,
        "height": 600,
        "file_size": size,
    }


def inline_buttons(markup: Mapping[str, Any] | None) -> list[list[Button]]:
    """Rows of (text, callback_data or url) of an inline keyboard; [] for anything else."""
    if not markup or "inline_keyboard" not in markup:
        return []
    rows: list[list[Button]] = []
    for row in markup["inline_keyboard"]:
        rows.append([(str(b.get("text", "")), b.get("callback_data", b.get("url"))) for b in row])
    return rows


@dataclass
class CallbackRecord:
    chat_id: int
    message_id: int
    user_id: int
    data: str
    answer: dict[str, Any] | None = None


class RateLimiter:
    """Sliding windows over the send times; only accepted sends are recorded, as Telegram does."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()
        self._chat: dict[int, deque[float]] = {}
        self._group: dict[int, deque[float]] = {}

    @staticmethod
    def _shape(per_second: float) -> tuple[float, int]:
        if per_second >= 1:
            return 1.0, int(per_second)
        return 1.0 / max(per_second, 1e-9), 1

    @staticmethod
    def _wait(times: deque[float], now: float, window: float, capacity: int) -> float:
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) < capacity:
            return 0.0
        return times[len(times) - capacity] + window - now

    def retry_after(
        self, limits: Limits, chat_id: int, is_group: bool, paid: bool = False
    ) -> int | None:
        """Seconds to wait (an int >= 1, as Telegram sends) or None when the send may go."""
        if not limits.enabled:
            return None
        now = self.clock()
        window, cap = self._shape(limits.per_chat_per_second)
        wait = self._wait(self._chat.setdefault(chat_id, deque()), now, window, cap)
        if is_group:
            times = self._group.setdefault(chat_id, deque())
            wait = max(wait, self._wait(times, now, 60.0, max(1, limits.per_group_per_minute)))
        window, cap = self._shape(limits.paid_per_second if paid else limits.global_per_second)
        wait = max(wait, self._wait(self._paid if paid else self._global, now, window, cap))
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))

    def record(self, chat_id: int, is_group: bool, paid: bool = False) -> None:
        now = self.clock()
        (self._paid if paid else self._global).append(now)
        self._chat.setdefault(chat_id, deque()).append(now)
        if is_group:
            self._group.setdefault(chat_id, deque()).append(now)


class Params:
    """Typed access to request parameters, whether they came as a form (PTB) or as JSON.

    PTB sends strings as-is and every other value JSON-encoded, so the type each method expects
    decides how a value is read, exactly as the Bot API does.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bytes):
            return value.decode()
        return json.dumps(value)

    def get_int(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def required_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def get_float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value
