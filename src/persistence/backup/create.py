"""One create-backup run: check paths, lock, stage every component, commit, then prune."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypedDict

from persistence import tool_version
from persistence.backup.compress import compress_records
from persistence.backup.incremental import link_same_copies, make_read_only
from persistence.components.base import CaptureContext, Component
from persistence.components.names import QDRANT_COMPONENT
from persistence.components.registry import build_components
from persistence.core.codec import Codec
from persistence.core.errors import BackupError, ComponentError, QdrantError, describe_os_error
from persistence.core.paths import SafePaths
from persistence.core.progress import (
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.results import ComponentSummary, CreateResult
from persistence.core.settings import BackupSettings
from persistence.monitoring.notify import RunNotifications
from persistence.retention.policy import RetentionPolicy
from persistence.retention.prune import apply_retention
from persistence.runs.wrapper import Command, LogEntry, RunScope, run_command
from persistence.store.catalog import new_backup_id
from persistence.store.manifest import ComponentRecord, ComponentStatus, Manifest
from persistence.store.reuse import Reuse, reuse_for
from persistence.store.runlog import RunKind
from persistence.store.staging import (
    commit,
    open_staging,
    remove_tree,
)

logger = logging.getLogger(__name__)

# Local components captured at once. The copies spend their time in syscalls, sha256 and
# SQLite's backup step, all outside the GIL: two overlap on a 2-core machine.
CAPTURE_THREADS = 2


def _capture_all(
    components: list[Component], staging: Path, progress: ProgressCallback, reuse: Reuse
) -> list[ComponentRecord]:
    """Every component's record, in order. The local files (databases and trees) are captured
    CAPTURE_THREADS at a time (a database's copy overlaps a tree's), Qdrant after them."""
    records: list[ComponentRecord] = []
    local = [c for c in components if c.name != QDRANT_COMPONENT]
    stop = threading.Event()
    with ThreadPoolExecutor(CAPTURE_THREADS, thread_name_prefix="capture") as pool:
        futures = [pool.submit(_capture_one, c, staging, progress, reuse, stop) for c in local]
        try:
            for component, future in zip(local, futures, strict=True):
                records.append(_recorded(component, future.result, records))
        except BaseException:
            # A failure or Ctrl-C: the other capture stops at its next file, then staging goes.
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    for component in components:
        if component.name == QDRANT_COMPONENT:
            capture = partial(_capture_one, component, staging, progress, reuse, stop)
            records.append(_recorded(component, capture, records))
    return records


def _capture_one(
    component: Component,
    staging: Path,
    progress: ProgressCallback,
    reuse: Reuse,
    stop: threading.Event,
) -> ComponentRecord:
    target = staging / component.name
    return component.capture(CaptureContext(target, progress, reuse=reuse, stop=stop))


def _recorded(
    component: Component, capture: Callable[[], ComponentRecord], records: list[ComponentRecord]
) -> ComponentRecord:
    """The component's record; a failure stops the run with the records so far."""
    try:
        return capture()
    except BackupError as exc:
        logger.debug("component %s failed", component.name, exc_info=True)
        message = exc.message
        if isinstance(exc, QdrantError):
            message += "; to back up everything else now, run with --no-qdrant"
        records.append(_failed(component.name, message))
        raise _RunFailed(message, exc, records) from exc
    except OSError as exc:
        logger.debug("component %s failed", component.name, exc_info=True)
        message = describe_os_error(exc, component.name)
        records.append(_failed(component.name, message))
        raise _RunFailed(message, ComponentError(message), records) from exc


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


def _create_log(result: CreateResult) -> list[LogEntry]:
    return [LogEntry(ok=result.ok, backup_id=result.backup_id, error=result.error)]


def _create_failed(message: str, exit_code: int) -> CreateResult:
    return CreateResult(ok=False, error=message, exit_code=exit_code)


CREATE = Command(
    label="create-backup",
    kind=RunKind.CREATE,
    failed=_create_failed,
    log=_create_log,
    announce_finish=True,
)


class CreateOptions(TypedDict, total=False):
    """create_backup's options, for callers that pass them through (create_and_push)."""

    progress: ProgressCallback
    prune: bool
    skip_qdrant: bool
    full: bool
    rehash: bool


