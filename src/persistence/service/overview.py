"""What the backup root holds and how healthy it is: the listing, the status report, health.

Read by every shell on every render, so it stays on the store and the run log (no DuckDB, no
Qdrant, no cloud SDK).
"""

from __future__ import annotations

import shutil
from datetime import datetime

from pydantic import BaseModel

from persistence.core.paths import check_paths
from persistence.core.settings import BackupSettings
from persistence.monitoring.status import BackupFacts, HealthStatus, assess
from persistence.monitoring.status import compute_status as _compute_status
from persistence.schedule import ScheduleResult, ScheduleStatus
from persistence.schedule.for_settings import install_for, remove_for, status_for
from persistence.service.listing import BackupListing, footprint_of, listings_of, scan_all
from persistence.store.catalog import BACKUP_PREFIX, PRE_RESTORE_PREFIX
from persistence.store.locking import LockHolder, current_holder
from persistence.store.runlog import RunKind, RunRecord, last_run, read_runs


def lock_holder(settings: BackupSettings) -> LockHolder | None:
    return current_holder(check_paths(settings).backup_dir)


class StatusReport(BaseModel):
    backup_dir: str
    backup_count: int
    last_success_at: datetime | None
    last_run: RunRecord | None
    backups_bytes: int
    undo_count: int = 0  # pre-restore undo copies, kept apart from backups
    undo_bytes: int = 0
    free_bytes: int | None
    lock: LockHolder | None
    backups: list[BackupListing]  # what list_backups gives, from the same single scan


def status_report(settings: BackupSettings) -> StatusReport:
    """Health and the list of backups, reading every manifest and the run log once."""
    paths = check_paths(settings)
    scan = scan_all(paths.backup_dir)
    runs = read_runs(paths.backup_dir)
    footprint = footprint_of(paths.backup_dir, scan)
    complete = [b for b in scan.complete if b.backup_id.startswith(BACKUP_PREFIX)]
    undo = [b for b in scan.complete if b.backup_id.startswith(PRE_RESTORE_PREFIX)]
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
        # Real bytes on disk: a file hard-linked into several backups counts once.
        backups_bytes=footprint.disk_bytes,
        undo_count=len(undo),
        undo_bytes=sum(b.listed.total_bytes for b in undo),
        free_bytes=shutil.disk_usage(probe).free,
        lock=current_holder(paths.backup_dir),
        backups=listings_of(scan, runs, footprint),
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
    from persistence.offsite.commands import remote_newest  # the cloud SDKs: only here

    paths = check_paths(settings)
    return _compute_status(
        paths.backup_dir,
        settings.expected_interval_hours,
        remote_probe=lambda: remote_newest(settings),
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
