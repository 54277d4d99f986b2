"""Where a backup's objects live on a remote: `YYYY/MM/DD/<backup_id>/<relative path>`.

The date is the backup's UTC creation date. `manifest.json` and its sidecar go up last: they
are the commit marker. A `.pruning` marker is the tool's own index of a delete in progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, ComponentStatus, Manifest

PRUNING_MARKER = ".pruning"
COMMIT_NAMES = (MANIFEST_NAME, SIDECAR_NAME)
# DOTALL and fullmatch: a file name may hold a newline, even end with one.
_KEY = re.compile(r"(\d{4})/(\d{2})/(\d{2})/([^/]+)/(.+)", re.DOTALL)


def backup_base(backup_id: str, created_at: datetime) -> str:
    return f"{created_at.astimezone(UTC):%Y/%m/%d}/{backup_id}"


@dataclass(frozen=True)
class BackupObject:
    """One data object of a backup: its key below the backup's base, size and sha256."""

    relative: str  # "<component>/<path>", as in the local backup folder
    size: int
    sha256: str


def data_objects(manifest: Manifest) -> list[BackupObject]:
    """Every regular file the manifest records; folders and symlinks live in the manifest only."""
    found: list[BackupObject] = []
    for component in manifest.components:
        if component.status is not ComponentStatus.CAPTURED:
            continue
        for record in component.files:
            if record.kind == "file" and record.sha256 is not None:
                found.append(
                    BackupObject(f"{component.name}/{record.path}", record.size, record.sha256)
                )
    return found


@dataclass(frozen=True)
class ParsedKey:
    base: str  # YYYY/MM/DD/<backup_id>
    backup_id: str
    relative: str


def parse_key(key: str) -> ParsedKey | None:
    """The backup a key belongs to, or None for a key outside the layout."""
    match = _KEY.fullmatch(key)
    if match is None:
        return None
    year, month, day, backup_id, relative = match.groups()
    return ParsedKey(f"{year}/{month}/{day}/{backup_id}", backup_id, relative)
