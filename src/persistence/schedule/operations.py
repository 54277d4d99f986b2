"""install, status and remove for this data root's entry, whichever scheduler holds it."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from persistence.core.errors import BackupError
from persistence.schedule.base import ToolRunner
from persistence.schedule.detect import SchedulerEnvironment, choose_scheduler
from persistence.schedule.models import (
    ENTRY_PREFIX,
    Schedule,
    ScheduledJob,
    ScheduleEntry,
    ScheduleResult,
    ScheduleStatus,
)
from persistence.store.runlog import RunKind, last_run, read_runs

SCRIPT_RELATIVE = Path("scripts") / "backup.py"


def entry_name_for(data_root: Path) -> str:
    """One entry per data root: the name is a hash of its real path, so re-install replaces."""
    digest = hashlib.sha256(str(data_root.resolve()).encode()).hexdigest()
    return ENTRY_PREFIX + digest[:12]


def backup_script() -> Path:
    """The repository's scripts/backup.py, which the scheduled run starts."""
    return Path(__file__).resolve().parents[3] / SCRIPT_RELATIVE


def build_job(
    data_root: Path,
    schedule: Schedule,
    *,
    backup_dir: Path | None = None,
    working_dir: Path | None = None,
    push: bool = False,
) -> ScheduledJob:
    """`create-backup --json` for this data root, with this interpreter, from this folder;
    with `push`, each run also pushes the new backup off-site (`--push`)."""
    root = data_root.absolute()
    script = backup_script()
    if not script.is_file():
        raise BackupError(f"cannot schedule: {script} is missing (install from the repository)")
    # Not resolved: a virtual environment's python is a symlink whose location matters.
    argv = [str(Path(sys.executable).absolute()), str(script), "create-backup"]
    argv += ["--data-dir", str(root)]
    if backup_dir is not None:
        argv += ["--backup-dir", str(backup_dir.absolute())]
    argv.append("--json")
    if push:
        argv.append("--push")
    return ScheduledJob(
        entry_name=entry_name_for(root),
        data_root=root,
        argv=tuple(argv),
        working_dir=(working_dir or Path.cwd()).absolute(),
        schedule=schedule,
    )


def install_schedule(
    job: ScheduledJob, environment: SchedulerEnvironment, *, dry_run: bool = False
) -> ScheduleResult:
    try:
        scheduler = choose_scheduler(environment, check=not dry_run)
        runner = ToolRunner()
        plan = scheduler.plan(job)
        entry = ScheduleEntry(
            scheduler=scheduler.kind,
            entry_name=job.entry_name,
            data_root=str(job.data_root),
            every=job.schedule.every,
            at=job.schedule.at,
            schedule=job.schedule.describe(),
            command=list(job.argv),
            working_dir=str(job.working_dir),
        )
        if dry_run:
            return ScheduleResult(
                ok=True,
                action="install",
                dry_run=True,
                scheduler=scheduler.kind,
                entry=entry,
                artifacts=plan.artifacts,
                scheduler_commands=plan.commands,
            )
        scheduler.install(job, runner)
        installed = scheduler.read(job.entry_name, job.data_root, runner)
        if installed is not None:
            entry = entry.model_copy(update={"next_run": installed.next_run})
        return ScheduleResult(
            ok=True,
            action="install",
            scheduler=scheduler.kind,
            entry=entry,
            artifacts=plan.artifacts,
            scheduler_commands=runner.calls,
        )
    except BackupError as exc:
        return ScheduleResult(
            ok=False, action="install", error=exc.message, exit_code=int(exc.exit_code)
        )


def remove_schedule(data_root: Path, environment: SchedulerEnvironment) -> ScheduleResult:
    try:
        scheduler = choose_scheduler(environment)
        runner = ToolRunner()
        removed = scheduler.remove(entry_name_for(data_root), runner)
        return ScheduleResult(
            ok=True,
            action="remove",
            scheduler=scheduler.kind,
            removed=removed,
            scheduler_commands=runner.calls,
        )
    except BackupError as exc:
        return ScheduleResult(
            ok=False, action="remove", error=exc.message, exit_code=int(exc.exit_code)
        )


def schedule_status(
    data_root: Path, backup_dir: Path, environment: SchedulerEnvironment
) -> ScheduleStatus:
    """Installed or not, the schedule, the next run, and the last create from the run log."""
    name = entry_name_for(data_root)
    last = last_run(read_runs(backup_dir), RunKind.CREATE)
    try:
        scheduler = choose_scheduler(environment)
        entry = scheduler.read(name, data_root.absolute(), ToolRunner())
    except BackupError as exc:
        return ScheduleStatus(
            ok=False,
            error=exc.message,
            exit_code=int(exc.exit_code),
            entry_name=name,
            data_root=str(data_root.absolute()),
            last_run=last,
        )
    return ScheduleStatus(
        ok=True,
        installed=entry is not None,
        scheduler=scheduler.kind,
        entry_name=name,
        data_root=str(data_root.absolute()),
        entry=entry,
        last_run=last,
    )
