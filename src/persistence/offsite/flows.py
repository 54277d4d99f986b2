"""Commands that combine a remote step with a local one: pull then restore (create then push:
`create_push.py`)."""

from __future__ import annotations

from persistence.core.paths import check_paths
from persistence.core.progress import ProgressCallback, ignore_progress
from persistence.core.settings import BackupSettings
from persistence.offsite import commands
from persistence.offsite.results import PullRunResult
from persistence.remote.target import require_target
from persistence.restore.models import RestorePlan, RestoreResult
from persistence.restore.run import plan_restore, restore_backup
from persistence.store.catalog import scan_backups


def restore_from_remote(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    only: list[str] | None = None,
    force: bool = False,
    if_empty: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> RestoreResult:
    """restore-backup --from-remote: pull (unless already here), then restore as usual.

    With --if-empty a data root that already has its data is a no-op that never contacts the
    remote; an empty remote is not a failure (a container's very first start).
    """
    require_target(settings.remote)
    if if_empty and _already_in_place(settings, only):
        return RestoreResult(ok=True, nothing_to_do=True)
    pulled = commands.pull(settings, backup_id, progress=progress)
    if not pulled.ok:
        return RestoreResult(ok=False, error=pulled.error, exit_code=pulled.exit_code)
    if pulled.backup_id is None:
        return RestoreResult(ok=True, nothing_to_do=True, warnings=[_nothing(pulled)])
    return restore_backup(
        settings, pulled.backup_id, only=only, force=force, if_empty=if_empty, progress=progress
    )


def plan_from_remote(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    only: list[str] | None = None,
    if_empty: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> RestorePlan:
    """restore-backup --from-remote --dry-run: pulls the backup (the data is not touched)."""
    require_target(settings.remote)
    pulled = commands.pull(settings, backup_id, progress=progress)
    if not pulled.ok:
        return RestorePlan(ok=False, error=pulled.error, exit_code=pulled.exit_code)
    if pulled.backup_id is None:
        return RestorePlan(warnings=[_nothing(pulled)])
    return plan_restore(settings, pulled.backup_id, only=only, if_empty=if_empty)


def _nothing(pulled: PullRunResult) -> str:
    return f"{pulled.message}: nothing to restore"


def _already_in_place(settings: BackupSettings, only: list[str] | None) -> bool:
    if not scan_backups(check_paths(settings).backup_dir).complete:
        return False
    plan = plan_restore(settings, None, latest=True, only=only, if_empty=True)
    return plan.ok and plan.nothing_to_do and not plan.problems
