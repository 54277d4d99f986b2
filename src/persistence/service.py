"""The service: every action a shell (CLI or panel) offers, as one typed call each."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from persistence.backup.startup import SnapshotReport, snapshot_now, snapshot_on_start
from persistence.core.paths import check_paths
from persistence.core.results import CreateResult, PruneResult, RunResult
from persistence.core.settings import BackupSettings
from persistence.monitoring.health import QdrantHealth, QdrantMode, qdrant_health
from persistence.monitoring.status import BackupFacts, BackupState, HealthStatus, assess
from persistence.monitoring.status import compute_status as _compute_status
from persistence.offsite import commands as remote_commands
from persistence.offsite.flows import create_and_push, plan_from_remote, restore_from_remote
from persistence.offsite.listing import RemoteBackupSummary
from persistence.offsite.results import (
    PullRunResult,
    PushRunResult,
    RemotePruneResult,
    RemoteVerifyResult,
)
from persistence.restore.models import ComponentPlan, RestorePlan, RestoreResult
from persistence.restore.run import plan_restore, restore_backup
from persistence.retention.prune import prune_backups
from persistence.schedule import Every, ScheduleResult, SchedulerKind, ScheduleStatus
from persistence.schedule.for_settings import install_for, remove_for, status_for
from persistence.store.catalog import (
    BACKUP_PREFIX,
    PRE_RESTORE_PREFIX,
    BackupScan,
    BackupSummary,
    find_backup,
    scan_backups,
    summarize,
)
from persistence.store.locking import LockHolder, current_holder
from persistence.store.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from persistence.store.manifest_io import read_capped
from persistence.store.runlog import (
    RunKind,
    RunRecord,
    last_run,
    read_runs,
    verified_at,
)
from persistence.verify.run import VerifyReport, verify_all, verify_backup

__all__ = [
    "PRE_RESTORE_PREFIX",
    "BackupListing",
    "BackupState",
    "ComponentPlan",
    "CreateResult",
    "Every",
    "HealthStatus",
    "LockHolder",
    "PruneResult",
    "PullRunResult",
    "PushRunResult",
    "QdrantHealth",
    "QdrantMode",
    "RemoteBackupSummary",
    "RemotePruneResult",
    "RemoteVerifyResult",
    "RestorePlan",
    "RestoreResult",
    "RunRecord",
    "RunResult",
    "ScheduleResult",
    "ScheduleStatus",
    "SchedulerKind",
    "SnapshotReport",
    "StatusReport",
    "VerifyReport",
    "backup_health",
    "create_backup",
    "health_of_report",
    "list_backups",
    "list_remote_backups",
    "lock_holder",
    "manifest_bytes_of",
    "plan_from_remote",
    "plan_restore",
    "prune_backups",
    "prune_remote_backups",
    "pull_backup",
    "push_backup",
    "qdrant_health",
    "restore_backup",
    "restore_from_remote",
    "schedule_install",
    "schedule_remove",
    "schedule_status",
    "snapshot_now",
    "snapshot_on_start",
    "status_report",
    "verify_all",
    "verify_backup",
    "verify_remote_backup",
]

# Every shell creates through this, so BACKUP_PUSH_AFTER_CREATE holds for the panel as well.
create_backup = create_and_push
push_backup = remote_commands.push
pull_backup = remote_commands.pull
list_remote_backups = remote_commands.list_remote
verify_remote_backup = remote_commands.verify
prune_remote_backups = remote_commands.prune


class BackupListing(BackupSummary):
    verified_at: datetime | None = None


def list_backups(settings: BackupSettings) -> list[BackupListing]:
    """Every backup and pre-restore copy in the root, oldest first; broken ones at the end."""
    paths = check_paths(settings)
    return _listings(_scan_all(paths.backup_dir), read_runs(paths.backup_dir))


def _scan_all(backup_dir: Path) -> BackupScan:
    return scan_backups(backup_dir, (BACKUP_PREFIX, PRE_RESTORE_PREFIX))


def _listings(scan: BackupScan, runs: list[RunRecord]) -> list[BackupListing]:
    verified = verified_at(runs)
    listings = [
        BackupListing(**summarize(b).model_dump(), verified_at=verified.get(b.backup_id))
        for b in scan.complete
    ]
    listings += [BackupListing(**summarize(b).model_dump()) for b in scan.broken]
    return listings


def lock_holder(settings: BackupSettings) -> LockHolder | None:
    return current_holder(check_paths(settings).backup_dir)


def manifest_bytes_of(settings: BackupSettings, backup_id: str) -> bytes:
    """The exact bytes of a backup's manifest.json (for download)."""
    backup = find_backup(check_paths(settings).backup_dir, backup_id, latest=False)
    data, _ = read_capped(backup.path / MANIFEST_NAME, MAX_MANIFEST_BYTES, "manifest")
    return data


class StatusReport(BaseModel):
    backup_dir: str
    backup_count: int
    last_success_at: datetime | None
    last_run: RunRecord | None
    backups_bytes: int
    free_bytes: int | None
    lock: LockHolder | None
    backups: list[BackupListing]  # what list_backups gives, from the same single scan


def status_report(settings: BackupSettings) -> StatusReport:
    """Health and the list of backups, reading every manifest and the run log once."""
    paths = check_paths(settings)
    scan = _scan_all(paths.backup_dir)
    runs = read_runs(paths.backup_dir)
    complete = [b for b in scan.complete if b.backup_id.startswith(BACKUP_PREFIX)]
    success = last_run(runs, RunKind.CREATE, ok=True)
    newest = complete[-1].created_at if complete else None
    last_success = max(
        (t for t in (newest, success.finished_at if success else None) if t is not None),
        default=None,
    )
    probe = paths.backup_dir if paths.backup_dir.exists() else paths.data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return StatusReport(
        backup_dir=str(paths.backup_dir),
        backup_count=len(complete),
        last_success_at=last_success,
        last_run=last_run(runs, RunKind.CREATE),
        backups_bytes=sum(b.manifest.total_bytes for b in complete),
        free_bytes=shutil.disk_usage(probe).free,
        lock=current_holder(paths.backup_dir),
        backups=_listings(scan, runs),
    )


def schedule_install(
    settings: BackupSettings, *, every: str = "daily", at: str | None = None, dry_run: bool = False
) -> ScheduleResult:
    """Register create-backup for this data root with the system's scheduler (replaces)."""
    return install_for(settings, every=every, at=at, dry_run=dry_run)


def schedule_status(settings: BackupSettings) -> ScheduleStatus:
    return status_for(settings)


def schedule_remove(settings: BackupSettings) -> ScheduleResult:
    return remove_for(settings)


def backup_health(settings: BackupSettings) -> HealthStatus:
    """ok / late / failing / never (raises BackupError on unusable settings)."""
    paths = check_paths(settings)
    return _compute_status(
        paths.backup_dir,
        settings.expected_interval_hours,
        remote_probe=lambda: remote_commands.remote_newest(settings),
    )


def health_of_report(report: StatusReport, expected_interval_hours: float) -> HealthStatus:
    """The same verdict as `backup_health`, from the listing a status report already read."""
    complete = [b for b in report.backups if b.valid and b.kind == "backup" and b.created_at]
    newest = None
    if complete:
        item = complete[-1]  # the listing is oldest first
        assert item.created_at is not None
        newest = BackupFacts(item.backup_id, item.created_at, item.size_bytes)
    return assess(report.backup_dir, newest, report.last_run, expected_interval_hours)
