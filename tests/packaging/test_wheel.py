"""The installed package is the product: a wheel built from a clean copy of the checkout,
installed (not editable) into a fresh virtual environment, runs every operator command with no
source tree anywhere near it.

Dependencies come from a local wheelhouse in the development venv (`--no-index`); only when it
misses something are they downloaded into it once (pip's cache makes that fast), so later runs
work offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"


def sh(*cmd: str | Path, cwd: Path | None = None, timeout: float = 120, stdin: str = "") -> str:
    """Run a command outside the checkout; its combined output, or a failure that shows it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"{cmd} exited {done.returncode}:\n{output}")
    return output


def clean_copy(target: Path) -> None:
    """What a fresh clone has: tracked files and new ones not ignored; no .venv, no .mo."""
    listed = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())


def install(venv: Path, *requirements: str | Path, find_links: Path) -> None:
    pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install")
    local = ("--no-index", "--find-links", WHEELHOUSE, "--find-links", find_links)
    try:
        sh(*pip, "--quiet", *local, *requirements, timeout=600)
    except AssertionError:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
        needed = project["dependencies"] + project["optional-dependencies"]["sandbox"]
        sh(
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--dest",
            WHEELHOUSE,
            *needed,
            timeout=600,
        )
        sh(*pip, "--quiet", *local, *requirements, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("build")
    clean_copy(work / "src")
    # `python -m build` builds the sdist and then the wheel from the unpacked sdist, so this
    # also proves that the sdist carries everything setup.py's build hook needs.
    sh(sys.executable, "-m", "build", "--no-isolation", "--outdir", work / "dist", work / "src")
    (found,) = (work / "dist").glob("buurtwacht-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("venv")
    sh(sys.executable, "-m", "venv", "--without-pip", folder)
    install(folder, wheel, find_links=wheel.parent)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory with nothing of the checkout in it."""
    return tmp_path


def test_the_package_runs_from_site_packages(venv: Path, outside: Path) -> None:
    where = sh(venv / "bin" / "python", "-c", "import bot; print(bot.__file__)", cwd=outside)
    assert Path(where.strip()).is_relative_to(venv)
    assert not Path(where.strip()).is_relative_to(ROOT)


def test_operator_commands(venv: Path, outside: Path) -> None:
    buurtwacht = venv / "bin" / "buurtwacht"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert sh(buurtwacht, "--version", cwd=outside).strip() == f"buurtwacht {version}"

    assert "wrote config.toml" in sh(buurtwacht, "init-config", "config.toml", cwd=outside)
    assert (outside / "config.toml").stat().st_mode & 0o777 == 0o600
    (outside / "config.toml").write_text("# mine\n", "utf-8")
    with pytest.raises(AssertionError, match="already exists"):
        sh(buurtwacht, "init-config", "config.toml", cwd=outside)
    assert (outside / "config.toml").read_text("utf-8") == "# mine\n"
    sh(buurtwacht, "init-config", "config.toml", "--force", cwd=outside)
    assert sh(buurtwacht, "init-config", "-", cwd=outside) == (outside / "config.toml").read_text()

    assert sh(buurtwacht, "check-config", "config.toml", cwd=outside).strip() == "OK"
    shown = sh(
        buurtwacht,
        "calendar",
        "show",
        "--from",
        "2027-01-01",
        "--to",
        "2027-01-31",
        "--municipality",
        "enschede",
        "--config",
        "config.toml",
        cwd=outside,
    )
    assert "2027-01" in shown and len(shown.splitlines()) >= 3
    assert sh(buurtwacht, "calendar", "check", cwd=outside).strip() == "OK"  # files shipped


async def test_run_answers_in_dutch(venv: Path, outside: Path, emu: BotApiEmulator) -> None:
    """`run` from the wheel: the compiled Dutch catalogue is there, or it would not start."""
    config = outside / "config.toml"
    sh(venv / "bin" / "buurtwacht", "init-config", config)
    text = config.read_text("utf-8")
    text = text.replace('path = "buurtwacht.sqlite3"', f'path = "{outside / "db.sqlite3"}"')
    config.write_text(text.replace('base_url = ""', f'base_url = "{emu.base_url}"'), "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = await asyncio.create_subprocess_exec(
        str(venv / "bin" / "buurtwacht"),
        "run",
        "--config",
        str(config),
        cwd=outside,
        env={**env, "TELEGRAM_BOT_TOKEN": emu.token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await emu.wait_for(lambda: emu.stats.requests["getUpdates"] > 0, timeout=60)
        user = emu.add_user("Anna", language_code="nl").id
        emu.send_text(user, user, "/start")
        (reply,) = await emu.wait_sent(user, 1, timeout=30)
        assert "Welkom bij Buurtwacht" in reply.text
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, out.decode()
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def test_demo_runs_from_the_plain_install(venv: Path, wheel: Path, outside: Path) -> None:
    """The emulator runs on aiohttp, which the bot needs anyway: no extra to install."""
    demo = venv / "bin" / "buurtwacht"
    chat = sh(demo, "demo", cwd=outside, stdin="/start\n:quit\n", timeout=120)
    assert "Welkom bij *Buurtwacht*" in chat  # the terminal shows bold as *...*
    assert "bye" in chat
    # Without the dashboard extra the demo runs all the same, and says how to get it.
    assert "The dashboard needs its extra: pip install 'buurtwacht[dashboard]'." in chat
