"""Service calls for scheduling and monitoring: what the CLI and the panel use.

Settings in, typed results out; bad configuration comes back inside the result (ok=False,
exit code 2) so both shells print one line and the JSON shell one document.
"""

from __future__ import annotations

import os
from pathlib import Path

from persistence.core.errors import BackupError
from persistence.core.paths import check_paths
from persistence.core.settings import BackupSettings
from persistence.monitoring.status import BackupFacts, HealthStatus, assess, compute_status
from persistence.schedule import (
    Schedule,
    SchedulerEnvironment,
    ScheduleResult,
    SchedulerKind,
    ScheduleStatus,
    build_job,
    install_schedule,
    remove_schedule,
    schedule_status,
)
from persistence.service import StatusReport

# Variables a scheduled run only sees when they are in `.env` (or given as flags).
_CARRIED_PREFIXES = ("BACKUP_", "QDRANT_")
# Passed as flags, or only read by `schedule` itself.
_NOT_CARRIED = frozenset(
    {"BACKUP_DATA_DIR", "BACKUP_DIR", "BACKUP_SCHEDULER", "BACKUP_CRONTAB_COMMAND"}
)


def scheduler_environment(settings: BackupSettings) -> SchedulerEnvironment:
    forced = SchedulerKind(settings.scheduler) if settings.scheduler else None
    return SchedulerEnvironment.current(forced, settings.crontab_command)


def install(
    settings: BackupSettings, *, every: str = "daily", at: str | None = None, dry_run: bool = False
) -> ScheduleResult:
    """Register create-backup for this data root (replacing its earlier entry)."""
    try:
        schedule = Schedule.parse(every, at)
        check_paths(settings)
        job = build_job(
            settings.resolved().data_dir,
            schedule,
            backup_dir=settings.resolved().backup_dir if settings.backup_dir else None,
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


def status(settings: BackupSettings) -> ScheduleStatus:
    """Installed or not, the schedule, the next run, and the last create's result."""
    try:
        paths = check_paths(settings)
        environment = scheduler_environment(settings)
    except BackupError as exc:
        return ScheduleStatus(ok=False, error=exc.message, exit_code=int(exc.exit_code))
    return schedule_status(settings.resolved().data_dir, paths.backup_dir, environment)


def remove(settings: BackupSettings) -> ScheduleResult:
    """Remove exactly what install made for this data root."""
    try:
        environment = scheduler_environment(settings)
    except BackupError as exc:
        return ScheduleResult(
            ok=False, action="remove", error=exc.message, exit_code=int(exc.exit_code)
        )
    return remove_schedule(settings.resolved().data_dir, environment)


def backup_health(settings: BackupSettings) -> HealthStatus:
    """ok / late / failing / never for this data root's backups (raises on bad settings)."""
    paths = check_paths(settings)
    return compute_status(paths.backup_dir, settings.expected_interval_hours)


def health_of_report(report: StatusReport, expected_interval_hours: float) -> HealthStatus:
    """The same verdict as `backup_health`, from the listing the panel has already read."""
    complete = [
        item
        for item in report.backups
        if item.valid and item.kind == "backup" and item.created_at is not None
    ]
    newest = None
    if complete:
        item = complete[-1]  # the listing is oldest first
        assert item.created_at is not None
        newest = BackupFacts(item.backup_id, item.created_at, item.size_bytes)
    return assess(report.backup_dir, newest, report.last_run, expected_interval_hours)


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
