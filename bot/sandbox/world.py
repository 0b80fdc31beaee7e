"""The control side of the sandbox: people who use the bot, their groups, and what the bot sent.

Tests and the terminal demo act through these methods (a user writes, presses a button, blocks
the bot) and read the bot's messages back. Everything a user does becomes an update that the bot
fetches with getUpdates, just as from Telegram.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.sandbox.state import (
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    CallbackRecord,
    Limits,
    MessageEvent,
    RateLimiter,
    SandboxChat,
    SandboxUser,
    SentFile,
    SentMessage,
    Stats,
    inline_buttons,
    member_api,
    photo_size,
)

# The account Telegram shows as the sender of an anonymous group administrator's messages.
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_SUPERGROUP_BASE = 1_000_000_000_000


class _Signal:
    """An asyncio condition that plain (non-async) code can notify.

    Control methods such as ``send_text`` are synchronous, so they cannot take an
    ``asyncio.Condition`` lock; waiters here re-check their predicate after every change instead.
    """

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        event = self._event
        if event is not None:
            self._event = None
            event.set()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._event is None:
                self._event = asyncio.Event()
            try:
                async with asyncio.timeout(remaining):
                    await self._event.wait()
            except TimeoutError:
                return predicate()
        return True


class SandboxWorld:
    """Users, chats, pending updates and the bot's messages; no networking here."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self.stats = Stats()
        self.clock = clock
        #: Refuse a bare "&" in HTML (the documented rule; the real server tolerates it).
        self.strict_ampersand = True
        #: Telegram's default privacy mode: in groups the bot only sees commands, replies to its
        #: own messages and mentions, unless it is an administrator.
        self.privacy_mode = True
        #: Called for every new, edited or deleted bot message and every callback answer; the
        #: message's ``last_event`` says which.
        self.on_bot_message: Callable[[SentMessage], None] | None = None
        self._limiter = RateLimiter(clock)
        self._users: dict[int, SandboxUser] = {}
        self._chats: dict[int, SandboxChat] = {}
        self._sent: dict[int, list[SentMessage]] = {}
        self._by_key: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._updates: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._next_update_id = 1
        # Set by a bot under test that reports each update it has finished handling
        # (`mark_handled`): then `wait_idle` knows the bot is done instead of guessing by time.
        self.tracks_handling = False
        self._handled_update_id = 0
        self._next_user_id = 100001
        self._next_group_id = 100001
        self._next_supergroup_id = 1_000_000_001
        self._callbacks: dict[str, CallbackRecord] = {}
        self._next_callback_id = 1
        self._next_file_id = 1
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._descriptions: dict[str, str] = {}
        self._short_descriptions: dict[str, str] = {}
        self._files: dict[str, SentFile] = {}
        self._signal = _Signal()  # any change: tests' wait_for
        self._updates_signal = _Signal()  # a new update or poll: getUpdates long polling
        self._in_flight = 0
        self._last_activity = 0.0
        self._calls: deque[str] = deque(maxlen=12)

    # ----------------------------------------------------------------- people and chats

    def add_user(
        self, first_name: str, *, language_code: str | None = "nl", username: str | None = None
    ) -> SandboxUser:
        """A Telegram account; it has no chat with the bot until it writes to it."""
        user = SandboxUser(self._next_user_id, first_name, language_code, username)
        self._next_user_id += 1
        self._users[user.id] = user
        return user

    def open_private_chat(self, user_id: int) -> SandboxChat:
        """The user has started the bot before (no update is sent): for bulk set-ups."""
        return self._chat_for_user(self.user(user_id), user_id)

    def user(self, user_id: int) -> SandboxUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"no sandbox user {user_id}; create one with add_user()") from None

    def chat(self, chat_id: int) -> SandboxChat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise KeyError(
                f"no sandbox chat {chat_id} (a private chat exists once the user wrote)"
            ) from None

    def find_chat(self, chat_id: int) -> SandboxChat | None:
        return self._chats.get(chat_id)

    @property
    def users(self) -> list[SandboxUser]:
        return list(self._users.values())

    @property
    def chats(self) -> list[SandboxChat]:
        return list(self._chats.values())

    def add_group(
        self,
        title: str,
        *,
        admins: list[int],
        members: list[int] | None = None,
        supergroup: bool = False,
        bot_member: bool = True,
    ) -> SandboxChat:
        """A group whose first admin is its creator; adding the bot sends it my_chat_member."""
        for uid in [*admins, *(members or [])]:
            self.user(uid)
        if supergroup:
            chat_id = -(_SUPERGROUP_BASE + self._next_supergroup_id)
            self._next_supergroup_id += 1
        else:
            chat_id = -self._next_group_id
            self._next_group_id += 1
        chat = SandboxChat(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            creator=admins[0] if admins else None,
            admins=set(admins),
            members={*admins, *(members or [])},
            bot_status="left",
        )
        self._chats[chat_id] = chat
        if bot_member:
            if not admins:
                raise ValueError("a group needs an admin to add the bot")
            self.add_bot_to_group(chat_id, admins[0])
        return chat

    def add_member(self, chat_id: int, user_id: int) -> None:
        self.user(user_id)
        self.chat(chat_id).members.add(user_id)

    def set_admin(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        """Promote or demote a user; ``user_id=BOT_ID`` changes the bot's own status."""
        chat = self.chat(chat_id)
        if user_id == BOT_ID:
            old = chat.bot_status
            chat.bot_status = "administrator" if is_admin else "member"
            if old != chat.bot_status:
                by = chat.creator or next(iter(chat.admins), BOT_ID)
                self._my_chat_member(chat, by, old, chat.bot_status)
            return
        self.user(user_id)
        chat.members.add(user_id)
        if is_admin:
            chat.admins.add(user_id)
        else:
            chat.admins.discard(user_id)

    def add_bot_to_group(self, chat_id: int, by_user_id: int) -> None:
        chat = self.chat(chat_id)
        old = chat.bot_status
        chat.bot_status = "member"
        self._my_chat_member(chat, by_user_id, old, "member")

    def remove_bot_from_group(self, chat_id: int, by_user_id: int, *, kicked: bool = True) -> None:
        """The bot is removed (status "kicked", or "left" with ``kicked=False``)."""
        chat = self.chat(chat_id)
        old = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        self._my_chat_member(chat, by_user_id, old, chat.bot_status)

    def block_bot(self, user_id: int) -> None:
        user = self.user(user_id)
        user.blocked = True
        if user.id in self._chats:
            self._my_chat_member(self._chats[user.id], user.id, "member", "kicked")

    def unblock_bot(self, user_id: int) -> None:
        user = self.user(user_id)
        if user.blocked and user.id in self._chats:
            self._my_chat_member(self._chats[user.id], user.id, "kicked", "member")
        user.blocked = False

    def deactivate_user(self, user_id: int) -> None:
        self.user(user_id).deactivated = True

    def migrate_group(self, chat_id: int) -> int:
        """Upgrade a group to a supergroup, with the two service messages Telegram sends."""
        old = self.chat(chat_id)
        if old.type != "group" or old.migrated_to is not None:
            raise ValueError(f"chat {chat_id} is not a basic group")
        new_id = -(_SUPERGROUP_BASE + self._next_supergroup_id)
        self._next_supergroup_id += 1
        new = SandboxChat(
            new_id,
            "supergroup",
            title=old.title,
            creator=old.creator,
            admins=set(old.admins),
            members=set(old.members),
            bot_status=old.bot_status,
        )
        self._chats[new_id] = new
        by = self._users[old.creator].to_api() if old.creator in self._users else BOT_USER
        old_msg = self._user_message(old, by, {"migrate_to_chat_id": new_id})
        new_msg = self._user_message(new, by, {"migrate_from_chat_id": chat_id})
        old.migrated_to = new_id
        if old.bot_status in ("member", "administrator"):
            self._enqueue("message", old_msg)
            self._enqueue("message", new_msg)
        return new_id

    # ----------------------------------------------------------------- what users do

    def send_text(
        self, user_id: int, chat_id: int, text: str, *, reply_to: int | None = None
    ) -> int:
        """The user writes ``text``; a leading /command gets its bot_command entity."""
        fields: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        return self._user_post(user_id, chat_id, fields, reply_to=reply_to)

    def edit_text(self, user_id: int, chat_id: int, message_id: int, text: str) -> None:
        """The user edits their earlier message ``message_id`` to ``text`` (edited_message)."""
        user = self.user(user_id)
        chat = self._chat_for_user(user, chat_id)
        original = self._user_messages.get((chat.id, message_id))
        if original is None or original.get("from", {}).get("id") != user_id:
            raise LookupError(f"user {user_id} wrote no message {message_id} in chat {chat_id}")
        fields: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        edited = {k: v for k, v in original.items() if k not in ("text", "entities", "caption")}
        edited.update(fields, edit_date=int(time.time()))
        self._user_messages[(chat.id, message_id)] = edited
        if self._bot_sees(chat, fields, None):
            self._enqueue("edited_message", edited)

    def send_anonymous(self, chat_id: int, text: str) -> int:
        """An anonymous administrator writes ``text`` in a group: Telegram sends it from the
        GroupAnonymousBot account with ``sender_chat`` = the group (presses stay personal)."""
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError(f"chat {chat_id} is not a group")
        fields: dict[str, Any] = {"text": text, "sender_chat": chat.to_api()}
        match = _COMMAND.match(text)
        if match:
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        message = self._user_message(chat, ANONYMOUS_ADMIN, fields)
        if self._bot_sees(chat, fields, None):
            self._enqueue("message", message)
        return int(message["message_id"])

    def send_photo(
        self,
        user_id: int,
        chat_id: int,
        caption: str | None = None,
        *,
        data: bytes | None = None,
    ) -> int:
        """The user sends a photo; ``data`` are the bytes the bot downloads with getFile (a real
        JPEG, say), else a few placeholder bytes."""
        content = data if data is not None else b"\xff\xd8sandbox-photo"
        uid = self._new_file_id("photo", content)
        fields: dict[str, Any] = {"photo": [photo_size(uid, uid, len(content))]}
        if caption is not None:
            fields["caption"] = caption
        return self._user_post(user_id, chat_id, fields)

    def send_location(self, user_id: int, chat_id: int, latitude: float, longitude: float) -> int:
        """The user shares a location (the paperclip's "Location", or a request_location button)."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"not a location on earth: {latitude}, {longitude}")
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_post(user_id, chat_id, {"location": location})

    def send_sticker(self, user_id: int, chat_id: int) -> int:
        uid = self._new_file_id("sticker", b"RIFFsandbox-sticker")
        sticker = {
            "file_id": uid,
            "file_unique_id": uid,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_post(user_id, chat_id, {"sticker": sticker})

    def send_custom(self, user_id: int, chat_id: int, fields: dict[str, Any]) -> int:
        """Any other message content (location, contact, ...) as Bot API fields."""
        return self._user_post(user_id, chat_id, dict(fields))

    def press_button(self, user_id: int, chat_id: int, message_id: int, callback_data: str) -> str:
        """Send a callback_query for ``message_id``; the button is not checked, so data can be
        forged. Returns the callback query id."""
        user = self.user(user_id)
        chat = self._chat_for_user(user, chat_id)
        message = self._by_key.get((chat.id, message_id))
        message_api = (
            self._message_api(message)
            if message is not None and not message.deleted
            else {"chat": chat.to_api(), "message_id": message_id, "date": 0}
        )
        query_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._callbacks[query_id] = CallbackRecord(chat.id, message_id, user_id, callback_data)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "chat_instance": str(abs(chat.id) * 7 + 3),
                "message": message_api,
                "data": callback_data,
            },
        )
        return query_id

    def press(self, user_id: int, chat_id: int, message_id: int, label_or_index: str | int) -> str:
        """Press a button that really is on the bot's message: by text or 0-based flat index."""
        message = self._by_key.get((chat_id, message_id))
        if message is None or message.deleted:
            raise LookupError(f"no (undeleted) bot message {message_id} in chat {chat_id}")
        markup = message.reply_markup or {}
        flat: list[dict[str, Any]] = [b for row in markup.get("inline_keyboard", ()) for b in row]
        labels = [str(b.get("text")) for b in flat]
        if isinstance(label_or_index, int):
            if not 0 <= label_or_index < len(flat):
                raise LookupError(
                    f"message {message_id} has {len(flat)} buttons, no index {label_or_index}: "
                    f"{labels}"
                )
            button = flat[label_or_index]
        elif label_or_index in labels:
            button = flat[labels.index(label_or_index)]
        else:
            raise LookupError(
                f"no button {label_or_index!r} on message {message_id}; buttons: {labels}"
            )
        if "callback_data" not in button:
            raise LookupError(f"button {button.get('text')!r} has no callback_data: {button}")
        return self.press_button(user_id, chat_id, message_id, str(button["callback_data"]))

    def answer(self, callback_query_id: str) -> dict[str, Any] | None:
        """What the bot answered to a callback query (text, show_alert, url), or None."""
        record = self._callbacks.get(callback_query_id)
        return None if record is None else record.answer

    # ----------------------------------------------------------------- reading

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Bot messages to the chat in order, in their current state (deleted ones flagged)."""
        return list(self._sent.get(chat_id, ()))

    def user_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What users wrote in the chat, as the message objects of their updates."""
        return [m for (cid, _), m in self._user_messages.items() if cid == chat_id]

    def last(self, chat_id: int) -> SentMessage:
        messages = self._sent.get(chat_id)
        if not messages:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        try:
            return self._by_key[(chat_id, message_id)]
        except KeyError:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}") from None

    @staticmethod
    def buttons(message: SentMessage) -> list[list[tuple[str, str | None]]]:
        return inline_buttons(message.reply_markup)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self._commands.get((scope_key(scope), language_code), []))

    def description(self, language_code: str = "") -> str:
        return self._descriptions.get(language_code, "")

    def short_description(self, language_code: str = "") -> str:
        return self._short_descriptions.get(language_code, "")

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ----------------------------------------------------------------- waiting

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds; it is re-checked after every request and action.

        The ``timeout`` parameters of the wait helpers are deliberate: tests read best with a
        deadline next to the condition, and the error names the last bot calls.
        """
        if not await self._signal.wait_until(predicate, timeout):
            raise self._timeout_error(f"condition still false after {timeout} s")

    def _timeout_error(self, what: str) -> TimeoutError:
        calls = "\n  ".join(self._calls) or "(none)"
        return TimeoutError(
            f"{what}; {len(self._updates)} updates unconfirmed, last bot calls:\n  {calls}"
        )

    async def wait_sent(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to the chat in total."""
        await self.wait_for(lambda: len(self._sent.get(chat_id, ())) >= count, timeout)
        return self.sent(chat_id)

    async def wait_answer(
        self,
        callback_query_id: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        await self.wait_for(lambda: self.answer(callback_query_id) is not None, timeout)
        answer = self.answer(callback_query_id)
        assert answer is not None
        return answer

    async def wait_edit(
        self,
        chat_id: int,
        message_id: int,
        edits: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until the message was edited at least ``edits`` times."""

        def edited() -> bool:
            message = self._by_key.get((chat_id, message_id))
            return message is not None and message.edits >= edits

        await self.wait_for(edited, timeout)
        return self._by_key[(chat_id, message_id)]

    def mark_handled(self, update_id: int) -> None:
        """The bot under test finished handling `update_id` (its handlers returned)."""
        self._handled_update_id = max(self._handled_update_id, update_id)
        self._signal.notify()

    async def wait_idle(self, timeout: float = 10.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109
        """Wait until every update is confirmed and no Bot API request is being served.

        With a bot that reports handled updates (`tracks_handling`), idle means every update
        was handled and nothing is in flight: exact. Otherwise PTB confirms updates before its
        handlers run, so idle must also last ``quiet`` seconds without a new request.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def idle() -> bool:
            handled = self._handled_update_id >= self._next_update_id - 1
            return (
                not self._updates and self._in_flight == 0 and (handled or not self.tracks_handling)
            )

        while True:
            if not await self._signal.wait_until(idle, max(0.0, deadline - loop.time())):
                raise self._timeout_error(f"sandbox not idle after {timeout} s")
            if self.tracks_handling:
                return
            mark = self._last_activity
            await asyncio.sleep(quiet)
            if idle() and mark == self._last_activity:
                return
            if loop.time() >= deadline:
                raise self._timeout_error(f"sandbox not idle after {timeout} s")

    # ----------------------------------------------------------------- internals

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append((update_id, kind, {"update_id": update_id, kind: payload}))
        self._signal.notify()
        self._updates_signal.notify()
        return update_id

    def _my_chat_member(self, chat: SandboxChat, by_user_id: int, old: str, new: str) -> None:
        by = self._users[by_user_id].to_api() if by_user_id in self._users else BOT_USER
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": member_api(BOT_USER, old),
                "new_chat_member": member_api(BOT_USER, new),
            },
        )

    def _chat_for_user(self, user: SandboxUser, chat_id: int) -> SandboxChat:
        """The chat a user acts in; opening the private chat with the bot creates it."""
        if chat_id == user.id:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = SandboxChat(
                    user.id,
                    "private",
                    first_name=user.first_name,
                    username=user.username,
                    members={user.id},
                )
                self._chats[chat_id] = chat
                user.started = True
            if user.blocked:  # "Restart bot" in the app unblocks it first
                self.unblock_bot(user.id)
            return chat
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError(f"user {user.id} cannot write in the private chat {chat_id}")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was upgraded to {chat.migrated_to}")
        if user.id not in chat.members:
            raise ValueError(f"user {user.id} is not a member of {chat.name!r} ({chat_id})")
        return chat

    def _user_message(
        self, chat: SandboxChat, sender: dict[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": chat.next_message_id,
            "date": int(time.time()),
            "chat": chat.to_api(),
            "from": sender,
            **fields,
        }
        chat.next_message_id += 1
        self._user_messages[(chat.id, message["message_id"])] = message
        return message

    def _user_post(
        self, user_id: int, chat_id: int, fields: dict[str, Any], *, reply_to: int | None = None
    ) -> int:
        user = self.user(user_id)
        chat = self._chat_for_user(user, chat_id)
        replied: SentMessage | None = None
        if reply_to is not None:
            replied = self._by_key.get((chat.id, reply_to))
            if replied is not None:
                fields["reply_to_message"] = self._message_api(replied)
            elif (chat.id, reply_to) in self._user_messages:
                fields["reply_to_message"] = self._user_messages[(chat.id, reply_to)]
            else:
                raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
        message = self._user_message(chat, user.to_api(), fields)
        if self._bot_sees(chat, fields, replied):
            self._enqueue("message", message)
        return int(message["message_id"])

    def _bot_sees(
        self, chat: SandboxChat, fields: dict[str, Any], replied: SentMessage | None
    ) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_status not in ("member", "administrator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator" or replied is not None:
            return True
        text = str(fields.get("text") or fields.get("caption") or "")
        return text.startswith("/") or f"@{BOT_USERNAME}".lower() in text.lower()

    def _message_api(self, message: SentMessage) -> dict[str, Any]:
        chat = self._chats.get(message.chat_id)
        chat_api = chat.to_api() if chat else {"id": message.chat_id, "type": "private"}
        data = message.to_api(chat_api)
        if message.reply_to_message_id is not None:
            key = (message.chat_id, message.reply_to_message_id)
            replied = self._user_messages.get(key)
            if replied is None and key in self._by_key:
                replied = self._by_key[key].to_api(chat_api)
            if replied is not None:
                data["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
        return data

    def _new_file_id(self, kind: str, placeholder: bytes | None = None) -> str:
        file_id = f"{kind}-{self._next_file_id:06d}"
        self._next_file_id += 1
        if placeholder is not None:  # a user's upload the bot may download with getFile
            self._files[file_id] = SentFile(None, placeholder, None, file_id, file_id)
        return file_id

    def _emit(self, message: SentMessage, event: MessageEvent) -> None:
        message.last_event = event
        if self.on_bot_message is not None:
            self.on_bot_message(message)


def scope_key(scope: dict[str, Any] | None) -> str:
    """Commands are stored per scope; the scope's JSON with sorted keys identifies it."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)
