"""Registering create-backup with the operating system's own scheduler.

Backends: systemd user timers, cron, launchd agents, Windows Task Scheduler. Each one keeps
one entry per data root, named from a hash of the root, so installing again replaces it.
"""

from persistence.schedule.base import SchedulerUnusable
from persistence.schedule.detect import SchedulerEnvironment, choose_scheduler
from persistence.schedule.models import (
    Every,
    Schedule,
    ScheduledJob,
    ScheduleEntry,
    ScheduleResult,
    SchedulerKind,
    ScheduleStatus,
)
from persistence.schedule.operations import (
    build_job,
    entry_name_for,
    install_schedule,
    remove_schedule,
    schedule_status,
)

__all__ = [
    "Every",
    "Schedule",
    "ScheduleEntry",
    "ScheduleResult",
    "ScheduleStatus",
    "ScheduledJob",
    "SchedulerEnvironment",
    "SchedulerKind",
    "SchedulerUnusable",
    "build_job",
    "choose_scheduler",
    "entry_name_for",
    "install_schedule",
    "remove_schedule",
    "schedule_status",
]
