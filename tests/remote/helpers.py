"""Shared steps of the off-site tests: real backups made by the real create."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PushedBackup:
    """A backup of `storage/` made and pushed to a folder remote through the real CLI, then
    deleted locally, so that the next pull has to bring it back."""

    env: dict[str, str]
    data: Path
    remote: Path
    backup_id: str

    @property
    def local(self) -> Path:
        return self.data / "backups" / self.backup_id


def push_storage(tmp_path: Path, files: dict[str, bytes]) -> PushedBackup:
    from tests.restore.support import cli_env
    from tests.support.cli import run_json

    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    for name, content in files.items():
        (storage / name).write_bytes(content)
    remote = tmp_path / "remote"
    remote.mkdir()
    env = cli_env(data, BACKUP_REMOTE=f"file://{remote}")
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created
    code, pushed = run_json("push-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, pushed
    backup = PushedBackup(env, data, remote, str(created["backup_id"]))
    shutil.rmtree(backup.local)
    return backup
