"""Who may act on an advice request in a team group, on which message: checked on the server
at every press and every reply (a live getChatMember for membership; the request must belong
to a municipality of this team, sit in this group and be in a state that allows the action)."""

from __future__ import annotations

from telegram import Message, User

from bot.advice.requests import Action, allowed
from bot.auth import is_chat_member
from bot.services import BotContext
from bot.storage.advice import AdviceRequest
from bot.teamwork import MESSAGE_CODE


async def checked_request(
    context: BotContext, chat_id: int, user: User, request_id: int, action: Action | None
) -> tuple[AdviceRequest | None, str]:
    """The request if `user` may do `action` on it in this chat now, else why not (for the log).

    `action` None is writing to the resident: an open request whose resident is still known.
    """
    municipalities = await context.services.teams.municipalities_of(chat_id)
    if not municipalities:
        return None, "not a team chat"
    if not await is_chat_member(context, chat_id, user.id):
        return None, "not a member"
    request = await context.services.advice.get(request_id)
    if request is None:
        return None, "unknown request"
    if request.municipality not in municipalities or request.team_chat_id != chat_id:
        return None, "request of another team"
    possible = (
        request.is_open and request.user_id is not None
        if action is None
        else allowed(action, request.status)
    )
    if request.erased or not possible:
        return request, "state"
    # A claimer who asked to be forgotten left no id: then any member may plan it.
    if action == "plan" and request.claimed_by not in (None, user.id):
        return request, "not the claimer"
    return request, ""


async def on_its_message(
    context: BotContext, request: AdviceRequest, message: object, code: str
) -> bool:
    """The button sits on the request's own team message, or (to answer the resident or plan
    again) on one of the bot's later messages about it in this group; not on a copy or an old
    post."""
    if not isinstance(message, Message):
        return False
    if message.message_id == request.team_message_id:
        return True
    if code not in (MESSAGE_CODE, "plan"):
        return False
    relayed = await context.services.advice.message_at(message.chat_id, message.message_id)
    return (
        relayed is not None and relayed.request_id == request.id and relayed.direction == "to_team"
    )
