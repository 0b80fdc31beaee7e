"""The systemd units in deploy/ pass `systemd-analyze verify` and keep their hardening.

`verify` checks that every ExecStart program exists, so it runs against a throw-away root with
the documented install paths (and the host's own system units, which verify needs).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["buurtwacht.service", "buurtwacht-backup.service", "buurtwacht-backup.timer"]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def analyze() -> str:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: install Debian's systemd package (.ci/run does)"
    return tool


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with the installed program, find(1) and the system's units."""
    bin_dir = tmp_path / "opt/buurtwacht/venv/bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "buurtwacht").write_text("#!/bin/sh\n")
    (bin_dir / "buurtwacht").chmod(0o755)
    (tmp_path / "usr/bin").mkdir(parents=True)
    shutil.copy2("/usr/bin/find", tmp_path / "usr/bin/find")
    shutil.copytree(SYSTEM_UNITS, tmp_path / "usr/lib/systemd/system", symlinks=True)
    units = tmp_path / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy2(DEPLOY / unit, units / unit)
    return tmp_path


def settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_units_verify_without_a_single_warning(root: Path) -> None:
    done = subprocess.run(
        [analyze(), "verify", f"--root={root}", *(f"/etc/systemd/system/{u}" for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_a_misspelt_key_would_be_caught(root: Path) -> None:
    """verify only warns on unknown keys; the test above fails on any output, as here."""
    unit = root / "etc/systemd/system/buurtwacht.service"
    unit.write_text(unit.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    done = subprocess.run(
        [analyze(), "verify", f"--root={root}", "/etc/systemd/system/buurtwacht.service"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Unknown key 'NoNewPrivilege'" in done.stdout + done.stderr


def test_the_service_is_hardened(root: Path) -> None:
    s = settings("buurtwacht.service")
    assert s["User"] == ["buurtwacht"] and s["StateDirectory"] == ["buurtwacht"]
    assert s["ProtectSystem"] == ["strict"] and s["NoNewPrivileges"] == ["yes"]
    assert s["Restart"] == ["on-failure"] and s["RestartPreventExitStatus"] == ["2"]
    assert s["EnvironmentFile"] == ["/etc/buurtwacht/buurtwacht.env"]
    assert s["UMask"] == ["0077"] and s["CapabilityBoundingSet"] == [""]
    done = subprocess.run(
        [
            analyze(),
            "security",
            "--offline=yes",
            f"--root={root}",
            "--no-pager",
            "buurtwacht.service",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    level = re.search(r"Overall exposure level for buurtwacht.service: ([\d.]+)", done.stdout)
    assert level, done.stdout + done.stderr
    assert float(level.group(1)) <= 2.0  # systemd calls up to 2.0 "OK"


def test_the_backup_unit_runs_the_backup_command() -> None:
    s = settings("buurtwacht-backup.service")
    (command,) = s["ExecStart"]
    assert command.split()[:3] == [
        "/opt/buurtwacht/venv/bin/buurtwacht",
        "backup",
        "/var/backups/buurtwacht",
    ]
    assert "/var/backups/buurtwacht" in s["ReadWritePaths"][0]
    assert settings("buurtwacht-backup.timer")["Persistent"] == ["true"]
