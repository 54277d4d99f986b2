"""Checks and copies that read a compressed backup file as the bytes it stands for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from persistence.core.codec import readable_original
from persistence.store.manifest import FileRecord


def check_original(path: Path, item: FileRecord, check: Callable[[Path], str | None]) -> str | None:
    """Run a content check on the original bytes; a compressed copy must first decompress to
    the size and sha256 recorded for its original."""
    try:
        with readable_original(path, item.codec) as (plain, original):
            if original is not None and (
                original.size != item.original_size or original.sha256 != item.original_sha256
            ):
                return "decompresses to bytes that differ from the recorded original sha256"
            return check(plain)
    except OSError as exc:
        return f"cannot decompress it: {exc}"


def content_sha256(item: FileRecord) -> str | None:
    """The sha256 of the bytes a restore writes (the original's, for a compressed copy)."""
    return item.original_sha256 if item.codec is not None else item.sha256


def content_size(item: FileRecord) -> int:
    """The size of the bytes a restore writes."""
    return (
        item.original_size
        if item.codec is not None and item.original_size is not None
        else item.size
    )
