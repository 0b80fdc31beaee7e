"""The self-check's questions, each with the public advice it rests on.

The questions follow the requirements of the Politiekeurmerk Veilig Wonen (PKVW, the police
quality mark for safe housing) for existing homes and the everyday advice of the police and the
CCV (Centrum voor Criminaliteitspreventie en Veiligheid). `source` names where each one comes
from; the texts are our own. The cost ranges are our own rough estimates of Dutch consumer
prices (materials, and a locksmith where that is usual), not figures from those sources: they
are meant to show whether something costs nothing, tens or hundreds of euros.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class Option:
    """One answer button. `code` is its letter in the answer string; `points` is the share of
    the question's weight it earns, None when the question does not apply to this home."""

    code: str
    label: str
    points: float | None


@dataclass(frozen=True)
class Improvement:
    title: str
    why: str
    cost: str  # shown as is, e.g. "about €20–€80"
    cost_low: int  # euros; among equally important improvements the cheaper comes first


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    short: str  # how the team sees the question next to the answer
    options: tuple[Option, ...]
    weight: int  # 1-3: how much the measure matters against burglary
    improvement: Improvement
    source: str

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


YES = Option("y", N_("Yes"), 1.0)
NO = Option("n", N_("No"), 0.0)
ALWAYS = Option("y", N_("Always"), 1.0)
SOMETIMES = Option("p", N_("Sometimes"), 0.5)
PARTLY = Option("p", N_("Partly"), 0.5)
DONT_KNOW = Option("u", N_("I don't know"), 0.0)
NOT_THERE = Option("x", N_("I don't have one"), None)

