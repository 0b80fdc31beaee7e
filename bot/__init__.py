"""Buurtwacht: the chat interface, storage, configuration and wiring."""

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written)."""
    try:
        return version("buurtwacht")
    except PackageNotFoundError:  # a bare checkout on sys.path, never installed
        return "unknown"
