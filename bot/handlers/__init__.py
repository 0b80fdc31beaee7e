"""Every handler is registered here, in one visible order (PTB tries handlers in order)."""

from __future__ import annotations

from bot.feedback.buttons import SHARE_PREFIX, VOTE_PREFIX
from bot.handlers import (
    advice,
    alerts,
    campaign_wizard,
    campaigns,
    common,
    contact,
    dashboard,
    feedback,
    findings,
    membership,
    my_requests,
    presses,
    privacy,
    reports,
    roles,
    selfcheck,
    subscription,
    tailoring,
    team,
    team_done,
    topic_offer,
    wijkschouw,
    wijkschouw_team,
)
from bot.handlers.request_notices import REQUEST_PREFIX
from bot.inspection_reports import BOARD_PREFIX, CLOSE_PREFIX, JOIN_PREFIX
from bot.services import BotApplication
from bot.teamwork import TEAM_PREFIX

# Every callback prefix the bot puts on a button, and who may press it at all. A press with
# another prefix, or a staff prefix pressed by someone without the role, never reaches a
# feature's handler (bot/handlers/presses.py).
PRESSES: dict[str, presses.Who] = {
    subscription.CALLBACK_PREFIX: "anyone",
    subscription.STOP_PREFIX: "anyone",
    privacy.PREFIX: "anyone",
    advice.PREFIX: "anyone",
    # The resident's buttons about their request; the handler checks it is theirs.
    REQUEST_PREFIX: "anyone",
    TEAM_PREFIX: "anyone",
    team_done.PREFIX: "anyone",
    team.LINK_PREFIX: "anyone",
    topic_offer.PREFIX: "anyone",
    selfcheck.PREFIX: "anyone",
    # The wijkschouw: the handlers check group membership, the organiser, the team or the
    # adviser of the walk's municipality live, on the walk's own messages.
    findings.PREFIX: "anyone",
    JOIN_PREFIX: "anyone",
    CLOSE_PREFIX: "anyone",
    wijkschouw.CONFIRM_PREFIX: "anyone",
    BOARD_PREFIX: "anyone",
    wijkschouw_team.MARK_PREFIX: "anyone",
    # The buttons under broadcasts: the handlers check that the message is that chat's
    # delivery, the chat still subscribed and the presser its user or a member of the group.
    VOTE_PREFIX: "anyone",
    SHARE_PREFIX: "anyone",
    alerts.PREFIX: "adviser",
    campaigns.PREFIX: "adviser",
    tailoring.PREFIX: "adviser",
    roles.PREFIX: "admin",
}


def register_all(app: BotApplication) -> None:
    membership.register(app)
    # Advisers and admins first: the invite deep link must win over the plain /start, and their
    # conversations' /cancel over the advice conversation's "nothing to cancel".
    roles.register_deep_link(app)
    roles.register(app)
    campaign_wizard.register(app)
    campaigns.register(app)
    alerts.register(app)
    tailoring.register(app)
    reports.register(app)
    dashboard.register(app)
    # The finding conversation and the self-check own `/start ws_…` and `/start zelftest`: before
    # the plain /start; the conversation's /cancel before the advice's "nothing to cancel". Their
    # reply handlers only take replies to their own prompts, so the team's replies still pass.
    findings.register(app)
    selfcheck.register(app)
    wijkschouw.register(app)
    wijkschouw_team.register(app)
    subscription.register(app)
    topic_offer.register(app)
    # The buttons under broadcasts (VOTE_PREFIX, SHARE_PREFIX) and /buttons.
    feedback.register(app)
    common.register(app)
    # Replies to the bot's "message for the resident/team" questions only (a filter on the
    # chat's questions): before the advice conversation's texts and the team's own replies.
    contact.register(app)
    advice.register(app)
    my_requests.register(app)
    team.register(app)
    team_done.register(app)
    privacy.register(app)
    # Must stay last: replies to whatever no feature handled.
    common.register_fallbacks(app)
    # In group -1, so before all of the above; reads the patterns registered above.
    presses.register(app, PRESSES)