def create_backup(
    settings: BackupSettings,
    *,
    progress: ProgressCallback = ignore_progress,
    prune: bool = True,
    skip_qdrant: bool = False,
    full: bool = False,
    rehash: bool = False,
) -> CreateResult:
    """Make one backup. Never raises for expected failures: the result says what went wrong.

    Incremental unless `full` or BACKUP_INCREMENTAL=false: unchanged files are hard-linked from
    the newest complete backup; `rehash` links only files whose sha256 matches.
    """
    clock = time.monotonic()
    incremental = settings.incremental and not full

    def body(scope: RunScope) -> CreateResult:
        compression = settings.compression_spec()
        codec = None if compression.codec is Codec.NONE else compression.codec.value
        reuse = reuse_for(
            scope.paths.backup_dir, incremental=incremental, rehash=rehash, codec=codec
        )
        result = _capture_run(scope, skip_qdrant, clock, reuse)
        if result.ok and prune:
            return _retention_after(settings, scope.paths, result)
        return result

    notifications = RunNotifications.for_settings(
        settings, f"create-backup started for {settings.resolved().data_dir}"
    )
    result = run_command(settings, CREATE, body, progress=progress, observer=notifications)
    return notifications.add_warnings(result) if notifications else result


def _capture_run(scope: RunScope, skip_qdrant: bool, clock: float, reuse: Reuse) -> CreateResult:
    settings, paths, progress = scope.settings, scope.paths, scope.progress
    leftovers = [*scope.cleanup.removed, *scope.cleanup.recovered]
    backup_id = new_backup_id(paths.backup_dir)
    progress(ProgressEvent(ProgressStage.RUN_STARTED, message=backup_id))
    staging = open_staging(paths.backup_dir, backup_id)
    try:
        components = build_components(settings, paths, skip_qdrant=skip_qdrant)
        records = _capture_all(components, staging, progress, reuse)
        records = compress_records(records, staging, settings.compression_spec())
        records = link_same_copies(records, staging, reuse)
        make_read_only(staging)
        manifest = Manifest(
            tool_version=tool_version(),
            backup_id=backup_id,
            host=socket.gethostname(),
            started_at=scope.started,
            finished_at=datetime.now(UTC),
            duration_seconds=time.monotonic() - clock,
            settings=settings.redacted(),
            components=records,
            warnings=[w for r in records for w in r.warnings]
            + reuse.state.warnings
            + _nothing_captured(records),
        )
        final = paths.backup_dir / backup_id
        commit(staging, final, manifest)
    except _RunFailed as failure:
        remove_tree(staging)
        return CreateResult(
            ok=False,
            error=str(failure),
            exit_code=int(failure.cause.exit_code),
            components=[_summary_of(r) for r in failure.records],
            leftovers_removed=leftovers,
        )
    except BaseException:
        remove_tree(staging)
        raise
    return CreateResult(
        ok=True,
        backup_id=backup_id,
        path=str(final),
        components=[_summary_of(r) for r in records],
        warnings=manifest.warnings,
        leftovers_removed=leftovers,
        orphans_removed=[o for r in records if r.qdrant for o in r.qdrant.orphans_removed],
    )


def _retention_after(
    settings: BackupSettings, paths: SafePaths, result: CreateResult
) -> CreateResult:
    """Retention only after a complete backup, and never after one that captured nothing."""
    if not any(c.status == ComponentStatus.CAPTURED for c in result.components):
        warnings = [*result.warnings, "retention skipped: this backup captured nothing"]
        return result.model_copy(update={"warnings": warnings})
    policy = RetentionPolicy.from_settings(settings)
    try:
        pruned = apply_retention(paths.backup_dir, policy, dry_run=False, protect=result.backup_id)
    except (BackupError, OSError) as exc:
        reason = exc.message if isinstance(exc, BackupError) else str(exc)
        error = f"backup {result.backup_id} is complete, but retention failed: {reason}"
        return result.model_copy(update={"ok": False, "exit_code": 1, "error": error})
    return result.model_copy(update={"prune": pruned})


def _summary_of(record: ComponentRecord) -> ComponentSummary:
    return ComponentSummary(
        name=record.name,
        status=record.status,
        method=record.method,
        source=record.source,
        bytes=record.bytes,
        file_count=record.file_count,
        error=record.error,
        warnings=record.warnings,
    )
