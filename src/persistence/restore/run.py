"""One restore run: plan, verify, lock, save the current state aside, apply per component."""

from __future__ import annotations

from pathlib import Path

from persistence.components.names import DATABASE_COMPONENTS, QDRANT_COMPONENT
from persistence.core.errors import (
    BackupError,
    ComponentError,
    ExitCode,
    VerificationError,
    describe_os_error,
)
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import (
    ComponentProgress,
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.settings import BackupSettings
from persistence.restore.apply import (
    remove_target,
    restore_database,
    restore_missing,
    restore_tree,
)
from persistence.restore.models import (
    ComponentPlan,
    ComponentRestoreResult,
    RestorePlan,
    RestoreResult,
)
from persistence.restore.plan import build_plan, checked_files, removable_sidecars
from persistence.restore.qdrant_restore import PartialQdrantRestore, restore_qdrant
from persistence.restore.undo import RAW_COPY_METHOD, raw_copy_intact, save_current_state
from persistence.runs.wrapper import Command, LogEntry, RunScope, run_command
from persistence.store.catalog import CompleteBackup, find_backup, scan_backups
from persistence.store.manifest import ComponentRecord, ComponentStatus
from persistence.store.runlog import RunKind
from persistence.verify.run import VerifyReport, first_problem, verify_loaded, verify_log_entry

FORCE_WARNING = (
    "RESTORING A BACKUP THAT FAILED VERIFICATION (--force): {problem}. Files and snapshots "
    "that failed are left out; what is restored may still be incomplete"
)


def plan_restore(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    latest: bool = False,
    only: list[str] | None = None,
    if_empty: bool = False,
) -> RestorePlan:
    """What a restore would do; reads only (no lock, no run record). Never raises BackupError."""
    try:
        paths = check_paths(settings)
        backup = find_backup(paths.backup_dir, backup_id, latest=latest)
        return build_plan(settings, paths, backup, only=only, if_empty=if_empty)
    except BackupError as exc:
        return RestorePlan(
            ok=False, error=exc.message, exit_code=int(exc.exit_code), backup_id=backup_id
        )
    except OSError as exc:
        return RestorePlan(ok=False, error=describe_os_error(exc, "plan"), exit_code=1)


def restore_backup(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    latest: bool = False,
    only: list[str] | None = None,
    force: bool = False,
    if_empty: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> RestoreResult:
    """Restore a backup. Never raises for expected failures: the result says what went wrong."""
    chosen: list[CompleteBackup] = []

    def before_lock(paths: SafePaths) -> RestoreResult | None:
        if (
            if_empty
            and latest
            and backup_id is None
            and not scan_backups(paths.backup_dir).complete
        ):
            # A container's first start: no backup yet is not a failure of the entrypoint.
            return RestoreResult(
                ok=True, nothing_to_do=True, warnings=["no complete backup: nothing to restore"]
            )
        backup = find_backup(paths.backup_dir, backup_id, latest=latest)
        if if_empty and _nothing_missing(settings, paths, backup, only):
            # Checked before taking the lock: a no-op start-up writes nothing at all.
            return RestoreResult(ok=True, backup_id=backup.backup_id, nothing_to_do=True)
        chosen.append(backup)
        return None

    def body(scope: RunScope) -> RestoreResult:
        return _locked_run(scope, chosen[0], only, force, if_empty)

    command = Command(
        label="restore-backup",
        kind=RunKind.RESTORE,
        failed=lambda message, code: RestoreResult(
            ok=False, backup_id=backup_id, error=message, exit_code=code
        ),
        log=_log_entries,
        before_lock=before_lock,
        announce_finish=True,
    )
    return run_command(settings, command, body, progress=progress)


def _nothing_missing(
    settings: BackupSettings, paths: SafePaths, backup: CompleteBackup, only: list[str] | None
) -> bool:
    plan = build_plan(settings, paths, backup, only=only, if_empty=True)
    return plan.nothing_to_do and not plan.problems


def _log_entries(result: RestoreResult) -> list[LogEntry]:
    if result.nothing_to_do and result.ok:
        return []
    undo = f"; undo: restore-backup {result.undo_id}" if result.undo_id else ""
    summary = f"{'restored' if result.ok else 'failed'}{undo}"
    return [LogEntry(ok=result.ok, backup_id=result.backup_id, error=result.error, summary=summary)]


def _verify_first(scope: RunScope, backup: CompleteBackup, force: bool) -> VerifyReport:
    """Refuse a backup that fails verification unless forced; the verdict is recorded."""
    report = verify_loaded(scope.settings, backup, progress=scope.progress)
    scope.record(RunKind.VERIFY, verify_log_entry(report, "before restore"))
    if not report.ok and not force:
        raise VerificationError(
            f"backup {backup.backup_id} fails verification, nothing was restored: "
            f"{first_problem(report)} (--force restores it anyway)"
        )
    return report


def _damaged(report: VerifyReport, backup: CompleteBackup) -> dict[str, set[str]]:
    """Per component, the files verification failed: a forced restore leaves them out.

    Except an intact raw undo copy of a database: it fails the database check because the
    live file was already damaged, and putting those very bytes back is what undo means.
    """
    found: dict[str, set[str]] = {}
    for item in report.failed_files:
        found.setdefault(item.component, set()).add(item.path)
    for name in list(found):
        record = backup.manifest.component(name)
        if record is not None and raw_copy_intact(backup.path / name, record):
            del found[name]
    return found


def _locked_run(
    scope: RunScope,
    backup: CompleteBackup,
    only: list[str] | None,
    force: bool,
    if_empty: bool,
) -> RestoreResult:
    settings, paths, progress = scope.settings, scope.paths, scope.progress
    progress(ProgressEvent(ProgressStage.RUN_STARTED, message=backup.backup_id))
    # The wrapper already put back what a killed restore left renamed aside.
    recovered = scope.cleanup.recovered
    plan = build_plan(settings, paths, backup, only=only, if_empty=if_empty, force=force)
    base = RestoreResult(ok=True, backup_id=backup.backup_id, warnings=[*recovered, *plan.warnings])
    if plan.nothing_to_do and not plan.problems:
        return base.model_copy(update={"nothing_to_do": True})
    report = _verify_first(scope, backup, force)
    damaged = _damaged(report, backup)
    warnings: list[str] = []
    if not report.ok:
        warnings.append(FORCE_WARNING.format(problem=first_problem(report)))
        progress(ProgressEvent(ProgressStage.MESSAGE, message=f"WARNING: {warnings[0]}"))
    base = base.model_copy(
        update={
            "forced": not report.ok,
            "verified": report.ok,
            "warnings": [*warnings, *base.warnings],
        }
    )
    if plan.problems:
        raise ComponentError("refusing to restore: " + "; ".join(plan.problems))
    saved = None if if_empty else save_current_state(settings, paths, plan, progress)
    undo_id = saved.undo_id if saved else None
    if saved is not None:
        for message in saved.warnings:
            progress(ProgressEvent(ProgressStage.MESSAGE, message=f"WARNING: {message}"))
    saved_warnings = saved.warnings if saved else []
    base = base.model_copy(
        update={"undo_id": undo_id, "warnings": [*base.warnings, *saved_warnings]}
    )
    done: list[ComponentRestoreResult] = []
    for step in plan.components:
        if not step.changes:
            done.append(ComponentRestoreResult(name=step.name, ok=True, action=step.action))
            continue
        record = backup.manifest.component(step.name)
        assert record is not None
        try:
            skip = damaged.get(step.name, set())
            done.append(_apply(settings, backup, record, step, progress, skip))
        except (BackupError, OSError) as exc:
            message = (
                exc.message if isinstance(exc, BackupError) else describe_os_error(exc, step.name)
            )
            if isinstance(exc, PartialQdrantRestore):
                done.append(exc.partial.model_copy(update={"ok": False, "error": message}))
            else:
                done.append(
                    ComponentRestoreResult(
                        name=step.name, ok=False, action=step.action, error=message
                    )
                )
            undo = f"; undo with restore-backup {undo_id}" if undo_id else ""
            return base.model_copy(
                update={
                    "ok": False,
                    "components": done,
                    "exit_code": int(ExitCode.FAILED),
                    "error": f"{step.name}: {message} (earlier components are restored{undo})",
                }
            )
    return base.model_copy(update={"components": done})


def _apply(
    settings: BackupSettings,
    backup: CompleteBackup,
    record: ComponentRecord,
    step: ComponentPlan,
    progress: ProgressCallback,
    damaged: set[str],
) -> ComponentRestoreResult:
    """Apply one component's step; `damaged` paths (a forced restore) are left out."""
    meter = ComponentProgress(
        step.name,
        progress,
        bytes_total=step.bytes_staged or step.bytes_to_write,
        files_total=_files_total(record, step),
    )
    meter.start(f"restoring into {step.target}")
    folder = backup.path / step.name
    if step.name == QDRANT_COMPONENT:
        result = restore_qdrant(settings, folder, record, _without_damaged(step, damaged), meter)
        result.warnings += [f"not recovered, damaged in the backup: {p}" for p in sorted(damaged)]
    else:
        result = _apply_files(folder, record, step, damaged, meter)
    meter.finish()
    return result


def _apply_files(
    folder: Path,
    record: ComponentRecord,
    step: ComponentPlan,
    damaged: set[str],
    meter: ComponentProgress,
) -> ComponentRestoreResult:
    result = ComponentRestoreResult(name=step.name, ok=True, action=step.action)
    assert step.target is not None  # from the CURRENT settings, set by the plan
    target = Path(step.target)
    if record.status is ComponentStatus.ABSENT:
        remove_target(target, removable_sidecars(target))
        result.files_removed = len(step.files_removed)
        return result
    entries = [e for e in checked_files(record) if e.path not in damaged]
    if damaged:
        result.warnings.append(f"not restored, damaged in the backup: {', '.join(sorted(damaged))}")
    if step.name in DATABASE_COMPONENTS:
        if entries:
            applied = restore_database(folder, entries[0], target, meter)
            result.files_written, result.bytes_written = applied.files, applied.bytes
            result.files_removed = len(applied.removed)
            if record.method == RAW_COPY_METHOD:
                result.warnings.append(
                    f"put back a raw copy of a database that could not be read consistently "
                    f"when it was saved: {target} may still be damaged"
                )
        else:
            result.action = "leave"
        return result
    if step.action == "restore-missing":
        missing = set(step.files_written)
        applied = restore_missing(folder, entries, missing, target, meter)
    else:
        applied = restore_tree(folder, entries, target, meter)
        result.files_removed = len(step.files_removed)
    result.files_written, result.bytes_written = applied.files, applied.bytes
    result.warnings.extend(applied.warnings)
    return result


def _files_total(record: ComponentRecord, step: ComponentPlan) -> int:
    if step.name == QDRANT_COMPONENT:
        return sum(c.action != "leave" for c in step.collections) or len(step.files_written)
    if step.action == "restore":  # a whole tree (or the database) is rewritten
        return sum(f.kind == "file" for f in record.files)
    return len(step.files_written)


def _without_damaged(step: ComponentPlan, damaged: set[str]) -> ComponentPlan:
    """A forced restore never uploads a snapshot that failed verification."""
    kept = [
        c.model_copy(update={"action": "leave"}) if c.snapshot_file in damaged else c
        for c in step.collections
    ]
    return step.model_copy(update={"collections": kept})
