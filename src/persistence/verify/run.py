"""verify-backup: is this backup whole, and can it be restored? Recorded in the run log.

Verification holds the backup root's lock, so that prune cannot delete a backup under it and
the run record is appended safely; restore calls `verify_loaded` while already holding it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pydantic import BaseModel

from persistence.core.errors import BackupError, ConfigError, ExitCode, VerificationError
from persistence.core.paths import SafePaths, check_paths
from persistence.core.progress import ProgressCallback, ignore_progress
from persistence.core.settings import BackupSettings
from persistence.store.catalog import (
    BACKUP_PREFIX,
    PRE_RESTORE_PREFIX,
    CompleteBackup,
    find_backup,
    scan_backups,
)
from persistence.store.locking import backup_lock
from persistence.store.manifest import ComponentStatus
from persistence.store.runlog import RunKind, record_run
from persistence.verify.checks import (
    QDRANT_COMPONENT,
    Findings,
    check_component,
    unexpected_top_level,
)
from persistence.verify.qdrant_checks import deep_check, drill_collections


class ComponentVerdict(BaseModel):
    name: str
    ok: bool
    status: str
    files_checked: int = 0
    problems: list[str] = []
    notes: list[str] = []


class FailedFile(BaseModel):
    component: str
    path: str
    problem: str


class VerifyReport(BaseModel):
    ok: bool
    backup_id: str | None = None
    path: str | None = None
    deep: bool = False
    drill: bool = False
    components: list[ComponentVerdict] = []
    failed_files: list[FailedFile] = []
    problems: list[str] = []
    error: str | None = None
    exit_code: int = 0
    started_at: str | None = None
    duration_seconds: float = 0.0


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
    for record in backup.manifest.components:
        found = check_component(backup.path, record, progress)
        qdrant = record.qdrant
        usable = not found.problems and record.status is ComponentStatus.CAPTURED
        if record.name == QDRANT_COMPONENT and qdrant is not None and usable:
            folder = backup.path / record.name
            if deep and qdrant.mode == "server":
                deep_check(folder, qdrant.collections, found)
            elif deep:
                found.notes.append(f"no deep check: Qdrant was captured in {qdrant.mode} mode")
            if drill_on_server and qdrant.mode == "server":
                drill_collections(settings, folder, qdrant.collections, found)
            elif drill_on_server:
                found.notes.append(f"no drill: Qdrant was captured in {qdrant.mode} mode")
        verdicts.append(_verdict(record.name, record.status.value, found))
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


def _verdict(name: str, status: str, found: Findings) -> ComponentVerdict:
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


def _check_request(settings: BackupSettings, drill_on_server: bool) -> SafePaths:
    paths = check_paths(settings)
    if drill_on_server and not settings.qdrant_url:
        raise ConfigError("--drill restores into a scratch collection on a server: set QDRANT_URL")
    if not paths.backup_dir.is_dir():
        raise ConfigError(f"no backup root at {paths.backup_dir}: nothing to verify")
    return paths


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


def _record(paths: SafePaths, report: VerifyReport, started: datetime) -> VerifyReport:
    flags = " ".join(f for f, on in (("--deep", report.deep), ("--drill", report.drill)) if on)
    summary = f"{'passed' if report.ok else 'failed'} {flags}".strip()
    record_run(
        paths.backup_dir,
        RunKind.VERIFY,
        ok=report.ok,
        started_at=started,
        backup_id=report.backup_id,
        error=None if report.ok else first_problem(report),
        summary=summary,
    )
    return report.model_copy(update={"started_at": started.isoformat()})


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
    started = datetime.now(UTC)
    try:
        paths = _check_request(settings, drill)
        with backup_lock(paths.backup_dir, "verify-backup", settings.lock_timeout):
            report = _verify_one_locked(settings, paths, backup_id, latest, deep, drill, progress)
            return _record(paths, report, started)
    except BackupError as exc:
        return VerifyReport(
            ok=False, backup_id=backup_id, error=exc.message, exit_code=int(exc.exit_code)
        )


def verify_all(
    settings: BackupSettings,
    *,
    deep: bool = False,
    drill: bool = False,
    progress: ProgressCallback = ignore_progress,
) -> list[VerifyReport]:
    """Verify every backup and pre-restore copy in the root, oldest first; broken ones fail."""
    started = datetime.now(UTC)
    try:
        paths = _check_request(settings, drill)
        with backup_lock(paths.backup_dir, "verify-backup --all", settings.lock_timeout):
            scan = scan_backups(paths.backup_dir, prefixes=(BACKUP_PREFIX, PRE_RESTORE_PREFIX))
            complete, broken = scan.complete, scan.broken
            reports = [
                _record(
                    paths,
                    verify_loaded(
                        settings, backup, deep=deep, drill_on_server=drill, progress=progress
                    ),
                    started,
                )
                for backup in complete
            ]
            for item in broken:
                report = VerifyReport(
                    ok=False,
                    backup_id=item.backup_id,
                    path=str(item.path),
                    problems=[item.problem],
                    error=item.problem,
                    exit_code=int(ExitCode.VERIFY_FAILED),
                )
                reports.append(_record(paths, report, started))
            return reports
    except BackupError as exc:
        return [VerifyReport(ok=False, error=exc.message, exit_code=int(exc.exit_code))]
