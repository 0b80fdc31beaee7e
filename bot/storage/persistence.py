"""PTB persistence in the project's SQLite database instead of a pickle file.

PTB keeps conversation states and user/chat data in memory and hands changes to this class every
`update_interval` seconds and at shutdown. Values are stored as JSON, so only plain data
(dicts, lists, strings, numbers) may be kept in `chat_data`/`user_data` — which also keeps them
deep-copyable as PTB requires. bot_data is not persisted: it holds the live services.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage.database import Database

Data = dict[Any, Any]
# The shapes PTB's BasePersistence uses (its own aliases live in a private module).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


class SqlitePersistence(BasePersistence[Data, Data, Data]):
    def __init__(self, db: Database, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db

    async def _load(self, kind: str) -> dict[str, Any]:
        rows = await self.db.fetchall("SELECT key, value FROM ptb_state WHERE kind = ?", (kind,))
        return {row["key"]: json.loads(row["value"]) for row in rows}

    async def _store(self, kind: str, key: str, value: Any) -> None:
        await self.db.execute(
            "INSERT INTO ptb_state (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            (kind, key, json.dumps(value, separators=(",", ":"))),
        )

    async def _drop(self, kind: str, key: str) -> None:
        await self.db.execute("DELETE FROM ptb_state WHERE kind = ? AND key = ?", (kind, key))

    async def get_user_data(self) -> dict[int, Data]:
        return {int(k): v for k, v in (await self._load("user")).items()}

    async def get_chat_data(self) -> dict[int, Data]:
        return {int(k): v for k, v in (await self._load("chat")).items()}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        loaded = await self._load(f"conversation:{name}")
        return {tuple(json.loads(k)): v for k, v in loaded.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        kind, skey = f"conversation:{name}", json.dumps(list(key))
        if new_state is None:
            await self._drop(kind, skey)
        else:
            await self._store(kind, skey, new_state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._store_or_drop("user", str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await self._store_or_drop("chat", str(chat_id), data)

    async def _store_or_drop(self, kind: str, key: str, data: Data) -> None:
        """Empty data is no row: PTB re-creates an empty dict for a user whose data was just
        dropped (/forgetme) when it looks at it again, and that would store their id anew."""
        if data:
            await self._store(kind, key, data)
        else:
            await self._drop(kind, key)

    async def update_bot_data(self, data: Data) -> None:
        """bot_data holds live services and is deliberately not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Arbitrary callback data is not used; callback strings are parsed and checked."""

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop("chat", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop("user", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """The in-memory copy is authoritative while running; nothing to refresh."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """The in-memory copy is authoritative while running; nothing to refresh."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """bot_data is not persisted."""

    async def flush(self) -> None:
        """Every update is written immediately; nothing is buffered."""
