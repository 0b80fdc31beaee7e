"""Answers, score and the most important improvements.

Answers are one letter per question (the option's code) in question order, e.g. "ynpy...". That
string is all the check needs: it travels in the buttons' callback data while the resident
answers, so nothing about the home is kept on our side unless they ask for the reminder or
attach the answers to an advice request.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo

from bot.selfcheck.questions import QUESTIONS, Question

ANSWER_CHARS = "ynpux"
ANSWERS_RE = f"[{ANSWER_CHARS}]{{0,{len(QUESTIONS)}}}"
COMPLETE_RE = f"[{ANSWER_CHARS}]{{{len(QUESTIONS)}}}"
TOP = 3
REMIND_AFTER = timedelta(weeks=4)
REMIND_AT = time(10, 0)  # local time; outside the quiet hours of private chats


def valid(answers: str, *, complete: bool = False) -> bool:
    """Every letter is an option of its question; `complete`: every question is answered."""
    if len(answers) > len(QUESTIONS) or (complete and len(answers) != len(QUESTIONS)):
        return False
    if not re.fullmatch(ANSWERS_RE, answers):
        return False
    return all(q.option(code) is not None for q, code in zip(QUESTIONS, answers, strict=False))


def complete(answers: str) -> bool:
    return valid(answers, complete=True)


def _earned(question: Question, code: str) -> float | None:
    option = question.option(code)
    assert option is not None
    return None if option.points is None else option.points


def score(answers: str) -> int:
    """0-10: the weighted share of the measures this home has (questions that do not apply
    do not count)."""
    earned = possible = 0.0
    for question, code in zip(QUESTIONS, answers, strict=True):
        points = _earned(question, code)
        if points is not None:
            earned += question.weight * points
            possible += question.weight
    return round(10 * earned / possible) if possible else 10


def improvements(answers: str, limit: int = TOP) -> list[Question]:
    """The questions whose measure would help this home most: the biggest weighted gap first,
    then the cheaper measure, then question order."""
    gaps = []
    for index, (question, code) in enumerate(zip(QUESTIONS, answers, strict=True)):
        points = _earned(question, code)
        if points is not None and points < 1:
            gap = question.weight * (1 - points)
            gaps.append((-gap, question.improvement.cost_low, index, question))
    return [question for *_, question in sorted(gaps)[:limit]]


def reminder_due(now: datetime, tz: tzinfo) -> datetime:
    """Four weeks from today, at 10:00 local time."""
    day = now.astimezone(tz).date() + REMIND_AFTER
    return datetime.combine(day, REMIND_AT, tzinfo=tz)
