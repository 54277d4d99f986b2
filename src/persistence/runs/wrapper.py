"""The one run wrapper: check paths, lock, clean leftovers, run, record, typed result.

Every command that changes or checks state goes through `run_command`, so the sequence is
written once: a new command only says what it does (`body`) and how it is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from persistence.core.errors import BackupError, describe_os_error
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import (
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.redact import one_line, redact
from persistence.core.results import RunResult
from persistence.core.settings import BackupSettings
from persistence.runs.leftovers import Cleanup, clean_leftovers
from persistence.runs.observer import RunObserver
from persistence.store.locking import LOCK_NAME, backup_lock
from persistence.store.readonly_lock import backup_root_writable, read_only_lock
from persistence.store.runlog import RunKind, record_run
from persistence.store.staging import ensure_backup_root

R = TypeVar("R", bound=RunResult)

logger = logging.getLogger(__name__)


class MissingRoot(StrEnum):
    """What a command does when the backup root does not exist yet."""

    CREATE = "create"  # create-backup makes it
    UNLOCKED = "unlocked"  # run without lock and without a run record (nothing to log into)


@dataclass(frozen=True)
class LogEntry:
    """One line of the run log, as a command describes its own result."""

    ok: bool
    backup_id: str | None = None
    error: str | None = None
    summary: str = ""


@dataclass
class RunScope:
    """What a command's body gets: checked paths, its start, and what cleanup did."""

    settings: BackupSettings
    paths: SafePaths
    started: datetime
    progress: ProgressCallback
    cleanup: Cleanup = field(default_factory=Cleanup)
    locked: bool = True

    def record(self, kind: RunKind, entry: LogEntry) -> None:
        """Append to the run log now (for runs inside a run, like restore's verification)."""
        if self.locked:
            record_run(
                self.paths.backup_dir,
                kind,
                ok=entry.ok,
                started_at=self.started,
                backup_id=entry.backup_id,
                error=entry.error,
                summary=entry.summary,
            )


@dataclass(frozen=True)
class Command(Generic[R]):
    """How one command is run: its lock label, its run-log kind, its failed result."""

    label: str
    kind: RunKind
    failed: Callable[[str, int], R]
    log: Callable[[R], Sequence[LogEntry]]
    missing_root: MissingRoot = MissingRoot.CREATE
    lock_timeout: float | None = None
    # Runs before the lock; a result ends the run there (a no-op that must write nothing).
    before_lock: Callable[[SafePaths], R | None] | None = None
    announce_finish: bool = False
    # False only for the start-up snapshot, which writes just into the folder it was given.
    needs_data_root: bool = True


def run_command(
    settings: BackupSettings,
    command: Command[R],
    body: Callable[[RunScope], R],
    *,
    progress: ProgressCallback = ignore_progress,
    observer: RunObserver | None = None,
) -> R:
    """Run `body` the standard way. Never raises for expected failures (BackupError, OSError).

    `observer` (notifications) hears the start before anything is checked and the final result.
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    if observer is not None:
        observer.run_started()
    try:
        result = _checked_run(settings, command, body, progress, started)
    except BackupError as exc:
        result = command.failed(exc.message, int(exc.exit_code))
    except OSError as exc:
        result = command.failed(describe_os_error(exc, "backup root"), 1)
    # Whatever a library or server put into the error, a shell shows one clean line of it.
    error = redact(one_line(result.error)) if result.error else result.error
    result = result.model_copy(
        update={
            "error": error,
            "started_at": started.isoformat(),
            "duration_seconds": time.monotonic() - clock,
        }
    )
    if observer is not None:
        observer.run_finished(result)
    if command.announce_finish:
        progress(ProgressEvent(ProgressStage.RUN_FINISHED, message=result.error or "done"))
    return result


def _checked_run(
    settings: BackupSettings,
    command: Command[R],
    body: Callable[[RunScope], R],
    progress: ProgressCallback,
    started: datetime,
) -> R:
    paths = check_paths(settings, data_root_must_exist=command.needs_data_root)
    if command.before_lock is not None:
        early = command.before_lock(paths)
        if early is not None:
            return early
    scope = RunScope(settings, paths, started, progress)
    if not paths.backup_dir.is_dir():
        if command.missing_root is MissingRoot.UNLOCKED:
            scope.locked = False
            return body(scope)
        ensure_backup_root(paths.backup_dir)
    timeout = settings.lock_timeout if command.lock_timeout is None else command.lock_timeout
    if not backup_root_writable(paths.backup_dir):
        return _run_read_only(command, body, scope, timeout)
    with backup_lock(paths.backup_dir, command.label, timeout):
        scope.cleanup = clean_leftovers(paths)
        _announce_cleanup(scope.cleanup, progress)
        try:
            result = body(scope)
        except BackupError as exc:
            result = command.failed(exc.message, int(exc.exit_code))
        except OSError as exc:
            result = command.failed(describe_os_error(exc, "backup root"), 1)
        for entry in command.log(result):
            scope.record(command.kind, entry)
        return result


def _run_read_only(
    command: Command[R], body: Callable[[RunScope], R], scope: RunScope, timeout: float
) -> R:
    """A backup root this process cannot write (a read-only mounted disk): a command that only
    reads (verify) runs under a lock taken read-only, or without one, and says so; nothing is
    cleaned and nothing recorded. A command that must write there fails with one clear line."""
    backup_dir = scope.paths.backup_dir
    if command.kind is not RunKind.VERIFY:
        raise BackupError(
            f"the backup root {backup_dir} is read-only (or not writable by this user): "
            f"{command.label} must write there; verify-backup and list-backups work on it"
        )
    scope.locked = False  # no run record: the run log cannot be written
    with read_only_lock(backup_dir / LOCK_NAME, timeout) as locked:
        how = "under the lock, read-only" if locked else "without the lock (no lock file there)"
        logger.warning(
            "the backup root %s is read-only: running %s, this run is not recorded",
            backup_dir,
            how,
        )
        try:
            return body(scope)
        except BackupError as exc:
            return command.failed(exc.message, int(exc.exit_code))


def _announce_cleanup(cleanup: Cleanup, progress: ProgressCallback) -> None:
    for message in cleanup.recovered:
        progress(ProgressEvent(ProgressStage.MESSAGE, message=message))
    if cleanup.removed:
        listed = ", ".join(cleanup.removed)
        message = f"removed leftovers of interrupted runs: {listed}"
        progress(ProgressEvent(ProgressStage.MESSAGE, message=message))
