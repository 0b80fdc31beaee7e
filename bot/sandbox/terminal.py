"""A plain-line chat with the bot through the emulator, for the demo and for newcomers.

No curses: it works in tmux, in a pipe and in tests. Lines are typed as the acting user into the
current chat; lines starting with ":" steer the sandbox (switch user or chat, press buttons, block
the bot, ...). Bot messages are printed as they arrive, with numbered buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.media import phone_photo
from bot.sandbox.state import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    MessageEvent,
    SandboxChat,
    SandboxUser,
    SentMessage,
)

ExtraCommand = Callable[[list[str]], Awaitable[str]]
_DEEP_LINK = re.compile(rf"^https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{1,64}})$")

HELP = """\
Type a line to send it as the acting user in the current chat; /commands work as in Telegram.
  :who               list users and chats (with numbers)
  :as <user>         act as another user (number or name)
  :chat <n|name>     switch chat: "bot" for the private chat, or a group
  :press <n>         press button [n] of the last bot message with buttons here
  :press <msg>.<n>   press button [n] of bot message #msg (a t.me link to the bot opens
                     the private chat with its /start payload, as Telegram does)
  :reply <msg> <text>  reply to bot message #msg (to answer a question the bot asked)
  :reply <text>      reply to the bot's last question here (a message marked ↩)
  :location <lat> <lon>  share a location (e.g. :location 52.2280 6.8961)
  :photo [file.jpg]  send a photo: that file, or a sample phone photo with GPS tags
  :history           reprint this chat
  :block / :unblock  the acting user blocks / unblocks the bot
  :kick / :add       remove the bot from / add it to the current group
  :migrate           upgrade the current group to a supergroup
  :help  :quit       this help; leave (so does end of input)"""


@dataclass
class DemoWorld:
    """The people and groups the terminal can act as and in; add more before starting it."""

    users: list[SandboxUser] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    actor_id: int = 0
    chat_id: int = 0

    def add_user(self, emu: BotApiEmulator, first_name: str, **options: Any) -> SandboxUser:
        user = emu.add_user(first_name, **options)
        self.users.append(user)
        if not self.actor_id:
            self.actor_id = self.chat_id = user.id
        return user

    def add_group(self, emu: BotApiEmulator, title: str, **options: Any) -> SandboxChat:
        chat = emu.add_group(title, **options)
        self.group_ids.append(chat.id)
        return chat


def build_demo_world(emu: BotApiEmulator) -> DemoWorld:
    """Anna (nl, group admin), Bram (en) and their neighbourhood group with the bot in it."""
    world = DemoWorld()
    anna = world.add_user(emu, "Anna", language_code="nl", username="anna_roombeek")
    bram = world.add_user(emu, "Bram", language_code="en")
    world.add_group(emu, "Buurtpreventie Roombeek", admins=[anna.id], members=[bram.id])
    return world


def render_html(source: str) -> str:
    """Readable text for a terminal: *bold*, _italic_, `code`, links as "text (url)"."""
    text = re.sub(r"</?(?:b|strong)>", "*", source, flags=re.IGNORECASE)
    text = re.sub(r"</?(?:i|em)>", "_", text, flags=re.IGNORECASE)
    text = re.sub(r"</?code[^>]*>", "`", text, flags=re.IGNORECASE)

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        if url.startswith("tg://user?id="):  # a mention: Telegram shows the name as a link
            return f"@{label}"
        return label if html.unescape(re.sub(r"<[^>]+>", "", label)) == url else f"{label} ({url})"

    text = re.sub(
        r"<a\s+href\s*=\s*[\"']([^\"']*)[\"']\s*>(.*?)</a>",
        link,
        text,
        flags=re.IGNORECASE | re.DOTALL,
    )
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class TerminalChat:
    """The state of one terminal session: who acts where, and how bot messages are shown."""

    def __init__(
        self,
        emu: BotApiEmulator,
        world: DemoWorld,
        out: TextIO,
        extra_commands: dict[str, ExtraCommand] | None = None,
    ) -> None:
        self.emu = emu
        self.world = world
        self.out = out
        self.extra = {name.lstrip(":"): fn for name, fn in (extra_commands or {}).items()}

    # ----------------------------------------------------------------- output

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def chat_name(self, chat_id: int) -> str:
        for user in self.world.users:
            if user.id == chat_id:
                return f"{user.first_name} (private)"
        chat = self.emu.find_chat(chat_id)
        return chat.name if chat else str(chat_id)

    def format_message(self, message: SentMessage) -> list[str]:
        where = self.chat_name(message.chat_id)
        head = f"[{BOT_FIRST_NAME} → {where}] #{message.message_id}"
        if message.last_event == "deleted" or message.deleted:
            return [f"{head} (deleted)"]
        if message.last_event == "answered":
            answer = message.answers[-1]
            if not answer.get("text"):
                return []
            kind = "alert" if answer.get("show_alert") else "popup"
            return [f"[{BOT_FIRST_NAME} → {where}] ({kind}: {answer['text']})"]
        lines = [head + (" (edited)" if message.last_event == "edited" else "")]
        for file, kind in ((message.photo, "photo"), (message.document, "document")):
            if file is not None:
                name = f"{file.filename}, " if file.filename and kind == "document" else ""
                lines.append(f"  [{kind}: {name}{file.size} bytes]")
        raw = message.html if message.html is not None else message.body
        body = render_html(raw) if (message.parse_mode or "").upper() == "HTML" else message.body
        lines.extend(f"  {line}" for line in body.splitlines())
        if (message.reply_markup or {}).get("force_reply"):
            lines.append(f"  ↩ answer with :reply {message.message_id} <text> (or :reply <text>)")
        number = 1
        for row in message.buttons():
            cells = []
            for text, data in row:
                is_url = data is not None and data.startswith(("http://", "https://", "tg://"))
                cells.append(f"[{number}] {text}" + (f" ↗ {data}" if is_url else ""))
                number += 1
            lines.append("  " + "   ".join(cells))
        return lines

    def show(self, message: SentMessage) -> None:
        for line in self.format_message(message):
            self.say(line)

    # ----------------------------------------------------------------- acting

    @property
    def actor(self) -> SandboxUser:
        return self.emu.user(self.world.actor_id)

    def places(self) -> list[tuple[int, str]]:
        """The chats the acting user can switch to: the private chat, then the groups."""
        places = [(self.actor.id, f"private chat {self.actor.first_name} ↔ {BOT_FIRST_NAME}")]
        for chat_id in self.world.group_ids:
            chat = self.emu.chat(chat_id)
            role = chat.status_of(self.actor.id)
            places.append(
                (chat_id, f"{chat.name} ({chat.type}, you: {role}, bot: {chat.bot_status})")
            )
        return places

    def who(self) -> None:
        self.say("Users:")
        for n, user in enumerate(self.world.users, 1):
            mark = "  ← you" if user.id == self.world.actor_id else ""
            flags = " blocked the bot" if user.blocked else ""
            self.say(f"  {n}. {user.first_name} ({user.language_code or '-'}){flags}{mark}")
        self.say("Chats:")
        for n, (chat_id, label) in enumerate(self.places(), 1):
            mark = "  ← here" if chat_id == self.world.chat_id else ""
            self.say(f"  {n}. {label}{mark}")

    def pick_user(self, arg: str) -> SandboxUser:
        users = self.world.users
        if arg.isdigit() and 1 <= int(arg) <= len(users):
            return users[int(arg) - 1]
        found = [u for u in users if u.first_name.lower().startswith(arg.lower())]
        if not found:
            raise LookupError(f"no user {arg!r}; see :who")
        return found[0]

    def pick_chat(self, arg: str) -> int:
        places = self.places()
        if arg.isdigit() and 1 <= int(arg) <= len(places):
            return places[int(arg) - 1][0]
        if arg.lower() in ("bot", "private", "privé", "prive"):
            return self.actor.id
        for chat_id, label in places[1:]:
            if arg.lower() in label.lower():
                return chat_id
        raise LookupError(f"no chat {arg!r}; see :who")

    def current_group(self) -> SandboxChat:
        if self.world.chat_id not in self.world.group_ids:
            raise LookupError("switch to a group first (:chat <n>)")
        return self.emu.chat(self.world.chat_id)

    def press(self, arg: str) -> None:
        chat_id = self.world.chat_id
        if "." in arg:
            msg_no, _, number = arg.partition(".")
            message = self.emu.message(chat_id, int(msg_no))
        else:
            number = arg
            with_buttons = [m for m in self.emu.sent(chat_id) if m.flat_buttons() and not m.deleted]
            if not with_buttons:
                raise LookupError("no bot message with buttons in this chat")
            message = with_buttons[-1]
        index = int(number) - 1
        buttons = message.flat_buttons()
        text, data = buttons[index] if 0 <= index < len(buttons) else ("", None)
        if data is not None and (payload := _deep_link_payload(data)) is not None:
            # Telegram opens the private chat with the bot and sends /start with the payload.
            self.world.chat_id = self.actor.id
            self.emu.send_text(self.actor.id, self.actor.id, f"/start {payload}")
            self.say(f"{self.actor.first_name} opened {data} → private chat: /start {payload}")
            return
        self.emu.press(self.actor.id, chat_id, message.message_id, index)
        self.say(f"{self.actor.first_name} pressed [{number}] {text} on #{message.message_id}")

    def reply(self, args: list[str]) -> None:
        """`:reply N text` answers bot message #N; `:reply text` the bot's last question here
        (a ForceReply prompt, as a phone opens the reply field by itself)."""
        if not args:
            raise ValueError("use :reply <message number> <text>, e.g. :reply 9 Lamp vervangen")
        if args[0].isdigit() and len(args) > 1:
            number, text = int(args[0]), " ".join(args[1:])
        else:
            questions = [
                m
                for m in self.emu.sent(self.world.chat_id)
                if (m.reply_markup or {}).get("force_reply") and not m.deleted
            ]
            if not questions:
                raise LookupError("no question of the bot here; use :reply <message number> <text>")
            number, text = questions[-1].message_id, " ".join(args)
        self.emu.send_text(self.actor.id, self.world.chat_id, text, reply_to=number)
        self.say(f"{self.actor.first_name} replied to #{number}: {text}")

    def location(self, args: list[str]) -> None:
        if len(args) != 2:
            raise ValueError("use :location <latitude> <longitude>, e.g. :location 52.2280 6.8961")
        latitude, longitude = float(args[0]), float(args[1])
        self.emu.send_location(self.actor.id, self.world.chat_id, latitude, longitude)
        self.say(f"{self.actor.first_name} shared a location: {latitude}, {longitude}")

    def photo(self, args: list[str]) -> None:
        if args:
            data = Path(" ".join(args)).expanduser().read_bytes()
            what = " ".join(args)
        else:
            data, what = phone_photo(), "a sample phone photo (with GPS and camera tags)"
        self.emu.send_photo(self.actor.id, self.world.chat_id, data=data)
        self.say(f"{self.actor.first_name} sent {what}, {len(data)} bytes")

    def history(self) -> None:
        chat_id = self.world.chat_id
        entries: list[tuple[int, list[str]]] = []
        for msg in self.emu.user_messages(chat_id):
            mid = int(msg["message_id"])
            sender = msg.get("from", {}).get("first_name", "?")
            body = msg.get("text") or msg.get("caption") or _kind_of(msg)
            entries.append((mid, [f"[{sender}] #{mid}", f"  {body}"]))
        for message in self.emu.sent(chat_id):
            event: MessageEvent = "deleted" if message.deleted else "sent"
            entries.append((message.message_id, self.format_message(_with_event(message, event))))
        self.say(f"── history of {self.chat_name(chat_id)} ──")
        for _, lines in sorted(entries, key=lambda entry: entry[0]):
            for line in lines:
                self.say(line)

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith(":"):
            chat_id = self.world.chat_id
            self.emu.send_text(self.actor.id, chat_id, line)
            to = BOT_FIRST_NAME if chat_id == self.actor.id else self.chat_name(chat_id)
            self.say(f"{self.actor.first_name} → {to}: {line}")
            return True
        name, *args = line[1:].split()
        arg = " ".join(args)
        if name in ("quit", "q", "exit"):
            return False
        if name in self.extra:
            self.say(await self.extra[name](args))
        elif name == "help":
            self.say(
                HELP + ("\n  extra: " + " ".join(f":{n}" for n in self.extra) if self.extra else "")
            )
        elif name == "who":
            self.who()
        elif name == "as":
            user = self.pick_user(arg)
            was_private = self.world.chat_id == self.world.actor_id
            self.world.actor_id = user.id
            if was_private or user.id not in self.emu.chat(self.world.chat_id).members:
                self.world.chat_id = user.id
            self.say(f"now acting as {user.first_name} in {self.chat_name(self.world.chat_id)}")
        elif name == "chat":
            self.world.chat_id = self.pick_chat(arg)
            self.say(f"now in {self.chat_name(self.world.chat_id)}")
        elif name == "press":
            self.press(arg or "1")
        elif name == "history":
            self.history()
        elif name == "reply":
            self.reply(args)
        elif name == "location":
            self.location(args)
        elif name == "photo":
            self.photo(args)
        elif name == "block":
            self.emu.block_bot(self.actor.id)
            self.say(f"{self.actor.first_name} blocked the bot")
        elif name == "unblock":
            self.emu.unblock_bot(self.actor.id)
            self.say(f"{self.actor.first_name} unblocked the bot")
        elif name == "kick":
            group = self.current_group()
            self.emu.remove_bot_from_group(group.id, self.actor.id)
            self.say(f"{self.actor.first_name} removed the bot from {group.name}")
        elif name == "add":
            group = self.current_group()
            self.emu.add_bot_to_group(group.id, self.actor.id)
            self.say(f"{self.actor.first_name} added the bot to {group.name}")
        elif name == "migrate":
            group = self.current_group()
            new_id = self.emu.migrate_group(group.id)
            self.world.group_ids[self.world.group_ids.index(group.id)] = new_id
            self.world.chat_id = new_id
            self.say(f"{group.name} is now a supergroup (id {group.id} → {new_id})")
        else:
            self.say(f"unknown command :{name}; type :help")
        return True


def _deep_link_payload(url: str) -> str | None:
    """The /start payload of a t.me link to the sandbox bot, else None."""
    match = _DEEP_LINK.match(url)
    return match.group(1) if match else None


def _kind_of(message: dict[str, Any]) -> str:
    for kind in ("photo", "sticker", "document", "location", "contact"):
        if kind in message:
            return f"[{kind}]"
    return "[service message]"


def _with_event(message: SentMessage, event: MessageEvent) -> SentMessage:
    """A copy that prints as a fresh message (history shows the current state, not the event)."""
    return replace(message, last_event=event)


async def _stdin_lines() -> AsyncIterator[str]:
    """Lines from stdin, read by a daemon thread so a blocked read never holds up shutdown."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for raw in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, raw)
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:  # the loop closed while we were reading
            return

    threading.Thread(target=pump, name="sandbox-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_terminal(
    emu: BotApiEmulator,
    *,
    input_lines: AsyncIterator[str] | None = None,
    out: TextIO = sys.stdout,
    world: DemoWorld | None = None,
    extra_commands: dict[str, ExtraCommand] | None = None,
    settle_timeout: float = 3.0,
) -> None:
    """Chat with the bot until end of input or ``:quit``.

    After each line the terminal waits (at most ``settle_timeout`` s) until the bot has handled
    it, so replies print before the next piped line; pass 0 when no bot is running.
    """
    term = TerminalChat(emu, world or build_demo_world(emu), out, extra_commands)
    previous = emu.on_bot_message

    def hook(message: SentMessage) -> None:
        term.show(message)
        if previous is not None:
            previous(message)

    emu.on_bot_message = hook
    term.say(f"Buurtwacht sandbox: a local Telegram with the bot @{BOT_USERNAME}.")
    term.say(HELP)
    term.who()
    try:
        async for raw in input_lines if input_lines is not None else _stdin_lines():
            try:
                keep_going = await term.handle(raw)
            except (LookupError, ValueError) as exc:
                term.say(f"! {exc}")
                keep_going = True
            await _settle(emu, settle_timeout)
            if not keep_going:
                break
    finally:
        emu.on_bot_message = previous
    term.say("bye")


async def _settle(emu: BotApiEmulator, timeout: float) -> None:  # noqa: ASYNC109
    if timeout > 0:
        with contextlib.suppress(TimeoutError):
            await emu.wait_idle(timeout=timeout)
