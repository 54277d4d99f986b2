"""One restore run: plan, verify, lock, save the current state aside, apply per component."""

from __future__ import annotations

from persistence.components.base import ApplyContext
from persistence.components.models import ComponentPlan, ComponentRestoreResult, PartialRestore
from persistence.components.registry import component_for
from persistence.core.errors import (
    BackupError,
    ComponentError,
    ExitCode,
    VerificationError,
    describe_os_error,
)
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import (
    ProgressCallback,
    ProgressEvent,
    ProgressStage,
    ignore_progress,
)
from persistence.core.settings import BackupSettings
from persistence.restore.models import RestorePlan, RestoreResult
from persistence.restore.plan import build_plan
from persistence.restore.targeted import recorded_sizes_problem, verify_what_restore_writes
from persistence.restore.undo import save_current_state
from persistence.runs.wrapper import Command, LogEntry, RunScope, run_command
from persistence.store.catalog import CompleteBackup, find_backup, scan_backups
from persistence.store.manifest import ComponentRecord
from persistence.store.runlog import RunKind
from persistence.verify.run import VerifyReport, first_problem, verify_log_entry

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
    force: bool = False,
) -> RestorePlan:
    """What a restore would do; reads only (no lock, no run record). Never raises BackupError.

    It verifies what the real run would (the files it would write) and, unless forced, fails
    with the real run's error and exit code: a preview that hides damage is worse than none.
    """
    try:
        paths = check_paths(settings)
        backup = find_backup(paths.backup_dir, backup_id, latest=latest)
        plan = build_plan(settings, paths, backup, only=only, if_empty=if_empty)
        _refuse_a_broken_backup(backup, force)
        if plan.nothing_to_do and not plan.problems:
            return plan  # the real run stops here too, before reading any file
        # The same check as the real run: the files it would write, read and hashed.
        report = verify_what_restore_writes(settings, paths, backup, plan, ignore_progress)
        if not report.ok and not force:
            raise VerificationError(refusal(backup, report))
        if not report.ok:
            forced = FORCE_WARNING.format(problem=first_problem(report))
            return plan.model_copy(update={"warnings": [forced, *plan.warnings]})
        return plan
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


def refusal(backup: CompleteBackup, report: VerifyReport) -> str:
    return (
        f"backup {backup.backup_id} fails verification, nothing was restored: "
        f"{first_problem(report)} (--force restores it anyway)"
    )


def _verify_first(
    scope: RunScope, backup: CompleteBackup, plan: RestorePlan, force: bool
) -> VerifyReport:
    """Refuse a backup whose files to be written fail their check, unless forced.

    Only what the restore writes is read (see restore/targeted.py); a failure is recorded in
    the run log as a failed verification, a pass is not (it did not check the whole backup).
    """
    report = verify_what_restore_writes(scope.settings, scope.paths, backup, plan, scope.progress)
    if not report.ok:
        scope.record(RunKind.VERIFY, verify_log_entry(report, "before restore"))
    if not report.ok and not force:
        raise VerificationError(refusal(backup, report))
    return report


def _refuse_a_broken_backup(backup: CompleteBackup, force: bool) -> None:
    """Both the preview and the restore: a file missing or of another size than recorded."""
    problem = recorded_sizes_problem(backup)
    if problem is not None and not force:
        raise VerificationError(
            f"backup {backup.backup_id} fails verification, nothing was restored: {problem} "
            "(--force restores it anyway)"
        )


def _damaged(
    scope: RunScope, report: VerifyReport, backup: CompleteBackup
) -> dict[str, frozenset[str]]:
    """Per component, the files verification failed: a forced restore leaves them out,
    unless the kind says the failure is what the copy is (an intact raw undo copy)."""
    found: dict[str, set[str]] = {}
    for item in report.failed_files:
        found.setdefault(item.component, set()).add(item.path)
    damaged: dict[str, frozenset[str]] = {}
    for name, files in found.items():
        record = backup.manifest.component(name)
        component = component_for(name, record, scope.settings, scope.paths)
        if (
            record is not None
            and component is not None
            and component.damage_is_expected(backup.path / name, record)
        ):
            continue
        damaged[name] = frozenset(files)
    return damaged


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
    _refuse_a_broken_backup(backup, force)
    if plan.nothing_to_do and not plan.problems:
        return base.model_copy(update={"nothing_to_do": True})
    report = _verify_first(scope, backup, plan, force)
    warnings: list[str] = []
    if not report.ok:
        warnings.append(FORCE_WARNING.format(problem=first_problem(report)))
        _warn(progress, warnings)
    if plan.problems:
        raise ComponentError("refusing to restore: " + "; ".join(plan.problems))
    saved = None if if_empty else save_current_state(settings, paths, plan, backup, progress)
    if saved is not None:
        _warn(progress, saved.warnings)
    base = base.model_copy(
        update={
            "forced": not report.ok,
            "verified": report.ok,
            "undo_id": saved.undo_id if saved else None,
            "warnings": [*warnings, *base.warnings, *(saved.warnings if saved else [])],
        }
    )
    return _apply_all(scope, backup, plan, _damaged(scope, report, backup), base)


def _warn(progress: ProgressCallback, warnings: list[str]) -> None:
    for message in warnings:
        progress(ProgressEvent(ProgressStage.MESSAGE, message=f"WARNING: {message}"))


def _apply_all(
    scope: RunScope,
    backup: CompleteBackup,
    plan: RestorePlan,
    damaged: dict[str, frozenset[str]],
    base: RestoreResult,
) -> RestoreResult:
    """Every step in order; the first failing component stops the restore there."""
    done: list[ComponentRestoreResult] = []
    for step in plan.components:
        if not step.changes:
            done.append(ComponentRestoreResult(name=step.name, ok=True, action=step.action))
            continue
        record = backup.manifest.component(step.name)
        assert record is not None
        try:
            done.append(_apply(scope, backup, record, step, damaged.get(step.name, frozenset())))
        except (BackupError, OSError) as exc:
            done.append(_failed_step(step, exc))
            undo = f"; undo with restore-backup {base.undo_id}" if base.undo_id else ""
            reason = done[-1].error or ""
            # The component's own message may already start with its name (describe_os_error).
            named = reason if reason.startswith(f"{step.name}: ") else f"{step.name}: {reason}"
            error = f"{named} (earlier components are restored{undo})"
            return base.model_copy(
                update={
                    "ok": False,
                    "components": done,
                    "exit_code": int(ExitCode.FAILED),
                    "error": error,
                }
            )
    return base.model_copy(update={"components": done})


def _failed_step(step: ComponentPlan, exc: BackupError | OSError) -> ComponentRestoreResult:
    """A partly restored component still reports what it did (the collections recovered)."""
    message = (
        exc.message
        if isinstance(exc, BackupError)
        else describe_os_error(exc, step.name, into_backup_root=False)
    )
    if isinstance(exc, PartialRestore):
        return exc.partial.model_copy(update={"ok": False, "error": message})
    return ComponentRestoreResult(name=step.name, ok=False, action=step.action, error=message)


def _apply(
    scope: RunScope,
    backup: CompleteBackup,
    record: ComponentRecord,
    step: ComponentPlan,
    damaged: frozenset[str],
) -> ComponentRestoreResult:
    """Apply one component's step through its kind; `damaged` paths are left out."""
    component = component_for(step.name, record, scope.settings, scope.paths)
    assert component is not None  # the plan only has steps for known components
    ctx = ApplyContext(scope.settings, scope.progress, damaged)
    return component.apply_restore(backup.path / step.name, record, step, ctx)
