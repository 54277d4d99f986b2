"""Backup engine for apps that keep their state on disk and in Qdrant."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("app-backup")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

TOOL_NAME = "app-backup"
