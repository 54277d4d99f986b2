"""The service: every action a shell (CLI or panel) offers, as one typed call each."""

from __future__ import annotations

import importlib
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from persistence.browse.models import BackupContents, BackupDiff
from persistence.browse.verification import NEVER_VERIFIED, VerifyState, last_verifications
from persistence.core.paths import check_paths
from persistence.core.results import CreateResult, PruneResult, RunResult
from persistence.core.settings import BackupSettings
from persistence.monitoring.status import BackupFacts, BackupState, HealthStatus, assess
from persistence.monitoring.status import compute_status as _compute_status
from persistence.offsite.listing import RemoteBackupSummary
from persistence.offsite.results import (
    PullRunResult,
    PushRunResult,
    RemotePruneResult,
    RemoteVerifyResult,
)
from persistence.restore.extract_models import FileRestoreResult
from persistence.restore.models import ComponentPlan, RestorePlan, RestoreResult
from persistence.retention.prune import CalendarFlags, prune_backups
from persistence.schedule import Every, ScheduleResult, SchedulerKind, ScheduleStatus
from persistence.schedule.for_settings import install_for, remove_for, status_for
from persistence.store.catalog import (
    BACKUP_PREFIX,
    PRE_RESTORE_PREFIX,
    BackupScan,
    BackupSummary,
    disk_bytes,
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

if TYPE_CHECKING:
    from persistence.backup.startup import SnapshotReport, snapshot_now, snapshot_on_start
    from persistence.browse.commands import diff_backups, ls_backup
    from persistence.browse.files import backup_file_bytes
    from persistence.monitoring.health import QdrantHealth, QdrantMode, qdrant_health
    from persistence.offsite.commands import list_remote as list_remote_backups
    from persistence.offsite.commands import prune as prune_remote_backups
    from persistence.offsite.commands import pull as pull_backup
    from persistence.offsite.commands import push as push_backup
    from persistence.offsite.commands import verify as verify_remote_backup
    from persistence.offsite.flows import create_and_push as create_backup
    from persistence.offsite.flows import plan_from_remote, restore_from_remote
    from persistence.offsite.overview import RemoteOverview, remote_overview
    from persistence.restore.extract_run import restore_some
    from persistence.restore.run import plan_restore, restore_backup
    from persistence.verify.run import VerifyReport, verify_all, verify_backup

# Loaded on first use: they pull in DuckDB, httpx, the cloud SDKs and the Qdrant code, which
# commands such as list-backups and --help never need (and which cost most of a cold start).
# Every shell creates through create_and_push, so BACKUP_PUSH_AFTER_CREATE holds everywhere.
_LAZY: dict[str, tuple[str, str]] = {
    "QdrantHealth": ("persistence.monitoring.health", "QdrantHealth"),
    "QdrantMode": ("persistence.monitoring.health", "QdrantMode"),
    "RemoteOverview": ("persistence.offsite.overview", "RemoteOverview"),
    "SnapshotReport": ("persistence.backup.startup", "SnapshotReport"),
    "VerifyReport": ("persistence.verify.run", "VerifyReport"),
    "backup_file_bytes": ("persistence.browse.files", "backup_file_bytes"),
    "create_backup": ("persistence.offsite.flows", "create_and_push"),
    "diff_backups": ("persistence.browse.commands", "diff_backups"),
    "list_remote_backups": ("persistence.offsite.commands", "list_remote"),
    "ls_backup": ("persistence.browse.commands", "ls_backup"),
    "plan_from_remote": ("persistence.offsite.flows", "plan_from_remote"),
    "plan_restore": ("persistence.restore.run", "plan_restore"),
    "prune_remote_backups": ("persistence.offsite.commands", "prune"),
    "pull_backup": ("persistence.offsite.commands", "pull"),
    "push_backup": ("persistence.offsite.commands", "push"),
    "qdrant_health": ("persistence.monitoring.health", "qdrant_health"),
    "remote_overview": ("persistence.offsite.overview", "remote_overview"),
    "restore_backup": ("persistence.restore.run", "restore_backup"),
    "restore_from_remote": ("persistence.offsite.flows", "restore_from_remote"),
    "restore_some": ("persistence.restore.extract_run", "restore_some"),
    "snapshot_now": ("persistence.backup.startup", "snapshot_now"),
    "snapshot_on_start": ("persistence.backup.startup", "snapshot_on_start"),
    "verify_all": ("persistence.verify.run", "verify_all"),
    "verify_backup": ("persistence.verify.run", "verify_backup"),
    "verify_remote_backup": ("persistence.offsite.commands", "verify"),
}


def __getattr__(name: str) -> object:
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = found
    value: object = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "PRE_RESTORE_PREFIX",
    "BackupContents",
    "BackupDiff",
    "BackupListing",
    "BackupState",
    "CalendarFlags",
    "ComponentPlan",
    "CreateResult",
    "Every",
    "FileRestoreResult",
    "HealthStatus",
    "LockHolder",
    "PruneResult",
    "PullRunResult",
    "PushRunResult",
    "QdrantHealth",
    "QdrantMode",
    "RemoteBackupSummary",
    "RemoteOverview",
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
    "VerifyState",
    "backup_file_bytes",
    "backup_health",
    "create_backup",
    "diff_backups",
    "health_of_report",
    "list_backups",
    "list_remote_backups",
    "lock_holder",
    "ls_backup",
    "manifest_bytes_of",
    "plan_from_remote",
    "plan_restore",
    "prune_backups",
    "prune_remote_backups",
    "pull_backup",
    "push_backup",
    "qdrant_health",
    "remote_overview",
    "restore_backup",
    "restore_from_remote",
    "restore_some",
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


class BackupListing(BackupSummary):
    verified_at: datetime | None = None  # when it last passed
    last_verify: VerifyState = VerifyState.NEVER  # the verdict of its newest verification
    last_verify_at: datetime | None = None


def list_backups(settings: BackupSettings) -> list[BackupListing]:
    """Every backup and pre-restore copy in the root, oldest first; broken ones at the end."""
    paths = check_paths(settings)
    return _listings(_scan_all(paths.backup_dir), read_runs(paths.backup_dir))


def _scan_all(backup_dir: Path) -> BackupScan:
    return scan_backups(backup_dir, (BACKUP_PREFIX, PRE_RESTORE_PREFIX))


def _listings(scan: BackupScan, runs: list[RunRecord]) -> list[BackupListing]:
    verified = verified_at(runs)
    verdicts = last_verifications(runs)
    return [
        BackupListing(
            **summarize(b).model_dump(),
            verified_at=verified.get(b.backup_id),
            last_verify=verdicts.get(b.backup_id, NEVER_VERIFIED).state,
            last_verify_at=verdicts.get(b.backup_id, NEVER_VERIFIED).at,
        )
        for b in [*scan.complete, *scan.broken]
    ]


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
    undo_count: int = 0  # pre-restore undo copies, kept apart from backups
    undo_bytes: int = 0
    free_bytes: int | None
    lock: LockHolder | None
    backups: list[BackupListing]  # what list_backups gives, from the same single scan


def status_report(settings: BackupSettings) -> StatusReport:
    """Health and the list of backups, reading every manifest and the run log once."""
    paths = check_paths(settings)
    scan = _scan_all(paths.backup_dir)
    runs = read_runs(paths.backup_dir)
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
        backups_bytes=disk_bytes(paths.backup_dir) if paths.backup_dir.is_dir() else 0,
        undo_count=len(undo),
        undo_bytes=sum(b.manifest.total_bytes for b in undo),
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