QUESTIONS: tuple[Question, ...] = (
    Question(
        key="door_locks",
        text=N_(
            "Do the locks of your outside doors have the SKG mark with at least two stars (★★)?"
        ),
        short=N_("Outside doors: SKG locks with two stars or more"),
        options=(YES, NO, DONT_KNOW),
        weight=3,
        improvement=Improvement(
            title=N_("Locks with at least two SKG stars"),
            why=N_(
                "A lock with two SKG stars holds a burglar back for at least 3 minutes, three "
                "stars for at least 5. Most burglars give up before that. Not sure? Look for the "
                "stars on the lock cylinder."
            ),
            cost=N_("about €30–€80 per lock cylinder, €100–€250 per door fitted by a locksmith"),
            cost_low=30,
        ),
        source="politiekeurmerk.nl (PKVW Beveiligde Woning: certified locks on reachable doors); "
        "SKG stars: ** at least 3 minutes, *** at least 5 minutes",
    ),
    Question(
        key="turn_key",
        text=N_(
            "When you go out, do you lock the front and back door with the key, instead of only "
            "pulling them shut?"
        ),
        short=N_("Locks the doors with the key when going out"),
        options=(ALWAYS, SOMETIMES, NO),
        weight=3,
        improvement=Improvement(
            title=N_("Always lock the door with the key"),
            why=N_(
                "A door that is only pulled shut can often be opened with a plastic card in a "
                "few seconds. Turning the key locks the bolt."
            ),
            cost=N_("free"),
            cost_low=0,
        ),
        source="police and CCV everyday advice: lock with the key; a door only pulled shut can "
        "be opened with a card",
    ),
    Question(
        key="door_viewer",
        text=N_(
            "Can you see who is at the door before you open it (a door viewer, a door chain or a "
            "window)?"
        ),
        short=N_("Can see who is at the door"),
        options=(YES, NO),
        weight=1,
        improvement=Improvement(
            title=N_("A door viewer or a door chain"),
            why=N_(
                "You see who is there before you open the door. The police quality mark asks "
                "for this too."
            ),
            cost=N_("about €15–€60"),
            cost_low=15,
        ),
        source="politiekeurmerk.nl (PKVW Beveiligde Woning: seeing who is at the door)",
    ),
    Question(
        key="windows",
        text=N_(
            "Do the windows you can easily reach (ground floor, above a flat roof or a shed) "
            "have locks?"
        ),
        short=N_("Easy-to-reach windows have locks"),
        options=(YES, PARTLY, NO),
        weight=3,
        improvement=Improvement(
            title=N_("Locks on the windows you can reach"),
            why=N_(
                "Windows on the ground floor and above a flat roof are a common way in. A "
                "lockable handle or an extra lock makes a burglar give up sooner."
            ),
            cost=N_("about €20–€60 per window"),
            cost_low=20,
        ),
        source="politiekeurmerk.nl (PKVW Beveiligde Woning: certified locks on reachable windows)",
    ),
    Question(
        key="sliding_door",
        text=N_(
            "Is your sliding door or garden door secured against lifting out and forcing open "
            "(an anti-lift block, an extra lock)?"
        ),
        short=N_("Sliding or garden door secured"),
        options=(YES, NO, NOT_THERE),
        weight=2,
        improvement=Improvement(
            title=N_("Secure the sliding door"),
            why=N_(
                "Many sliding doors can be lifted out of their rails or pushed open at the side. "
                "An anti-lift block and an extra lock stop that."
            ),
            cost=N_("about €30–€150"),
            cost_low=30,
        ),
        source="politiekeurmerk.nl (PKVW Beveiligde Woning: certified locks on all reachable "
        "doors, sliding doors included)",
    ),
    Question(
        key="back_of_house",
        text=N_(
            "At the back of your home: is the garden gate locked, and is there nothing to climb "
            "on (a ladder, bins, garden furniture)?"
        ),
        short=N_("Back of the house: gate locked, nothing to climb on"),
        options=(YES, PARTLY, NO),
        weight=2,
        improvement=Improvement(
            title=N_("Lock the back and put away what burglars can climb on"),
            why=N_(
                "Burglars like the back of a house, where nobody sees them. A ladder, bins or "
                "garden furniture help them reach a window."
            ),
            cost=N_("about €0–€50 (a lock for the gate, a chain for the ladder)"),
            cost_low=0,
        ),
        source="police and CCV everyday advice: no ladders or bins against the house, keep "
        "shrubs low",
    ),
    Question(
        key="lighting",
        text=N_(
            "Is there a lamp at the front and back door that switches on by itself in the dark "
            "(a sensor or a dusk switch)?"
        ),
        short=N_("Outside lighting at front and back door"),
        options=(
            Option("y", N_("At both doors"), 1.0),
            Option("p", N_("At one door"), 0.5),
            NO,
        ),
        weight=2,
        improvement=Improvement(
            title=N_("Light at the front and back door"),
            why=N_(
                "A burglar does not want to be seen. A lamp with a sensor or a dusk switch "
                "makes your doors less attractive, also when you are not home."
            ),
            cost=N_("about €25–€100 per lamp"),
            cost_low=25,
        ),
        source="politiekeurmerk.nl (PKVW Beveiligde Woning: lighting at the front and back "
        "door); CCV: timer or sensor lighting",
    ),
    Question(
        key="shed",
        text=N_("Is your shed or garage locked with a strong lock, with ladders and tools inside?"),
        short=N_("Shed or garage locked, tools inside"),
        options=(YES, NO, NOT_THERE),
        weight=1,
        improvement=Improvement(
            title=N_("A strong lock on the shed"),
            why=N_(
                "A shed holds ladders and tools a burglar can use to get into your home, and "
                "bikes that are easy to take."
            ),
            cost=N_("about €20–€80 (a strong hasp and padlock)"),
            cost_low=20,
        ),
        source="police and CCV everyday advice: keep ladders and tools locked away",
    ),
    Question(
        key="keys",
        text=N_(
            "Are your keys out of sight and out of reach: not under the mat or in a flowerpot, "
            "and not near the letterbox?"
        ),
        short=N_("Keys out of sight and reach"),
        options=(YES, NO),
        weight=2,
        improvement=Improvement(
            title=N_("Keys out of sight and reach"),
            why=N_(
                "Burglars know the hiding places under the mat and in the flowerpot. Keys near "
                "the door can be fished through the letterbox."
            ),
            cost=N_("free, or about €10–€30 for a letterbox guard"),
            cost_low=0,
        ),
        source="police and CCV everyday advice: no key under the mat",
    ),
    Question(
        key="valuables",
        text=N_(
            "Have you noted the serial numbers of your valuables (phone, laptop, bike) and "
            "taken photos of things without one?"
        ),
        short=N_("Valuables registered (serial numbers, photos)"),
        options=(YES, PARTLY, NO),
        weight=1,
        improvement=Improvement(
            title=N_("Register your valuables"),
            why=N_(
                "With serial numbers and photos the police can trace stolen goods and give them "
                "back. On stopheling.nl anyone can check a serial number before buying second "
                "hand."
            ),
            cost=N_("free"),
            cost_low=0,
        ),
        source="Stop Heling (police, stopheling.nl): register serial numbers, photograph items "
        "without one",
    ),
    Question(
        key="neighbours",
        text=N_("Do your neighbours know when you are away, so they can keep an eye on your home?"),
        short=N_("Neighbours know when the home is empty"),
        options=(YES, SOMETIMES, NO),
        weight=1,
        improvement=Improvement(
            title=N_("Keep an eye out with your neighbours"),
            why=N_(
                "Neighbours who know you are away notice strange things sooner. They can empty "
                "your letterbox and open the curtains, so the house looks lived in."
            ),
            cost=N_("free"),
            cost_low=0,
        ),
        source="police and CCV holiday advice: ask neighbours to empty the letterbox; "
        "neighbourhood prevention (SAAR)",
    ),
    Question(
        key="windows_closed",
        text=N_(
            "When you go out, do you close every window, also upstairs and the small tilt windows?"
        ),
        short=N_("Closes every window when going out"),
        options=(ALWAYS, SOMETIMES, NO),
        weight=3,
        improvement=Improvement(
            title=N_("Close every window when you go out"),
            why=N_(
                "An open window is an invitation, also upstairs or a small tilt window. Most "
                "burglars look for an easy chance."
            ),
            cost=N_("free"),
            cost_low=0,
        ),
        source="police and CCV everyday advice: close windows even when briefly away; most "
        "burglars are opportunists (70-90 %)",
    ),
)
