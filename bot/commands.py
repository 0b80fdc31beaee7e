"""The one list of chat commands: used for /help and for the command menus per scope/language.

A feature adds its commands here; `audience` says who sees a command:
"everyone" in the chats listed in `where`, "group_admin" for group administrators only,
"admin" for the bot's administrators (private chat only), "adviser" for communication advisers
(and admins; private chat only), "team" for prevention team groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import N_

Where = Literal["private", "group"]
Audience = Literal["everyone", "group_admin", "admin", "adviser", "team"]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # English msgid, translated when shown
    where: frozenset[Where]
    audience: Audience = "everyone"
    aliases: tuple[str, ...] = ()


# /cancel works inside every conversation (wizards, prompts) and is not in the menus.
CANCEL = ("cancel", "annuleren")

PRIVATE: frozenset[Where] = frozenset({"private"})
GROUP: frozenset[Where] = frozenset({"group"})
BOTH: frozenset[Where] = frozenset({"private", "group"})

COMMANDS: list[CommandSpec] = [
    CommandSpec("start", N_("Subscribe to prevention tips"), PRIVATE),
    CommandSpec("subscribe", N_("Subscribe this group"), GROUP, "group_admin", ("aanmelden",)),
    CommandSpec(
        "settings",
        N_("Change municipality, neighbourhood, topics or language"),
        PRIVATE,
        aliases=("instellingen",),
    ),
    CommandSpec(
        "settings", N_("Change this group's settings"), GROUP, "group_admin", ("instellingen",)
    ),
    CommandSpec("language", N_("Choose the language"), PRIVATE, aliases=("taal",)),
    CommandSpec("language", N_("Choose this group's language"), GROUP, "group_admin", ("taal",)),
    CommandSpec("stop", N_("Unsubscribe and delete your settings"), PRIVATE),
    CommandSpec("stop", N_("Unsubscribe this group"), GROUP, "group_admin"),
    CommandSpec("help", N_("What this bot can do"), BOTH, aliases=("hulp",)),
    CommandSpec("advice", N_("Request free prevention advice"), PRIVATE, aliases=("advies",)),
    CommandSpec(
        "selfcheck", N_("Check how well your home is protected"), BOTH, aliases=("zelftest",)
    ),
    CommandSpec(
        "inspection",
        N_("Organise a neighbourhood inspection (wijkschouw)"),
        GROUP,
        "group_admin",
        ("wijkschouw",),
    ),
    CommandSpec(
        "myrequests",
        N_("Your advice requests and their status"),
        PRIVATE,
        aliases=("mijnaanvragen",),
    ),
    CommandSpec("privacy", N_("What is stored about you and why"), BOTH),
    CommandSpec(
        "mydata", N_("Get everything stored about you"), PRIVATE, aliases=("mijngegevens",)
    ),
    CommandSpec("forgetme", N_("Delete your data"), PRIVATE, aliases=("vergeetmij",)),
    CommandSpec("teamcode", N_("Create a link code for a prevention team"), PRIVATE, "admin"),
    CommandSpec(
        "linkteam", N_("Link this group as a prevention team"), GROUP, aliases=("koppelteam",)
    ),
    CommandSpec("requests", N_("Open advice requests of this team"), GROUP, "team", ("aanvragen",)),
    CommandSpec("campaign", N_("Write and schedule a campaign"), PRIVATE, "adviser", ("campagne",)),
    CommandSpec(
        "campaigns", N_("Upcoming and recent campaigns"), PRIVATE, "adviser", ("campagnes",)
    ),
    CommandSpec(
        "calendar",
        N_("Your year: calendar messages, campaigns, alerts; /calendar ics for your agenda"),
        PRIVATE,
        "adviser",
        ("kalender",),
    ),
    CommandSpec(
        "alert", N_("Send an urgent neighbourhood alert"), PRIVATE, "adviser", ("waarschuwing",)
    ),
    CommandSpec(
        "stats", N_("Reach and results of the last 30 days"), PRIVATE, "adviser", ("statistieken",)
    ),
    CommandSpec(
        "figures", N_("Chart of burglaries and subscribers"), PRIVATE, "adviser", ("cijfers",)
    ),
    CommandSpec(
        "dashboard", N_("The year, campaigns and insight in a web page"), PRIVATE, "adviser"
    ),
    CommandSpec(
        "invite", N_("Invite an adviser (one-time link)"), PRIVATE, "admin", ("uitnodigen",)
    ),
    CommandSpec("roles", N_("Who has which role"), PRIVATE, "admin", ("rollen",)),
    CommandSpec("revoke", N_("Remove a role"), PRIVATE, "admin", ("intrekken",)),
    CommandSpec("audit", N_("The latest privileged actions"), PRIVATE, "admin", ("logboek",)),
    CommandSpec(
        "buttons",
        N_("Switch the buttons under a calendar entry off or on"),
        PRIVATE,
        "admin",
        ("knoppen",),
    ),
]


def visible(
    where: Where,
    *,
    group_admin: bool = False,
    admin: bool = False,
    team: bool = False,
    adviser: bool = False,
) -> list[CommandSpec]:
    """Commands a person sees in a chat of kind `where`, given their roles."""
    allowed: set[Audience] = {"everyone"}
    if group_admin:
        allowed.add("group_admin")
    if admin:
        allowed.add("admin")
    if admin or adviser:
        allowed.add("adviser")
    if team:
        allowed.add("team")
    return [c for c in COMMANDS if where in c.where and c.audience in allowed]
