"""verify-backup: is this backup whole, and can it be restored? Recorded in the run log.

Verification holds the backup root's lock, so that prune cannot delete a backup under it and
the run record is appended safely; restore calls `verify_loaded` while already holding it.
"""

from __future__ import annotations

import time
from datetime import datetime

from pydantic import BaseModel, Field

from persistence.components.base import CheckContext
from persistence.components.models import Findings
from persistence.components.registry import component_for
from persistence.core.errors import ConfigError, ExitCode, VerificationError
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import ProgressCallback, ignore_progress
from persistence.core.results import ComponentStatus, RunResult
from persistence.core.settings import BackupSettings
from persistence.runs.wrapper import Command, LogEntry, RunScope, run_command
from persistence.store.catalog import (
    BACKUP_PREFIX,
    PRE_RESTORE_PREFIX,
    CompleteBackup,
    find_backup,
    scan_backups,
)
from persistence.store.runlog import RunKind
from persistence.verify.checks import unexpected_top_level


class ComponentVerdict(BaseModel):
    name: str
    ok: bool
    status: ComponentStatus
    files_checked: int = 0
    problems: list[str] = Field(default_factory=lambda: list[str]())
    notes: list[str] = []


class FailedFile(BaseModel):
    component: str
    path: str
    problem: str


class VerifyReport(RunResult):
    backup_id: str | None = None
    path: str | None = None
    deep: bool = False
    drill: bool = False
    components: list[ComponentVerdict] = Field(default_factory=lambda: list[ComponentVerdict]())
    failed_files: list[FailedFile] = Field(default_factory=lambda: list[FailedFile]())
    problems: list[str] = Field(default_factory=lambda: list[str]())


