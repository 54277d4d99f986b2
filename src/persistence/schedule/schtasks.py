"""A Windows Task Scheduler task, created and deleted with `schtasks`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import ConfigError
from persistence.schedule.base import InstallPlan, ToolRunner, on_path
from persistence.schedule.models import Artifact, Every, ScheduledJob, ScheduleEntry, SchedulerKind

# schtasks refuses a /TR command longer than this.
MAX_TASK_COMMAND = 261
_MODIFIER_HOURS = {Every.HOURLY: "1", Every.SIX_HOURS: "6", Every.TWELVE_HOURS: "12"}


def task_command(job: ScheduledJob) -> str:
    """What /TR runs: `cmd /c` so the task starts in the folder whose `.env` it reads."""
    run = subprocess.list2cmdline(list(job.argv))
    inner = f'cd /d "{job.working_dir}" && {run}'
    return f'cmd /c "{inner}"'


def create_command(job: ScheduledJob) -> list[str]:
    schedule = job.schedule
    hours = _MODIFIER_HOURS.get(schedule.every)
    if hours is not None:
        start = schedule.hours()[0] if schedule.every is not Every.HOURLY else 0
        timing = ["/SC", "HOURLY", "/MO", hours, "/ST", f"{start:02d}:{schedule.minute:02d}"]
    elif schedule.every is Every.WEEKLY:
        timing = ["/SC", "WEEKLY", "/D", "MON", "/ST", schedule.at]
    else:
        timing = ["/SC", "DAILY", "/ST", schedule.at]
    return ["schtasks", "/Create", "/F", "/TN", job.entry_name, *timing, "/TR", task_command(job)]


@dataclass(frozen=True)
class SchtasksScheduler:
    kind: SchedulerKind = SchedulerKind.SCHTASKS

    def unusable_reason(self) -> str | None:
        if sys.platform != "win32" or not on_path("schtasks"):
            return "only on Windows (schtasks is not available here; --dry-run shows it)"
        return None

    def plan(self, job: ScheduledJob) -> InstallPlan:
        command = task_command(job)
        if len(command) > MAX_TASK_COMMAND:
            raise ConfigError(
                f"the task command is {len(command)} characters and schtasks allows "
                f"{MAX_TASK_COMMAND}; move the project or data root to a shorter path"
            )
        return InstallPlan(
            artifacts=[Artifact(path=f"task {job.entry_name}", content=command)],
            commands=[create_command(job)],
        )

    def install(self, job: ScheduledJob, runner: ToolRunner) -> None:
        for command in self.plan(job).commands:
            runner.check(command)  # /F replaces a task of the same name

    def read(self, entry_name: str, data_root: Path, runner: ToolRunner) -> ScheduleEntry | None:
        queried = runner.run(["schtasks", "/Query", "/TN", entry_name])
        if queried.returncode != 0:
            return None
        return ScheduleEntry(scheduler=self.kind, entry_name=entry_name, data_root=str(data_root))

    def remove(self, entry_name: str, runner: ToolRunner) -> list[str]:
        if runner.run(["schtasks", "/Query", "/TN", entry_name]).returncode != 0:
            return []
        runner.check(["schtasks", "/Delete", "/TN", entry_name, "/F"])
        return [f"task {entry_name}"]
