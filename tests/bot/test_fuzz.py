"""A few thousand random and forged updates through the emulator (issue 14, "Done when").

Residents, staff and strangers, in private chats, a neighbourhood group, a team group and a
group the bot has left, send random commands and texts and press buttons: real ones on the
bot's messages (so flows go deep), and forged ones with data of every prefix, random ids,
truncated or empty data, on random messages. Seeded, so a failure can be replayed
(BUURTWACHT_FUZZ_SEED=<seed>). The bot must end with no ERROR line, every press answered, and
still answer.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass

import pytest

from bot.commands import COMMANDS
from bot.handlers import PRESSES
from bot.sandbox.emulator import BotApiEmulator
from tests.advice.flow import make_team, say
from tests.harness import BotHarness

SEED = int(os.environ.get("BUURTWACHT_FUZZ_SEED", "20261201"))
UPDATES = int(os.environ.get("BUURTWACHT_FUZZ_UPDATES", "3000"))
BATCH = 25  # updates sent before waiting for the bot to be idle

NAMES = [spec.name for spec in COMMANDS] + [a for spec in COMMANDS for a in spec.aliases]
# Slow on purpose (a chart, a year of calendar); tried, but not thousands of times.
RARE = {"figures", "cijfers", "stats", "statistieken", "audit"}
ARGUMENTS = [
    "",
    "ics",
    "enschede",
    "Hengelo",
    "nowhere",
    "adviser enschede",
    "adviser all",
    "AAAAA-BBBBB",
    "inv_xyz",
    "gem_enschede",
    "gem_",
    "x" * 80,
]
TEXTS = [
    "hallo",
    "7511 AB",
    "7621ab",
    "9999 ZZ",
    "12",
    "12A",
    "Geertruida Klein",
    "06 12345678",
    "+31 53 123 4567",
    "tomorrow 19:00",
    "morgen 19:00",
    "28-12-2027 19:00",
    "01-01-2020 10:00",
    "<b>vet</b> & <i>schuin",
    "Inbraken vandaag in de wijk.",
    "x" * 4200,
    "   ",
    "🚨🏠",
]
# Pieces of real callback data per prefix; completed with random ids below.
ACTIONS = {
    "adv": [
        "start",
        "reason:secure_home",
        "reason:x",
        "agree",
        "mun_ok",
        "mun_other",
        "mun:enschede",
        "mun:x",
        "via_chat",
        "moment:evening",
        "moments_done",
        "confirm",
        "change",
        "edit:name",
        "cancel",
    ],
    "sub": ["{nonce}:mun:borne", "{nonce}:hood:0", "{nonce}:topic:holidays", "{nonce}:menu:done"],
    "stop": ["yes", "no"],
    "forget": ["yes", "no"],
    "team": ["{n}:claim", "{n}:plan", "{n}:done", "{n}:np", "{n}:x"],
    "link": ["yes", "no"],
    "alr": ["m:{n}", "h:{n}", "h:all", "send", "night", "cancel"],
    "cmp": [
        "x:{n}",
        "xy:{n}",
        "xn:{n}",
        "rs:{n}",
        "ap:{n}",
        "rj:{n}",
        "lang:one",
        "m:{n}",
        "k:group",
        "t:all",
        "next",
        "now",
        "at:{n}",
        "ok",
        "chg",
        "test",
        "e:text",
        "cancel",
    ],
    "cal": ["m:{n}", "o:{n}:20271021:dark-days-start", "s1:0:2027102:x", "r:{n}:20271021:a"],
    "rol": ["rv:{n}:adviser", "ok:{n}:admin", "no", "rv:{n}"],
    "offer": ["yes", "no"],
    "sc": ["a:{n}", "a:", "remind:{n}", "stop", "done"],
    "wsr": ["again:{n}", "cat:lighting", "cat:x", "no_photo", "no_note", "save", "done"],
    "wsj": ["{n}"],
    "wsc": ["{n}"],
    "wsx": ["{n}", "yes", "no"],
    "wsb": ["{n}"],
    "wss": ["{n}:solved", "{n}:x"],
}


# What the bot asks (either language) and a fitting answer, so flows reach their end too.
ANSWERS = [
    (("postcode",), "7511 AB"),
    (("house number", "huisnummer"), "12A"),
    (("your name", "je naam"), "Geertruida Klein"),
    (("reach you", "je bereiken"), "06 12345678"),
    (("New campaign", "Nieuwe campagne", "send the text in", "Stuur nu de tekst"), "Op slot!"),
    (("When should", "Wanneer moet", "New moment", "Nieuw moment"), "tomorrow 19:00"),
    (("What happened", "Wat is er gebeurd"), "Inbraken vandaag in de wijk."),
    (("Send the new text", "Stuur de nieuwe tekst"), "Eigen tekst"),
    (("date and time of the appointment", "datum en tijd van de afspraak"), "01-06-2030 19:30"),
    (("short reason", "korte reden"), "Geen tijd"),
]


def pressable(button: tuple[str, str | None]) -> bool:
    """A button whose press reaches the bot: link buttons (t.me, wa.me) open a chat or a page."""
    return bool(button[1]) and not str(button[1]).startswith(("https://", "http://", "tg://"))


def answer_to(question: str) -> str | None:
    return next((text for keys, text in ANSWERS if any(k in question for k in keys)), None)


@dataclass
class Actor:
    user: int
    chats: list[int]


def forged_data(rng: random.Random) -> str:
    prefix = rng.choice(sorted(PRESSES))
    action = rng.choice(ACTIONS.get(prefix, ["x"]))
    data = f"{prefix}:" + action.format(n=rng.choice([0, 1, 2, 7, 99999]), nonce="deadbeef")
    roll = rng.random()
    if roll < 0.15:
        return data[: rng.randrange(len(data))]  # truncated, down to empty
    if roll < 0.2:
        return rng.choice(["", ":", "::", "x" * 64, f"{prefix}"])
    return data


async def test_fuzzed_updates_end_without_errors(
    emu: BotApiEmulator, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(SEED)
    services = bot.services
    team, lead, member = await make_team(emu, bot)
    eva = emu.add_user("Eva", language_code="en").id
    await services.roles.grant(eva, "adviser", ["enschede"], label="Eva")
    boss = emu.add_user("Bea", language_code="nl").id
    await services.roles.grant(boss, "admin", ["*"], label="Bea")
    residents = [emu.add_user("Rita", language_code="en").id, emu.add_user("Ruud").id]
    stranger = emu.add_user("Sam", language_code="de").id
    neighbours = emu.add_group("Buren", admins=[residents[0]], members=[residents[1], stranger])
    left = emu.add_group("Vroeger", admins=[residents[1]], members=[stranger])
    await emu.wait_idle()
    emu.remove_bot_from_group(left.id, residents[1])
    await emu.wait_idle()
    actors = [
        Actor(eva, [eva]),
        Actor(boss, [boss]),
        Actor(residents[0], [residents[0], neighbours.id]),
        Actor(residents[1], [residents[1], neighbours.id, left.id]),
        Actor(stranger, [stranger, neighbours.id, left.id]),
        Actor(lead, [lead, team.id]),
        Actor(member, [member, team.id]),
    ]
    queries: list[str] = []
    assert bot.app is not None
    bot_name = bot.app.bot.username

    def act() -> None:
        actor = rng.choice(actors)
        chat = rng.choice(actor.chats)
        sent = emu.sent(chat)
        roll = rng.random()
        if chat == left.id or roll < 0.6:
            # A press: on a real button (flows go deep), or forged, on one of the bot's
            # messages or on any id.
            with_buttons = [
                m for m in sent if any(map(pressable, m.flat_buttons())) and not m.deleted
            ]
            if with_buttons and roll < 0.3 and chat != left.id:
                # Mostly the newest keyboard and a button that leads on, as people do.
                message = with_buttons[-1] if rng.random() < 0.7 else rng.choice(with_buttons)
                labels = [text for text, data in message.flat_buttons() if pressable((text, data))]
                onwards = [t for t in labels if t not in ("Cancel", "Annuleren")] or labels
                label = rng.choice(onwards if rng.random() < 0.9 else labels)
                queries.append(emu.press(actor.user, chat, message.message_id, label))
                return
            target = rng.choice([m.message_id for m in sent[-5:]] + [rng.randrange(1, 400)])
            queries.append(emu.press_button(actor.user, chat, target, forged_data(rng)))
        elif roll < 0.7:
            name = rng.choice(NAMES)
            if name in RARE and rng.random() < 0.9:
                name = "help"
            mention = f"@{bot_name}" if rng.random() < 0.2 else ""
            emu.send_text(actor.user, chat, f"/{name}{mention} {rng.choice(ARGUMENTS)}".strip())
        else:
            fitting = answer_to(sent[-1].text or "") if sent else None
            if fitting and rng.random() < 0.9:
                # In a group the bot's questions are replies (ForceReply): answer as one.
                reply_to = sent[-1].message_id if chat < 0 else None
                emu.send_text(actor.user, chat, fitting, reply_to=reply_to)
            else:
                emu.send_text(actor.user, chat, rng.choice(TEXTS))

    for start in range(0, UPDATES, BATCH):
        for _ in range(min(BATCH, UPDATES - start)):
            act()
        await emu.wait_idle(timeout=30)

    errors = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]
    assert errors == []
    unanswered = [q for q in queries if emu.answer(q) is None]
    assert unanswered == [], f"{len(unanswered)} of {len(queries)} presses never answered"
    # The updates went deep enough to mean something: flows were finished on the way.
    assert len(queries) > UPDATES // 3
    finished = [
        await services.db.fetchval(f"SELECT COUNT(*) FROM {table}")
        for table in ("advice_requests", "campaigns", "alerts", "calendar_overrides")
    ]
    assert sum(finished) > 0, finished
    # Still alive and answering (in whichever language the fuzzing chose).
    assert "/help" in (await say(emu, eva, eva, "/help")).text