def verify_loaded(
    settings: BackupSettings,
    backup: CompleteBackup,
    *,
    deep: bool = False,
    drill_on_server: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> VerifyReport:
    """Check an already loaded backup (manifest hash already checked); takes no lock."""
    clock = time.monotonic()
    verdicts: list[ComponentVerdict] = []
    failed: list[FailedFile] = []
    extras = unexpected_top_level(backup.path, list(backup.manifest.components))
    top = [f"extra entry at the backup's root: {name}" for name in extras]
    names = [c.name for c in backup.manifest.components]
    top += [f"component {n} is recorded twice" for n in sorted(set(names)) if names.count(n) > 1]
    failed += [
        FailedFile(component="-", path=name, problem="extra: not in the manifest")
        for name in extras
    ]
    ctx = CheckContext(settings, progress, deep=deep, drill=drill_on_server)
    paths = check_paths(settings)
    for record in backup.manifest.components:
        component = component_for(record.name, record, settings, paths)
        if component is None:
            found = Findings(problems=[f"unknown component {record.name!r} in the manifest"])
        else:
            found = component.check(backup.path / record.name, record, ctx)
        verdicts.append(_verdict(record.name, record.status, found))
        failed += [
            FailedFile(component=record.name, path=path, problem=problem)
            for path, problem in found.failed.items()
        ]
    ok = not top and all(v.ok for v in verdicts)
    return VerifyReport(
        ok=ok,
        backup_id=backup.backup_id,
        path=str(backup.path),
        deep=deep,
        drill=drill_on_server,
        components=verdicts,
        failed_files=failed,
        problems=top + [f"{v.name}: {p}" for v in verdicts for p in v.problems],
        exit_code=0 if ok else int(ExitCode.VERIFY_FAILED),
        duration_seconds=time.monotonic() - clock,
    )


def _verdict(name: str, status: ComponentStatus, found: Findings) -> ComponentVerdict:
    return ComponentVerdict(
        name=name,
        ok=not found.problems,
        status=status,
        files_checked=found.files_checked,
        problems=found.problems,
        notes=found.notes,
    )


def first_problem(report: VerifyReport) -> str:
    if report.error:
        return report.error
    shown = report.problems[:3]
    more = f" (and {len(report.problems) - 3} more)" if len(report.problems) > 3 else ""
    return "; ".join(shown) + more


def _check_request(settings: BackupSettings, paths: SafePaths, drill_on_server: bool) -> None:
    if drill_on_server and not settings.qdrant_url:
        raise ConfigError("--drill restores into a scratch collection on a server: set QDRANT_URL")
    if not paths.backup_dir.is_dir():
        raise ConfigError(f"no backup root at {paths.backup_dir}: nothing to verify")


def _verify_one_locked(
    settings: BackupSettings,
    paths: SafePaths,
    backup_id: str | None,
    latest: bool,
    deep: bool,
    drill_on_server: bool,
    progress: ProgressCallback,
) -> VerifyReport:
    try:
        backup = find_backup(paths.backup_dir, backup_id, latest=latest)
    except VerificationError as exc:
        # A manifest that fails its own hash is a verification verdict, and is recorded.
        return VerifyReport(
            ok=False,
            backup_id=backup_id,
            path=str(paths.backup_dir / backup_id) if backup_id else None,
            problems=[exc.message],
            error=exc.message,
            exit_code=int(exc.exit_code),
        )
    return verify_loaded(
        settings, backup, deep=deep, drill_on_server=drill_on_server, progress=progress
    )


def verify_log_entry(report: VerifyReport, note: str = "") -> LogEntry:
    flags = " ".join(f for f, on in (("--deep", report.deep), ("--drill", report.drill)) if on)
    summary = note or f"{'passed' if report.ok else 'failed'} {flags}".strip()
    return LogEntry(
        ok=report.ok,
        backup_id=report.backup_id,
        error=None if report.ok else first_problem(report),
        summary=summary,
    )


class VerifyBatch(RunResult):
    """verify-backup --all: one report per backup, each recorded in the run log."""

    reports: list[VerifyReport] = Field(default_factory=lambda: list[VerifyReport]())


def _command(label: str, drill: bool, settings: BackupSettings) -> Command[VerifyBatch]:
    def refuse_early(paths: SafePaths) -> VerifyBatch | None:
        _check_request(settings, paths, drill)
        return None

    def failed(message: str, exit_code: int) -> VerifyBatch:
        report = VerifyReport(ok=False, error=message, exit_code=exit_code)
        return VerifyBatch(ok=False, error=message, exit_code=exit_code, reports=[report])

    return Command(
        label=label,
        kind=RunKind.VERIFY,
        failed=failed,
        log=lambda batch: [verify_log_entry(r) for r in batch.reports if r.backup_id or r.ok],
        before_lock=refuse_early,
    )


def _batch(reports: list[VerifyReport], started: datetime) -> VerifyBatch:
    stamped = [r.model_copy(update={"started_at": started.isoformat()}) for r in reports]
    return VerifyBatch(ok=all(r.ok for r in reports), reports=stamped)


def verify_backup(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    latest: bool = False,
    deep: bool = False,
    drill: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> VerifyReport:
    """Verify one backup and record the verdict. Never raises for expected failures."""

    def body(scope: RunScope) -> VerifyBatch:
        report = _verify_one_locked(
            settings, scope.paths, backup_id, latest, deep, drill, scope.progress
        )
        return _batch([report], scope.started)

    batch = run_command(settings, _command("verify-backup", drill, settings), body)
    report = batch.reports[0]
    if report.error and not report.backup_id and backup_id:
        report = report.model_copy(update={"backup_id": backup_id})
    return report


def verify_all(
    settings: BackupSettings,
    *,
    deep: bool = False,
    drill: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> list[VerifyReport]:
    """Verify every backup and pre-restore copy in the root, oldest first; broken ones fail."""

    def body(scope: RunScope) -> VerifyBatch:
        scan = scan_backups(scope.paths.backup_dir, prefixes=(BACKUP_PREFIX, PRE_RESTORE_PREFIX))
        reports = [
            verify_loaded(settings, backup, deep=deep, drill_on_server=drill, progress=progress)
            for backup in scan.complete
        ]
        reports += [
            VerifyReport(
                ok=False,
                backup_id=item.backup_id,
                path=str(item.path),
                problems=[item.problem],
                error=item.problem,
                exit_code=int(ExitCode.VERIFY_FAILED),
            )
            for item in scan.broken
        ]
        return _batch(reports, scope.started)

    return run_command(settings, _command("verify-backup --all", drill, settings), body).reports
