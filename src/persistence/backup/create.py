"""One create-backup run: check paths, lock, stage every component, commit, then prune."""

from __future__ import annotations

import errno
import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from persistence import __version__
from persistence.components.base import BackupComponent, CaptureContext
from persistence.components.registry import build_components
from persistence.core.errors import BackupError, ComponentError
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import (
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.results import ComponentSummary, CreateResult
from persistence.core.settings import BackupSettings
from persistence.restore.recovery import recover_interrupted_restores
from persistence.retention.policy import RetentionPolicy
from persistence.retention.prune import apply_retention
from persistence.store.catalog import new_backup_id
from persistence.store.locking import backup_lock
from persistence.store.manifest import ComponentRecord, ComponentStatus, Manifest
from persistence.store.runlog import RunKind, record_run
from persistence.store.staging import (
    commit,
    ensure_backup_root,
    open_staging,
    remove_leftovers,
    remove_tree,
)

logger = logging.getLogger(__name__)


def describe_os_error(exc: OSError, component: str) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"{component}: no room to write{where} ({exc.strerror}); "
            "free space or move BACKUP_DIR to a bigger disk"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{component}: permission denied{where}"
    return f"{component}: {exc.strerror or exc}{where}"


def _capture_all(
    components: list[BackupComponent], staging: Path, progress: ProgressCallback
) -> list[ComponentRecord]:
    records: list[ComponentRecord] = []
    for component in components:
        ctx = CaptureContext(target_dir=staging / component.name, progress=progress)
        try:
            record = component.capture(ctx)
        except BackupError as exc:
            logger.debug("component %s failed", component.name, exc_info=True)
            records.append(_failed(component.name, exc.message))
            raise _RunFailed(exc.message, exc, records) from exc
        except OSError as exc:
            logger.debug("component %s failed", component.name, exc_info=True)
            message = describe_os_error(exc, component.name)
            records.append(_failed(component.name, message))
            raise _RunFailed(message, ComponentError(message), records) from exc
        records.append(record)
    return records


def _nothing_captured(records: list[ComponentRecord]) -> list[str]:
    if any(r.status is ComponentStatus.CAPTURED for r in records):
        return []
    return [
        "nothing was captured: every source is absent or skipped; check BACKUP_DATA_DIR "
        "if the app already has data"
    ]


def _failed(name: str, message: str) -> ComponentRecord:
    return ComponentRecord(name=name, status=ComponentStatus.FAILED, error=message)


class _RunFailed(Exception):
    def __init__(self, message: str, cause: BackupError, records: list[ComponentRecord]) -> None:
        super().__init__(message)
        self.cause = cause
        self.records = records


def create_backup(
    settings: BackupSettings,
    *,
    progress: ProgressCallback = ignore_progress,
    prune: bool = True,
    skip_qdrant: bool = False,
) -> CreateResult:
    """Make one backup. Never raises for expected failures: the result says what went wrong."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    try:
        paths = check_paths(settings)
        ensure_backup_root(paths.backup_dir)
        with backup_lock(paths.backup_dir, "create-backup", settings.lock_timeout):
            try:
                result = _locked_run(settings, paths, progress, prune, skip_qdrant, started, clock)
            except BackupError as exc:
                result = CreateResult(ok=False, error=exc.message, exit_code=int(exc.exit_code))
            except OSError as exc:
                result = CreateResult(
                    ok=False, error=describe_os_error(exc, "backup root"), exit_code=1
                )
            record_run(
                paths.backup_dir,
                RunKind.CREATE,
                ok=result.ok,
                started_at=started,
                backup_id=result.backup_id,
                error=result.error,
            )
    except BackupError as exc:
        result = CreateResult(ok=False, error=exc.message, exit_code=int(exc.exit_code))
    except OSError as exc:
        message = describe_os_error(exc, "backup root")
        result = CreateResult(ok=False, error=message, exit_code=1)
    progress(ProgressEvent(ProgressStage.RUN_FINISHED, message=result.error or "done"))
    return result.model_copy(
        update={"started_at": started.isoformat(), "duration_seconds": time.monotonic() - clock}
    )


def _locked_run(
    settings: BackupSettings,
    paths: SafePaths,
    progress: ProgressCallback,
    prune: bool,
    skip_qdrant: bool,
    started: datetime,
    clock: float,
) -> CreateResult:
    leftovers = remove_leftovers(paths.backup_dir)
    # A restore killed mid-swap may have left a source renamed aside: put it back before
    # capturing, or this backup would record it as absent.
    for message in recover_interrupted_restores(paths):
        progress(ProgressEvent(ProgressStage.MESSAGE, message=message))
        leftovers.append(message)
    if leftovers:
        progress(
            ProgressEvent(
                ProgressStage.MESSAGE,
                message=f"removed leftovers of interrupted runs: {', '.join(leftovers)}",
            )
        )
    backup_id = new_backup_id(paths.backup_dir)
    progress(ProgressEvent(ProgressStage.RUN_STARTED, message=backup_id))
    staging = open_staging(paths.backup_dir, backup_id)
    try:
        records = _capture_all(
            build_components(settings, paths, skip_qdrant=skip_qdrant), staging, progress
        )
        finished = datetime.now(UTC)
        manifest = Manifest(
            tool_version=__version__,
            backup_id=backup_id,
            host=socket.gethostname(),
            started_at=started,
            finished_at=finished,
            duration_seconds=time.monotonic() - clock,
            settings=settings.redacted(),
            components=records,
            warnings=[w for r in records for w in r.warnings] + _nothing_captured(records),
        )
        final = paths.backup_dir / backup_id
        commit(staging, final, manifest)
    except _RunFailed as failure:
        remove_tree(staging)
        return CreateResult(
            ok=False,
            backup_id=None,
            error=str(failure),
            exit_code=int(failure.cause.exit_code),
            components=[ComponentSummary.of(r) for r in failure.records],
            leftovers_removed=leftovers,
        )
    except BaseException:
        remove_tree(staging)
        raise
    result = CreateResult(
        ok=True,
        backup_id=backup_id,
        path=str(final),
        components=[ComponentSummary.of(r) for r in records],
        warnings=manifest.warnings,
        leftovers_removed=leftovers,
    )
    if prune and _nothing_captured(records):
        return result.model_copy(
            update={
                "warnings": [*result.warnings, "retention skipped: this backup captured nothing"]
            }
        )
    if prune:
        policy = RetentionPolicy(
            keep_last=settings.keep_last, keep_within_days=settings.retention_days
        )
        try:
            pruned = apply_retention(paths.backup_dir, policy, dry_run=False, protect=backup_id)
        except (BackupError, OSError) as exc:
            reason = exc.message if isinstance(exc, BackupError) else str(exc)
            return result.model_copy(
                update={
                    "ok": False,
                    "exit_code": 1,
                    "error": f"backup {backup_id} is complete, but retention failed: {reason}",
                }
            )
        result = result.model_copy(update={"prune": pruned})
    return result
