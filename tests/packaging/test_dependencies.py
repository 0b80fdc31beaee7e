"""Every third-party module the code imports is a declared requirement of the part that imports
it: the bot's runtime, the sandbox extra, or the test and dev extras. A module that is only
present because something else pulled it in (python-dateutil was) breaks a clean install."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
OWN = {"bot", "scheduler", "messages", "tests", "bench", "tools"}


def declared(*groups: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names: set[str] = set()
    for group in groups:
        lines = project["dependencies"] if group == "" else project["optional-dependencies"][group]
        for line in lines:
            requirement = Requirement(line)
            names.add(canonicalize_name(requirement.name))
            # "python-telegram-bot[webhooks]" also brings the extra's own packages (tornado)
            names.update(f"{canonicalize_name(requirement.name)}[{e}]" for e in requirement.extras)
    return names


def imported_top_levels(paths: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in paths:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*.py"))
        for file in files:
            for node in ast.walk(ast.parse(file.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], file)
    return found


def undeclared(paths: list[Path], allowed: set[str], exclude: tuple[Path, ...] = ()) -> list[str]:
    dists = packages_distributions()
    allowed = allowed | brought_by_extras(allowed)
    problems = []
    for module, file in sorted(imported_top_levels(paths).items()):
        if any(file.is_relative_to(folder) for folder in exclude):
            continue
        if module in OWN or module in sys.stdlib_module_names or module == "__future__":
            continue
        owners = {canonicalize_name(d) for d in dists.get(module, [])}
        if not owners:
            problems.append(f"{module} (in {file.relative_to(ROOT)}): not installed at all")
        elif not owners & allowed:
            problems.append(f"{module} (in {file.relative_to(ROOT)}): from {sorted(owners)}")
    return problems


def brought_by_extras(allowed: set[str]) -> set[str]:
    """tornado comes with python-telegram-bot[webhooks]: allowed where that extra is declared."""
    names = set()
    for item in allowed:
        if "[" not in item:
            continue
        parent, extra = item.rstrip("]").split("[")
        for line in requires(parent) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
                names.add(canonicalize_name(requirement.name))
    return names


# The optional extras' code: the sandbox, and the dashboard's web side (its package's
# __init__ and initdata use the standard library only and stay in the runtime check).
EXTRAS = {
    "sandbox": (ROOT / "bot" / "sandbox",),
    "dashboard": tuple(
        path
        for path in (ROOT / "bot" / "dashboard").glob("*.py")
        if path.name not in ("__init__.py", "initdata.py")
    ),
}


def test_runtime_imports_are_runtime_dependencies() -> None:
    paths = [ROOT / "bot", ROOT / "scheduler", ROOT / "messages"]
    excluded = tuple(path for paths in EXTRAS.values() for path in paths)
    assert undeclared(paths, declared(""), exclude=excluded) == []


def test_dashboard_imports_are_in_the_dashboard_extra() -> None:
    assert undeclared([ROOT / "bot" / "dashboard"], declared("", "dashboard")) == []


def test_sandbox_imports_are_in_the_sandbox_extra() -> None:
    assert undeclared(list(EXTRAS["sandbox"]), declared("", "sandbox")) == []


def test_test_and_bench_imports_are_in_the_dev_extras() -> None:
    paths = [ROOT / "tests", ROOT / "bench", ROOT / "tools", ROOT / "setup.py"]
    assert undeclared(paths, declared("", "sandbox", "test", "dev")) == []
