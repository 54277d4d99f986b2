"""Shared steps of the off-site tests: real backups made by the real create."""

from __future__ import annotations

from pathlib import Path

from persistence.backup.create import create_backup
from persistence.core.settings import BackupSettings
from persistence.store.catalog import CompleteBackup, find_backup


def make_backup(settings: BackupSettings) -> CompleteBackup:
    result = create_backup(settings, prune=False)
    assert result.ok, result.error
    assert result.backup_id is not None
    return find_backup(settings.resolved().backup_dir, result.backup_id, latest=False)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
