"""What backups a remote holds, and whether each is complete.

Complete means: manifest and sidecar present, the manifest matches its sidecar and parses as
one of ours, it names the backup its folder says, and every object it lists exists with the
listed size. Anything else is listed as incomplete with the reason.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from persistence.core.errors import BackupError
from persistence.offsite.layout import (
    PRUNING_MARKER,
    backup_base,
    data_objects,
    parse_key,
)
from persistence.remote.base import ObjectInfo, Remote
from persistence.store.catalog import BackupSummary
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, Manifest, load_manifest


@dataclass
class RemoteBackup:
    backup_id: str
    base: str
    objects: dict[str, ObjectInfo] = field(default_factory=lambda: {})  # by relative key
    manifest: Manifest | None = None
    manifest_data: bytes = b""
    sidecar_data: bytes = b""
    problem: str | None = None

    @property
    def created_at(self) -> datetime:
        return self.manifest.started_at if self.manifest else datetime.min.replace(tzinfo=UTC)

    @property
    def complete(self) -> bool:
        return self.manifest is not None and self.problem is None


class RemoteBackupSummary(BackupSummary):
    verified_at: datetime | None = None  # last passing verify-backup --remote run recorded here
    location: Literal["remote"] = "remote"


def scan_remote(remote: Remote) -> list[RemoteBackup]:
    """Every backup on the remote, oldest first (by id: ids sort by creation time)."""
    groups: dict[str, RemoteBackup] = {}
    for info in remote.list_objects():
        parsed = parse_key(info.key)
        if parsed is None:
            continue
        group = groups.setdefault(parsed.base, RemoteBackup(parsed.backup_id, parsed.base))
        group.objects[parsed.relative] = info
    found = sorted(groups.values(), key=lambda b: (b.backup_id, b.base))
    for backup in found:
        _judge(remote, backup)
    return found


def _judge(remote: Remote, backup: RemoteBackup) -> None:
    if PRUNING_MARKER in backup.objects:
        backup.problem = "being deleted: a remote prune stopped half-way (the next one finishes)"
        return
    if MANIFEST_NAME not in backup.objects or SIDECAR_NAME not in backup.objects:
        backup.problem = "no manifest: an upload that has not finished (push again to resume)"
        return
    try:
        backup.manifest_data, backup.sidecar_data, manifest = _read_manifest(remote, backup)
    except BackupError as exc:
        backup.problem = f"unreadable manifest: {exc.message}"
        return
    expected = backup_base(manifest.backup_id, manifest.started_at)
    if manifest.backup_id != backup.backup_id or expected != backup.base:
        backup.problem = f"the manifest describes {manifest.backup_id}, stored at {expected}"
        return
    for item in data_objects(manifest):
        have = backup.objects.get(item.relative)
        if have is None:
            backup.problem = f"{item.relative} is missing"
            return
        if have.size != item.size:
            backup.problem = f"{item.relative} has {have.size} bytes, the manifest says {item.size}"
            return
    backup.manifest = manifest


def _read_manifest(remote: Remote, backup: RemoteBackup) -> tuple[bytes, bytes, Manifest]:
    """Fetch both commit files and check them with the same code that reads local backups."""
    with tempfile.TemporaryDirectory(prefix="app-backup-manifest-") as folder:
        where = Path(folder)
        for name in (MANIFEST_NAME, SIDECAR_NAME):
            with (where / name).open("wb") as sink:
                remote.download(f"{backup.base}/{name}", sink)
        manifest = load_manifest(where)
        return (where / MANIFEST_NAME).read_bytes(), (where / SIDECAR_NAME).read_bytes(), manifest


def summarize_remote(
    remote: Remote, backup: RemoteBackup, verified: datetime | None = None
) -> RemoteBackupSummary:
    manifest = backup.manifest
    stored = sum(o.size for o in backup.objects.values())
    return RemoteBackupSummary(
        backup_id=backup.backup_id,
        path=f"{remote.display}/{backup.base}",
        created_at=manifest.started_at if manifest else None,
        size_bytes=manifest.total_bytes if manifest else stored,
        valid=backup.complete,
        problem=backup.problem,
        components={c.name: c.status.value for c in manifest.components} if manifest else {},
        verified_at=verified,
    )


def find_remote(backups: list[RemoteBackup], backup_id: str | None) -> RemoteBackup | None:
    """The complete remote backup named `backup_id`, or the newest complete one."""
    complete = [b for b in backups if b.complete]
    if backup_id is None:
        return max(complete, key=lambda b: (b.created_at, b.backup_id), default=None)
    return next((b for b in complete if b.backup_id == backup_id), None)
