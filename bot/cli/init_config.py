"""`buurtwacht init-config PATH`: write the commented example configuration to start from."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.config import example_config_text


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("init-config", help="write the example configuration to PATH")
    parser.add_argument("path", type=Path, help="where to write it; - for standard output")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(func=init_config)


def init_config(args: argparse.Namespace) -> int:
    path: Path = args.path
    if str(path) == "-":  # e.g. out of a container: docker run --rm IMAGE init-config -
        sys.stdout.write(example_config_text())
        return 0
    if path.exists() and not args.force:
        print(f"{path} already exists; not overwritten (use --force to replace it)")
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600 from the first byte: no window in which others can read it. No secrets go in it,
    # but it names the admins; deploy/README.md shows how to share it with the service's group.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(example_config_text())
    os.chmod(path, 0o600)  # an existing file replaced with --force keeps its mode otherwise
    print(f"wrote {path}: put your Telegram user id in [admins] user_ids, then run")
    print(f"  buurtwacht check-config {path}")
    return 0
