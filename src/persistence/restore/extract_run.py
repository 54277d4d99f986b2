"""The run around restoring files elsewhere or a few in place: under the lock, recorded."""

from __future__ import annotations

from pathlib import Path

from persistence.core.settings import BackupSettings
from persistence.restore.extract import Request, restore_files
from persistence.restore.extract_models import FileRestoreResult
from persistence.runs.wrapper import Command, LogEntry, MissingRoot, RunScope, run_command
from persistence.store.catalog import find_backup
from persistence.store.runlog import RunKind


def restore_some(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    latest: bool = False,
    target: Path | None = None,
    paths: list[str] | None = None,
    qdrant_prefix: str | None = None,
    dry_run: bool = False,
) -> FileRestoreResult:
    """`restore-backup --target DIR` and/or `--path PATH`. Never raises for expected failures."""
    request = Request(target, list(paths or []), qdrant_prefix, dry_run)

    def body(scope: RunScope) -> FileRestoreResult:
        backup = find_backup(scope.paths.backup_dir, backup_id, latest=latest)
        return restore_files(scope.settings, scope.paths, backup, request)

    def log(result: FileRestoreResult) -> list[LogEntry]:
        if dry_run:
            return []
        where = f"into {result.target}" if result.target else "in place"
        summary = f"restored {len(result.written)} files {where}"
        return [
            LogEntry(ok=result.ok, backup_id=result.backup_id, error=result.error, summary=summary)
        ]

    command = Command(
        label="restore-backup --target" if target is not None else "restore-backup --path",
        kind=RunKind.RESTORE,
        failed=lambda message, code: FileRestoreResult(
            ok=False, backup_id=backup_id, error=message, exit_code=code, dry_run=dry_run
        ),
        log=log,
        missing_root=MissingRoot.UNLOCKED,
    )
    return run_command(settings, command, body)
