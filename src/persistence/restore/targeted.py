"""What a restore checks before it writes: the files it is about to write, not the backup.

The manifest's own hash was checked when the backup was loaded. Then, for each component the
plan changes: a tree's files that the plan writes are hashed against the manifest (and
`copy_checked` hashes them again while copying, so bytes changed in between are refused too);
any other kind (a database copy, Qdrant snapshots) gets its full check, since it is written
whole. Components the plan leaves alone, and a tree's unchanged files, are not read at all.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

from persistence.components.base import CheckContext
from persistence.components.models import ComponentPlan, Findings
from persistence.components.registry import component_for
from persistence.core.errors import BackupError, ExitCode
from persistence.core.fsio import hash_file
from persistence.core.paths import InsideRoot, SafePaths, join_inside
from persistence.core.progress import ProgressCallback
from persistence.core.results import ComponentStatus
from persistence.core.settings import BackupSettings
from persistence.restore.models import RestorePlan
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentRecord, FileRecord
from persistence.verify.run import ComponentVerdict, FailedFile, VerifyReport


def _hash_listed(backup: CompleteBackup, record: ComponentRecord, wanted: list[str]) -> Findings:
    folder = backup.path / record.name
    recorded = {f.path: f for f in record.files}
    found = Findings()
    for relative in wanted:
        item = recorded[relative]
        if item.kind != "file":
            continue
        try:
            got = hash_file(join_inside(folder, relative))
        except OSError as exc:
            found.fail_file(relative, f"cannot be read: {exc.strerror}")
            continue
        found.files_checked += 1
        if (got.size, got.sha256) != (item.size, item.sha256):
            found.fail_file(relative, "content differs from the recorded sha256")
    return found


def _check_step(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    step: ComponentPlan,
    progress: ProgressCallback,
) -> Findings | None:
    record = backup.manifest.component(step.name)
    if record is None:
        return None
    wanted = [*step.files_written, *step.files_replaced]
    recorded = {f.path for f in record.files}
    # A tree restored into its existing folder writes only the listed files; a database or
    # snapshots (or a tree written from scratch) are written whole and checked whole.
    in_place = step.target is not None and Path(step.target).is_dir()
    if in_place and not step.collections and all(path in recorded for path in wanted):
        return _hash_listed(backup, record, wanted)
    component = component_for(record.name, record, settings, paths)
    if component is None:
        return Findings(problems=[f"unknown component {record.name!r} in the manifest"])
    return component.check(backup.path / record.name, record, CheckContext(settings, progress))


def verify_what_restore_writes(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    plan: RestorePlan,
    progress: ProgressCallback,
) -> VerifyReport:
    clock = time.monotonic()
    verdicts: list[ComponentVerdict] = []
    failed: list[FailedFile] = []
    for step in plan.components:
        found = _check_step(settings, paths, backup, step, progress) if step.changes else None
        if found is None:
            continue
        verdicts.append(
            ComponentVerdict(
                name=step.name,
                ok=not found.problems,
                status=ComponentStatus.CAPTURED,
                files_checked=found.files_checked,
                problems=found.problems,
                notes=found.notes,
            )
        )
        failed += [
            FailedFile(component=step.name, path=p, problem=m) for p, m in found.failed.items()
        ]
    ok = all(v.ok for v in verdicts)
    return VerifyReport(
        ok=ok,
        backup_id=backup.backup_id,
        path=str(backup.path),
        components=verdicts,
        failed_files=failed,
        problems=[f"{v.name}: {p}" for v in verdicts for p in v.problems],
        exit_code=0 if ok else int(ExitCode.VERIFY_FAILED),
        duration_seconds=time.monotonic() - clock,
    )


def recorded_sizes_problem(backup: CompleteBackup) -> str | None:
    """A cheap look at every recorded file and folder (lstat, no read): present, of its
    recorded kind, files of their recorded size.

    A restore reads only what it writes; this keeps an edited or truncated backup from
    passing as "nothing to do" without re-reading every byte.
    """
    for record in backup.manifest.components:
        if record.status is not ComponentStatus.CAPTURED:
            continue
        folder = InsideRoot(backup.path / record.name)
        for item in record.files:
            problem = _stored_entry_problem(folder, item)
            if problem:
                return f"{record.name}: {item.path}: {problem}"
    return None


def _stored_entry_problem(folder: InsideRoot, item: FileRecord) -> str:
    if item.kind == "symlink":  # recorded in the manifest only
        return ""
    try:
        info = folder.join(item.path).lstat()
    except (BackupError, OSError):
        return "missing or unreadable"
    if item.kind == "dir":
        return "" if stat.S_ISDIR(info.st_mode) else "not a folder in the backup"
    if not stat.S_ISREG(info.st_mode) or info.st_size != item.size:
        return f"size {info.st_size} bytes, recorded {item.size}"
    return ""
