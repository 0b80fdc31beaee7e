"""The self-check's questions, answers, score and improvements, without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.selfcheck.questions import QUESTIONS
from bot.selfcheck.scoring import complete, improvements, reminder_due, score, valid

BEST = "".join(q.options[0].code for q in QUESTIONS)
WORST = "".join(q.options[-1].code if q.options[-1].points == 0 else "n" for q in QUESTIONS)


def test_questions_are_complete() -> None:
    assert 10 <= len(QUESTIONS) <= 12
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q.source and q.improvement.cost and 1 <= q.weight <= 3, q.key
        assert len({o.code for o in q.options}) == len(q.options), q.key
        assert q.options[0].points == 1.0, q.key


def test_answers_are_checked() -> None:
    assert valid("") and valid("yn") and complete(BEST) and not complete("yn")
    assert not valid("z") and not valid(BEST + "y")
    assert not valid("yx")  # the second question has no "does not apply"
    assert valid("yyyyx")  # the sliding door does


def test_score_and_improvements() -> None:
    assert score(BEST) == 10 and improvements(BEST) == []
    assert score(WORST) == 0
    keys = [q.key for q in improvements(WORST)]
    # Weight 3 first; among equals the free measure before the paid one, then question order.
    assert keys == ["turn_key", "windows_closed", "windows"]
    # A home without a sliding door or shed is not scored on them.
    without = BEST[:4] + "x" + BEST[5:7] + "x" + BEST[8:]
    assert score(without) == 10


def test_reminder_at_ten_in_four_weeks() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    due = reminder_due(datetime(2026, 10, 20, 22, 30, tzinfo=UTC), tz)  # 00:30 on the 21st
    assert due == datetime(2026, 11, 18, 10, 0, tzinfo=tz)  # across the switch to winter time
