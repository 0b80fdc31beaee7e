"""The self-check's texts: a question, the result, the answers as the team sees them, and the
reminder four weeks later."""

from __future__ import annotations

from bot.i18n import Translator
from bot.selfcheck.questions import QUESTIONS, Question
from bot.selfcheck.scoring import improvements, score


def question(_: Translator, index: int) -> str:
    head = _("<b>Home self-check</b> · question {n} of {total}", n=index + 1, total=len(QUESTIONS))
    return f"{head}\n\n{_(QUESTIONS[index].text)}"


def intro(_: Translator) -> str:
    return _(
        "How well is your home protected against burglary? {total} short questions, about two "
        "minutes. Afterwards you get a score and the three most important improvements for your "
        "home. I do not keep your answers, unless you ask me for a reminder or send them with a "
        "request for advice.",
        total=len(QUESTIONS),
    )


def _improvement(_: Translator, number: int, item: Question) -> str:
    return _(
        "{number}. <b>{title}</b>\n{why}\n<i>Cost: {cost}</i>",
        number=number,
        title=_(item.improvement.title),
        why=_(item.improvement.why),
        cost=_(item.improvement.cost),
    )


def result(_: Translator, answers: str) -> str:
    parts = [_("<b>Your score: {score} out of 10</b>", score=score(answers))]
    top = improvements(answers)
    if top:
        parts.append(_("The most important improvements for your home:"))
        parts += [_improvement(_, n, item) for n, item in enumerate(top, 1)]
    else:
        parts.append(_("Well done: your home has every measure this check asks about."))
    parts.append(
        _(
            "These are tips, based on the advice of the police and the police quality mark "
            "(PKVW). A prevention adviser can look at your home with you."
        )
    )
    return "\n\n".join(parts)


def answer_lines(_: Translator, answers: str) -> list[str]:
    """Each question and the resident's answer, for the prevention team (no score)."""
    lines = []
    for item, code in zip(QUESTIONS, answers, strict=False):
        option = item.option(code)
        if option is not None:
            lines.append(
                _("• {question}: {answer}", question=_(item.short), answer=_(option.label))
            )
    return lines


def reminder(_: Translator, answers: str, advice_command: bool) -> str:
    lines = [
        _(
            "<b>Four weeks ago you did the home self-check.</b> Did you manage to make these "
            "improvements?"
        ),
        "",
        *(
            _("{number}. {title}", number=n, title=_(item.improvement.title))
            for n, item in enumerate(improvements(answers), 1)
        ),
        "",
        _("Do the check again with /selfcheck to see your new score."),
    ]
    if advice_command:
        lines.append(_("Would you like an adviser to look with you? Send /advice."))
    return "\n".join(lines)
