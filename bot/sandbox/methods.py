"""The Bot API methods the sandbox serves, as plain functions of the world's state.

Each method takes the request's :class:`~bot.sandbox.state.Params` and returns the ``result`` or
raises :class:`~bot.sandbox.state.ApiError` with Telegram's own error text. The HTTP layer lives in
:mod:`bot.sandbox.emulator`; keeping the two apart keeps both readable.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from aiohttp.web_request import FileField

from bot.sandbox.markup import HtmlError, parse_html
from bot.sandbox.state import (
    BOT_ID,
    BOT_USER,
    ApiError,
    Limits,
    Params,
    SandboxChat,
    SentFile,
    SentMessage,
    bad_request,
    forbidden,
    member_api,
)
from bot.sandbox.world import SandboxWorld, scope_key

Handler = Callable[[Params], Any]

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_ALBUM = 10
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_BUTTON_ACTIONS = {
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class BotApiMethods(SandboxWorld):
    """The world plus the Bot API methods that read and change it."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(limits, clock)
        self._webhook: dict[str, Any] = {}
        self._menu_buttons: dict[int | None, Any] = {}
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._closing = False
        self._next_album_id = 1
        methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": lambda p: self._set_text(p, self._descriptions, "description", 512),
            "getMyDescription": lambda p: self._get_text(p, self._descriptions, "description"),
            "setMyShortDescription": lambda p: self._set_text(
                p, self._short_descriptions, "short_description", 120
            ),
            "getMyShortDescription": lambda p: self._get_text(
                p, self._short_descriptions, "short_description"
            ),
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getFile": self._get_file,
            "getUpdates": lambda p: None,  # served by _get_updates, which may wait
        }
        self._methods = {name.lower(): (name, fn) for name, fn in methods.items()}

    # ----------------------------------------------------------------- chats and checks

    def _access(self, chat_id: int, *, sending: bool) -> SandboxChat:
        """The chat a request targets, or the error Telegram gives for it."""
        chat = self._chats.get(chat_id)
        if chat is None:
            user = self._users.get(chat_id)
            if user is None:
                raise bad_request("chat not found")
            if user.deactivated:
                raise forbidden("user is deactivated")
            raise forbidden("bot can't initiate conversation with a user")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if sending:
                user = self._users[chat_id]
                if user.deactivated:
                    raise forbidden("user is deactivated")
                if user.blocked:
                    raise forbidden("bot was blocked by the user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _target(self, p: Params, *, sending: bool) -> SandboxChat:
        value = p.raw.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        return self._access(p.required_int("chat_id"), sending=sending)

    def _format(
        self, raw: str, p: Params, entity_key: str, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]] | None]:
        """Plain text and entities as Telegram would store them, or its 400 error."""
        mode = (p.get_str("parse_mode") or "").lower()
        entities: list[dict[str, Any]] | None
        if mode == "html":
            try:
                parsed = parse_html(raw, strict_ampersand=self.strict_ampersand)
            except HtmlError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            text, entities = parsed.text, parsed.entities or None
        else:  # Markdown modes are passed through unchecked
            text, entities = raw, p.get_json(entity_key) or None
        if caption:
            if len(text) > _MAX_CAPTION:
                raise bad_request("message caption is too long")
        elif not text.strip():
            raise bad_request("message text is empty")
        elif len(text) > _MAX_TEXT:
            raise bad_request("message is too long")
        return text, entities

    def _markup(self, p: Params) -> dict[str, Any] | None:
        markup = p.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", ()):
            for button in row:
                if not _BUTTON_ACTIONS.intersection(button):
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _reply_to(self, chat: SandboxChat, p: Params) -> int | None:
        reply = p.get_json("reply_parameters")
        allow = p.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        key = (chat.id, int(message_id))
        bot_message = self._by_key.get(key)
        if key in self._user_messages or (bot_message is not None and not bot_message.deleted):
            return int(message_id)
        if allow:
            return None
        raise bad_request("message to be replied not found")

    def _file(self, p: Params, name: str) -> SentFile:
        return self._resolve_file(p, p.raw.get(name), name)

    def _resolve_file(self, p: Params, value: Any, name: str) -> SentFile:
        """A file given as an upload, an ``attach://<field>`` upload, a file_id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.raw.get(value.removeprefix("attach://"))
        if isinstance(value, FileField):
            file_id = self._new_file_id(name)
            file = SentFile(
                value.filename, value.file.read(), value.content_type, file_id, file_id + "u"
            )
            self._files[file_id] = file
            self.stats.uploads += 1
            return file
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                file_id = self._new_file_id(name)
                return SentFile(value.rsplit("/", 1)[-1], b"", None, file_id, file_id + "u")
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {name} in the request")

    def _deliver(self, chat: SandboxChat, message: SentMessage) -> dict[str, Any]:
        """Apply the flood limits, then store the message and give its API object."""
        self._admit(chat, message.params.get("allow_paid_broadcast") in (True, "true", "True"))
        return self._store(chat, message)

    def _admit(self, chat: SandboxChat, paid: bool = False) -> None:
        """One send through the flood limits (paid broadcasts on their own track), or
        Telegram's 429."""
        retry = self._limiter.retry_after(self.limits, chat.id, chat.is_group, paid)
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._limiter.record(chat.id, chat.is_group, paid)

    def _store(self, chat: SandboxChat, message: SentMessage) -> dict[str, Any]:
        message.message_id = chat.next_message_id
        chat.next_message_id += 1
        self._sent.setdefault(chat.id, []).append(message)
        self._by_key[(chat.id, message.message_id)] = message
        self.stats.messages_sent += 1
        self._emit(message, "sent")
        return self._message_api(message)

    @staticmethod
    def _plain_params(p: Params) -> dict[str, Any]:
        return {k: v for k, v in p.raw.items() if not isinstance(v, FileField)}

    # ----------------------------------------------------------------- sending

    def _send_message(self, p: Params) -> dict[str, Any]:
        chat = self._target(p, sending=True)
        raw = p.get_str("text") or ""
        text, entities = self._format(raw, p, "entities", caption=False)
        message = SentMessage(
            chat.id,
            0,
            int(time.time()),
            text=text,
            html=raw,
            parse_mode=p.get_str("parse_mode"),
            entities=entities,
            reply_markup=self._markup(p),
            reply_to_message_id=self._reply_to(chat, p),
            params=self._plain_params(p),
        )
        return self._deliver(chat, message)

    def _media_message(
        self,
        chat: SandboxChat,
        p: Params,
        captioned: Params,
        kind: str,
        file: Callable[[], SentFile],
        *,
        reply_to: int | None,
        markup: dict[str, Any] | None = None,
        album: str | None = None,
    ) -> SentMessage:
        """A photo or document message. Its caption and parse mode come from `captioned` (the
        request, or one item of an album) and are checked before the file is taken."""
        raw = captioned.get_str("caption")
        caption, entities = (
            self._format(raw, captioned, "caption_entities", caption=True) if raw else (None, None)
        )
        taken = file()
        return SentMessage(
            chat.id,
            0,
            int(time.time()),
            caption=caption,
            html=raw,
            parse_mode=captioned.get_str("parse_mode"),
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            params=self._plain_params(p),
            photo=taken if kind == "photo" else None,
            document=taken if kind == "document" else None,
            media_group_id=album,
        )

    def _send_media(self, p: Params, kind: Literal["photo", "document"]) -> dict[str, Any]:
        chat = self._target(p, sending=True)
        message = self._media_message(
            chat,
            p,
            p,
            kind,
            lambda: self._file(p, kind),
            reply_to=self._reply_to(chat, p),
            markup=self._markup(p),
        )
        return self._deliver(chat, message)

    def _send_photo(self, p: Params) -> dict[str, Any]:
        return self._send_media(p, "photo")

    def _send_document(self, p: Params) -> dict[str, Any]:
        return self._send_media(p, "document")

    def _send_media_group(self, p: Params) -> list[dict[str, Any]]:
        """An album of 2-10 photos (or 2-10 documents), each with its own caption.

        The sandbox counts an album as one send for the flood limits.
        """
        chat = self._target(p, sending=True)
        items = p.get_json("media")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(items) <= _MAX_ALBUM:
            raise bad_request("wrong number of media in the album: must be 2-10")
        kinds = {item.get("type") for item in items}
        if not (kinds == {"photo"} or kinds == {"document"}):
            raise bad_request("can't use the media of the specified type in the album")
        reply_to = self._reply_to(chat, p)
        album = str(self._next_album_id)
        self._next_album_id += 1
        messages = [
            self._media_message(
                chat,
                p,
                Params(item),
                item["type"],
                partial(self._resolve_file, p, item.get("media"), item["type"]),
                reply_to=reply_to,
                album=album,
            )
            for item in items
        ]
        self._admit(chat)
        return [self._store(chat, message) for message in messages]

    def _send_chat_action(self, p: Params) -> bool:
        self._target(p, sending=True)
        return True

    # ----------------------------------------------------------------- editing

    def _editable(self, p: Params) -> SentMessage:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the sandbox")
        chat = self._target(p, sending=True)
        key = (chat.id, p.required_int("message_id"))
        message = self._by_key.get(key)
        if message is None or message.deleted:
            if key in self._user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _apply_edit(
        self, message: SentMessage, markup: dict[str, Any] | None, **changes: Any
    ) -> dict[str, Any]:
        compared = {k: v for k, v in changes.items() if k in ("text", "caption", "entities")}
        if markup == message.reply_markup and all(
            getattr(message, k) == v for k, v in compared.items()
        ):
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            setattr(message, key, value)
        message.reply_markup = markup  # an edit without reply_markup removes the keyboard
        message.edits += 1
        message.edit_date = int(time.time())
        self._emit(message, "edited")
        return self._message_api(message)

    def _edit_message_text(self, p: Params) -> dict[str, Any]:
        message = self._editable(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        raw = p.get_str("text") or ""
        text, entities = self._format(raw, p, "entities", caption=False)
        return self._apply_edit(
            message,
            self._markup(p),
            text=text,
            html=raw,
            entities=entities,
            parse_mode=p.get_str("parse_mode"),
        )

    def _edit_message_caption(self, p: Params) -> dict[str, Any]:
        message = self._editable(p)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        raw = p.get_str("caption")
        caption, entities = (
            self._format(raw, p, "caption_entities", caption=True) if raw else (None, None)
        )
        return self._apply_edit(
            message,
            self._markup(p),
            caption=caption,
            html=raw,
            entities=entities,
            parse_mode=p.get_str("parse_mode"),
        )

    def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        return self._apply_edit(self._editable(p), self._markup(p))

    def _delete_message(self, p: Params) -> bool:
        chat = self._target(p, sending=False)
        key = (chat.id, p.required_int("message_id"))
        message = self._by_key.get(key)
        if message is not None and not message.deleted:
            message.deleted = True
            self._emit(message, "deleted")
            return True
        if key in self._user_messages:
            if chat.type != "private" and chat.bot_status != "administrator":
                raise bad_request("message can't be deleted")
            del self._user_messages[key]
            return True
        raise bad_request("message to delete not found")

    def _answer_callback_query(self, p: Params) -> bool:
        record = self._callbacks.get(p.get_str("callback_query_id") or "")
        if record is None or record.answer is not None:
            raise bad_request(_QUERY_INVALID)
        record.answer = {
            "text": p.get_str("text"),
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time"),
        }
        message = self._by_key.get((record.chat_id, record.message_id))
        if message is not None:
            message.answers.append(record.answer)
            self._emit(message, "answered")
        return True

    # ----------------------------------------------------------------- chats

    def _get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._target(p, sending=False)
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                (
                    "unlimited_gifts",
                    "limited_gifts",
                    "unique_gifts",
                    "premium_subscription",
                    "gifts_from_channels",
                ),
                False,
            ),
        }

    def _get_chat_member(self, p: Params) -> dict[str, Any]:
        chat = self._target(p, sending=False)
        user_id = p.required_int("user_id")
        if user_id == BOT_ID:
            return member_api(BOT_USER, chat.bot_status if chat.is_group else "member")
        user = self._users.get(user_id)
        if user is None or (chat.type == "private" and user_id != chat.id):
            raise bad_request("user not found")
        status = chat.status_of(user_id) if chat.is_group else "member"
        return member_api(user.to_api(), status)

    def _get_chat_administrators(self, p: Params) -> list[dict[str, Any]]:
        chat = self._target(p, sending=False)
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        ordered = sorted(chat.admins, key=lambda uid: (uid != chat.creator, uid))
        admins = [member_api(self._users[uid].to_api(), chat.status_of(uid)) for uid in ordered]
        if chat.bot_status == "administrator":
            admins.append(member_api(BOT_USER, "administrator"))
        return admins

    def _get_chat_member_count(self, p: Params) -> int:
        chat = self._target(p, sending=False)
        if not chat.is_group:
            return 2
        return len(chat.members) + (chat.bot_status in ("member", "administrator"))

    def _set_chat_menu_button(self, p: Params) -> bool:
        chat_id = p.get_int("chat_id")
        if chat_id is not None:
            self._target(p, sending=False)
        self._menu_buttons[chat_id] = p.get_json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, p: Params) -> Any:
        return self._menu_buttons.get(p.get_int("chat_id"), {"type": "default"})

    # ----------------------------------------------------------------- bot settings

    def _get_me(self, p: Params) -> dict[str, Any]:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    def _scope(self, p: Params) -> tuple[str, str]:
        scope = p.get_json("scope")
        if scope is not None and not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        return scope_key(scope), p.get_str("language_code") or ""

    def _set_my_commands(self, p: Params) -> bool:
        commands = p.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" must be an array')
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._scope(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, p: Params) -> list[dict[str, Any]]:
        return list(self._commands.get(self._scope(p), []))

    def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._scope(p), None)
        return True

    @staticmethod
    def _set_text(p: Params, store: dict[str, str], key: str, limit: int) -> bool:
        value = p.get_str(key) or ""
        if len(value) > limit:
            raise bad_request(f"{key.upper()}_INVALID")
        language = p.get_str("language_code") or ""
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    @staticmethod
    def _get_text(p: Params, store: dict[str, str], key: str) -> dict[str, str]:
        return {key: store.get(p.get_str("language_code") or "", "")}

    def _get_file(self, p: Params) -> dict[str, Any]:
        file_id = p.get_str("file_id") or ""
        file = self._files.get(file_id)
        if file is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": f"files/{file.file_id}",
        }

    # ----------------------------------------------------------------- updates

    def _set_webhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        allowed = p.get_json("allowed_updates")
        self._webhook = {"url": url, "allowed_updates": allowed} if url else {}
        return True

    def _delete_webhook(self, p: Params) -> bool:
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {}
        return True

    def _get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook.get("allowed_updates"):
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
        else:
            while updates and updates[0][0] < offset:
                updates.popleft()

    def _collect(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        if allowed is not None and any(kind not in allowed for _, kind, _ in self._updates):
            # Telegram drops updates of types the bot did not ask for
            kept = [u for u in self._updates if u[1] in allowed]
            self._updates.clear()
            self._updates.extend(kept)
        batch: list[dict[str, Any]] = []
        for _, _, update in self._updates:
            if len(batch) >= limit:
                break
            batch.append(update)
        return batch

    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self._webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            allowed = p.get_json("allowed_updates")
            self._allowed_updates = set(allowed) if allowed else None
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # an older long poll now answers 409
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        self._confirm(p.get_int("offset") or 0)
        batch = self._collect(limit)
        timeout = p.get_float("timeout") or 0.0
        if not batch and timeout > 0 and not self._closing:
            await self._updates_signal.wait_until(
                lambda: bool(self._updates) or self._closing or generation != self._poll_generation,
                timeout,
            )
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._collect(limit)
        if batch:
            self._last_activity = asyncio.get_running_loop().time()
        return batch
