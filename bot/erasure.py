"""Erasure that leaves no copy behind: PTB's state of a person, and the SQLite WAL.

Deleting rows is not enough. PTB keeps a person's conversation states and their user and chat
data (drafts with names and phone numbers) in memory and writes them to `ptb_state` later,
from its own task; and SQLite keeps the old page images of every write in the `-wal` file
until a checkpoint. So every place that erases personal data ends with `complete_erasure`:
PTB's persistence is brought up to date first (the dropped rows are deleted now, and no write
of PTB's is still on its way), then the WAL is folded into the database file and truncated.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from telegram.ext import ConversationHandler

from bot.services import BotApplication, Services


def end_conversations(app: BotApplication, user_id: int, chat_id: int | None = None) -> int:
    """End every persistent conversation of `user_id` (in `chat_id` only, when given).

    PTB 22.8 has no public way to end a conversation from outside its handler; deleting the
    key from the handler's conversation dict is what `ConversationHandler` itself does on END,
    and that dict tracks the deletion for the persistence.
    """
    ended = 0
    for conversations, key in _conversations_of(app, user_id, chat_id):
        del conversations[key]
        ended += 1
    return ended


def in_conversation(app: BotApplication, user_id: int, chat_id: int) -> bool:
    """`user_id` is in the middle of a conversation (a wizard's step) in `chat_id`."""
    return bool(_conversations_of(app, user_id, chat_id))


def _conversations_of(
    app: BotApplication, user_id: int, chat_id: int | None
) -> list[tuple[MutableMapping[tuple[int | str, ...], object], tuple[int | str, ...]]]:
    """(conversation dict, key) of every open conversation of the person (in the chat)."""
    found = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if not isinstance(handler, ConversationHandler):
                continue
            conversations = handler._conversations
            found += [(conversations, k) for k in conversations if _belongs(k, user_id, chat_id)]
    return found


def _belongs(key: tuple[int | str, ...], user_id: int, chat_id: int | None) -> bool:
    # Our conversations are per chat and per user: the key is (chat_id, user_id).
    return len(key) == 2 and key[1] == user_id and (chat_id is None or key[0] == chat_id)


def forget_ptb_state(app: BotApplication, user_id: int) -> None:
    """A person's conversations, their user data and their private chat's data go."""
    end_conversations(app, user_id)
    app.drop_user_data(user_id)
    app.drop_chat_data(user_id)


async def complete_erasure(
    app: BotApplication, *, user_ids: Iterable[int] = (), chat_ids: Iterable[int] = ()
) -> None:
    """After an erasure: PTB's persistence is written now, then the WAL is checkpointed.

    `user_ids` and `chat_ids` are those whose data this update changed (a draft popped): PTB
    would only mark them for writing once the handler returns, which is after the checkpoint.
    """
    services: Services = app.bot_data["services"]
    app.mark_data_for_update_persistence(chat_ids=list(chat_ids), user_ids=list(user_ids))
    # Waits for a write of PTB's own that may be on its way with the old data, then writes.
    await app.update_persistence()
    await services.db.checkpoint()
