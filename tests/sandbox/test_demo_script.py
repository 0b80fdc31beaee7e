"""`buurtwacht demo` fed from a pipe prints every reply before it reads the next line, also a
reply the bot's limiter holds back (a group's second message within a second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(sys.executable).with_name("buurtwacht")


def test_a_piped_group_command_right_after_the_intro_gets_its_answer(tmp_path: Path) -> None:
    script = ":chat 2\n/aanmelden\n:press 1\n:quit\n"
    done = subprocess.run(
        [str(DEMO), "demo", "--data-dir", str(tmp_path)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    chat = done.stdout.split("Anna → Buurtpreventie Roombeek: /aanmelden", 1)[1]
    # The group's wizard asks for the municipality, and the press goes to that question.
    assert "In welke gemeente" in chat
    assert "Anna pressed [1] Enschede" in chat and "Welke buurt in Enschede?" in chat
    assert "no bot message with buttons" not in chat
