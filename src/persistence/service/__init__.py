"""The service: every action a shell (CLI or panel) offers, as one typed call each.

Every name is loaded on first use. A shell imports this module at start-up, and `--help`,
`list-backups` and the panel's first render must not pay for DuckDB, httpx, the cloud SDKs or
the Qdrant code (nor, for `--help`, for pydantic): each name comes from its own module the
first time it is read. The TYPE_CHECKING block gives type checkers the same names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from persistence.backup.startup import SnapshotReport, snapshot_now, snapshot_on_start
    from persistence.browse.commands import diff_backups, ls_backup
    from persistence.browse.files import backup_file_bytes
    from persistence.browse.models import BackupContents, BackupDiff, FileEntry
    from persistence.browse.verification import VerifyState
    from persistence.core.results import CreateResult, PruneResult, RunResult
    from persistence.monitoring.health import QdrantHealth, QdrantMode, qdrant_health
    from persistence.monitoring.status import BackupState, HealthStatus
    from persistence.offsite.commands import list_remote as list_remote_backups
    from persistence.offsite.commands import prune as prune_remote_backups
    from persistence.offsite.commands import pull as pull_backup
    from persistence.offsite.commands import push as push_backup
    from persistence.offsite.commands import verify as verify_remote_backup
    from persistence.offsite.create_push import create_and_push as create_backup
    from persistence.offsite.flows import plan_from_remote, restore_from_remote
    from persistence.offsite.listing import RemoteBackupSummary
    from persistence.offsite.overview import RemoteOverview, remote_overview
    from persistence.offsite.results import (
        PullRunResult,
        PushRunResult,
        RemotePruneResult,
        RemoteVerifyResult,
    )
    from persistence.restore.extract_models import FileRestoreResult
    from persistence.restore.extract_run import restore_some
    from persistence.restore.models import ComponentPlan, RestorePlan, RestoreResult
    from persistence.restore.run import plan_restore, restore_backup
    from persistence.retention.prune import CalendarFlags, prune_backups
    from persistence.schedule import Every, ScheduleResult, SchedulerKind, ScheduleStatus
    from persistence.service.listing import (
        BackupListing,
        ListingReport,
        backups_disk_bytes,
        list_backups,
        listing_report,
        manifest_bytes_of,
    )
    from persistence.service.overview import (
        StatusReport,
        backup_health,
        health_of_report,
        lock_holder,
        schedule_install,
        schedule_remove,
        schedule_status,
        status_report,
    )
    from persistence.store.catalog import PRE_RESTORE_PREFIX
    from persistence.store.locking import LockHolder
    from persistence.store.runlog import RunRecord
    from persistence.verify.run import VerifyReport, verify_all, verify_backup

# name -> (module, attribute in it)
_LAZY: dict[str, tuple[str, str]] = {
    "BackupContents": ("persistence.browse.models", "BackupContents"),
    "BackupDiff": ("persistence.browse.models", "BackupDiff"),
    "FileEntry": ("persistence.browse.models", "FileEntry"),
    "BackupListing": ("persistence.service.listing", "BackupListing"),
    "ListingReport": ("persistence.service.listing", "ListingReport"),
    "BackupState": ("persistence.monitoring.status", "BackupState"),
    "CalendarFlags": ("persistence.retention.prune", "CalendarFlags"),
    "ComponentPlan": ("persistence.restore.models", "ComponentPlan"),
    "CreateResult": ("persistence.core.results", "CreateResult"),
    "Every": ("persistence.schedule", "Every"),
    "FileRestoreResult": ("persistence.restore.extract_models", "FileRestoreResult"),
    "HealthStatus": ("persistence.monitoring.status", "HealthStatus"),
    "LockHolder": ("persistence.store.locking", "LockHolder"),
    "PRE_RESTORE_PREFIX": ("persistence.store.catalog", "PRE_RESTORE_PREFIX"),
    "PruneResult": ("persistence.core.results", "PruneResult"),
    "PullRunResult": ("persistence.offsite.results", "PullRunResult"),
    "PushRunResult": ("persistence.offsite.results", "PushRunResult"),
    "QdrantHealth": ("persistence.monitoring.health", "QdrantHealth"),
    "QdrantMode": ("persistence.monitoring.health", "QdrantMode"),
    "RemoteBackupSummary": ("persistence.offsite.listing", "RemoteBackupSummary"),
    "RemoteOverview": ("persistence.offsite.overview", "RemoteOverview"),
    "RemotePruneResult": ("persistence.offsite.results", "RemotePruneResult"),
    "RemoteVerifyResult": ("persistence.offsite.results", "RemoteVerifyResult"),
    "RestorePlan": ("persistence.restore.models", "RestorePlan"),
    "RestoreResult": ("persistence.restore.models", "RestoreResult"),
    "RunRecord": ("persistence.store.runlog", "RunRecord"),
    "RunResult": ("persistence.core.results", "RunResult"),
    "ScheduleResult": ("persistence.schedule", "ScheduleResult"),
    "ScheduleStatus": ("persistence.schedule", "ScheduleStatus"),
    "SchedulerKind": ("persistence.schedule", "SchedulerKind"),
    "SnapshotReport": ("persistence.backup.startup", "SnapshotReport"),
    "StatusReport": ("persistence.service.overview", "StatusReport"),
    "VerifyReport": ("persistence.verify.run", "VerifyReport"),
    "VerifyState": ("persistence.browse.verification", "VerifyState"),
    "backup_file_bytes": ("persistence.browse.files", "backup_file_bytes"),
    "backup_health": ("persistence.service.overview", "backup_health"),
    "backups_disk_bytes": ("persistence.service.listing", "backups_disk_bytes"),
    "create_backup": ("persistence.offsite.create_push", "create_and_push"),
    "diff_backups": ("persistence.browse.commands", "diff_backups"),
    "health_of_report": ("persistence.service.overview", "health_of_report"),
    "list_backups": ("persistence.service.listing", "list_backups"),
    "listing_report": ("persistence.service.listing", "listing_report"),
    "list_remote_backups": ("persistence.offsite.commands", "list_remote"),
    "lock_holder": ("persistence.service.overview", "lock_holder"),
    "ls_backup": ("persistence.browse.commands", "ls_backup"),
    "manifest_bytes_of": ("persistence.service.listing", "manifest_bytes_of"),
    "plan_from_remote": ("persistence.offsite.flows", "plan_from_remote"),
    "plan_restore": ("persistence.restore.run", "plan_restore"),
    "prune_backups": ("persistence.retention.prune", "prune_backups"),
    "prune_remote_backups": ("persistence.offsite.commands", "prune"),
    "pull_backup": ("persistence.offsite.commands", "pull"),
    "push_backup": ("persistence.offsite.commands", "push"),
    "qdrant_health": ("persistence.monitoring.health", "qdrant_health"),
    "remote_overview": ("persistence.offsite.overview", "remote_overview"),
    "restore_backup": ("persistence.restore.run", "restore_backup"),
    "restore_from_remote": ("persistence.offsite.flows", "restore_from_remote"),
    "restore_some": ("persistence.restore.extract_run", "restore_some"),
    "schedule_install": ("persistence.service.overview", "schedule_install"),
    "schedule_remove": ("persistence.service.overview", "schedule_remove"),
    "schedule_status": ("persistence.service.overview", "schedule_status"),
    "snapshot_now": ("persistence.backup.startup", "snapshot_now"),
    "snapshot_on_start": ("persistence.backup.startup", "snapshot_on_start"),
    "status_report": ("persistence.service.overview", "status_report"),
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
    "FileEntry",
    "FileRestoreResult",
    "HealthStatus",
    "ListingReport",
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
    "backups_disk_bytes",
    "create_backup",
    "diff_backups",
    "health_of_report",
    "list_backups",
    "list_remote_backups",
    "listing_report",
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
