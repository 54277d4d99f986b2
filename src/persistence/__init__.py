"""Backup engine for apps that keep their state on disk and in Qdrant."""

from functools import cache

TOOL_NAME = "app-backup"


@cache
def tool_version() -> str:
    """The installed package's version (read on demand: importlib.metadata is slow to load)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("app-backup")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
