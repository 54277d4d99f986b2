"""install, status and remove for the data root the settings name: the service's entry points."""

from __future__ import annotations

import os
from pathlib import Path

from persistence.core.errors import BackupError
from persistence.core.paths import check_paths
from persistence.core.settings import BackupSettings
from persistence.schedule.detect import SchedulerEnvironment
from persistence.schedule.models import (
    Schedule,
    ScheduleResult,
    SchedulerKind,
    ScheduleStatus,
)
from persistence.schedule.operations import (
    build_job,
    install_schedule,
    remove_schedule,
    schedule_status,
)

# Variables a scheduled run only sees when they are in `.env` (or given as flags).
_CARRIED_PREFIXES = ("BACKUP_", "QDRANT_")
# Passed as flags, or only read by `schedule` itself.
_NOT_CARRIED = frozenset(
    {"BACKUP_DATA_DIR", "BACKUP_DIR", "BACKUP_SCHEDULER", "BACKUP_CRONTAB_COMMAND"}
)


def scheduler_environment(settings: BackupSettings) -> SchedulerEnvironment:
    forced = SchedulerKind(settings.scheduler) if settings.scheduler else None
    return SchedulerEnvironment.current(forced, settings.crontab_command)


def install_for(
    settings: BackupSettings, *, every: str = "daily", at: str | None = None, dry_run: bool = False
) -> ScheduleResult:
    """Register create-backup for this data root (replacing its earlier entry)."""
    try:
        schedule = Schedule.parse(every, at)
        check_paths(settings)
        resolved = settings.resolved()
        job = build_job(
            resolved.data_dir,
            schedule,
            backup_dir=resolved.backup_dir if settings.backup_dir else None,
            # A remote configured at install time: every scheduled run pushes off-site too.
            push=settings.remote is not None,
        )
        environment = scheduler_environment(settings)
    except BackupError as exc:
        return ScheduleResult(
            ok=False, action="install", error=exc.message, exit_code=int(exc.exit_code)
        )
    result = install_schedule(job, environment, dry_run=dry_run)
    if result.ok:
        result.warnings.extend(_shell_only_variables(job.working_dir / ".env"))
    return result


def status_for(settings: BackupSettings) -> ScheduleStatus:
    """Installed or not, the schedule, the next run, and the last create's result."""
    try:
        paths = check_paths(settings)
        environment = scheduler_environment(settings)
    except BackupError as exc:
        return ScheduleStatus(ok=False, error=exc.message, exit_code=int(exc.exit_code))
    return schedule_status(settings.resolved().data_dir, paths.backup_dir, environment)


def remove_for(settings: BackupSettings) -> ScheduleResult:
    """Remove exactly what install made for this data root."""
    try:
        environment = scheduler_environment(settings)
    except BackupError as exc:
        return ScheduleResult(
            ok=False, action="remove", error=exc.message, exit_code=int(exc.exit_code)
        )
    return remove_schedule(settings.resolved().data_dir, environment)


def _shell_only_variables(env_file: Path) -> list[str]:
    """Settings exported in this shell that the scheduled run will not see."""
    try:
        written = env_file.read_text(encoding="utf-8")
    except OSError:
        written = ""
    named = {line.split("=", 1)[0].strip().removeprefix("export ") for line in written.splitlines()}
    missing = sorted(
        name
        for name in os.environ
        if name.startswith(_CARRIED_PREFIXES) and name not in _NOT_CARRIED and name not in named
    )
    if not missing:
        return []
    return [
        f"{', '.join(missing)} set in this shell but not in {env_file}: the scheduled run "
        "will not see it; write it into that file"
    ]
