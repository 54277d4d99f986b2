"""A crontab line, added and removed with the `crontab` tool; other lines are never touched.

The line carries its own marker as a trailing shell comment, so it is one line to find,
replace and remove: `... # app-backup:<entry> every=daily at=03:00 data root /path`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import BackupError, ConfigError
from persistence.schedule.base import InstallPlan, ToolRunner, on_path
from persistence.schedule.models import (
    Artifact,
    Every,
    Schedule,
    ScheduledJob,
    ScheduleEntry,
    SchedulerKind,
)

MARKER = "# app-backup:"


def cron_fields(schedule: Schedule) -> str:
    if schedule.every is Every.HOURLY:
        return f"{schedule.minute} * * * *"
    hours = ",".join(str(h) for h in schedule.hours())
    weekday = "1" if schedule.every is Every.WEEKLY else "*"
    return f"{schedule.minute} {hours} * * {weekday}"


def _cron_escape(text: str) -> str:
    # cron turns an unescaped % into a line break of the command's stdin.
    return text.replace("%", "\\%")


def shell_command(job: ScheduledJob) -> str:
    """The command part of the line, as `sh -c` runs it (before cron's % escaping)."""
    for value in (*job.argv, str(job.working_dir)):
        if "\n" in value:
            raise ConfigError(f"a path with a line break cannot go into a crontab: {value!r}")
    run = " ".join(shlex.quote(arg) for arg in job.argv)
    # The JSON result goes nowhere: the run log keeps it. Errors stay on stderr, which cron
    # mails to the user where mail is set up.
    return f"cd {shlex.quote(str(job.working_dir))} && {run} >/dev/null"


def cron_line(job: ScheduledJob) -> str:
    marker = f"{MARKER}{job.entry_name} {job.schedule.token()} data root {job.data_root}"
    return f"{cron_fields(job.schedule)} {_cron_escape(shell_command(job))} {_cron_escape(marker)}"


def is_entry(line: str, entry_name: str) -> bool:
    return not line.lstrip().startswith("#") and f"{MARKER}{entry_name} " in line


def command_of_line(line: str) -> str:
    """The shell command a crontab line runs: what cron hands to `sh -c`."""
    command = line.split(None, 5)[5]
    return command.replace("\\%", "%")


@dataclass(frozen=True)
class CronScheduler:
    crontab: tuple[str, ...]  # the crontab tool, e.g. ("crontab",)
    kind: SchedulerKind = SchedulerKind.CRON

    def unusable_reason(self) -> str | None:
        if not self.crontab or not on_path(self.crontab[0]):
            return f"{' '.join(self.crontab) or 'crontab'} is not installed"
        return None

    def _current(self, runner: ToolRunner) -> list[str]:
        listed = runner.run([*self.crontab, "-l"])
        if listed.returncode == 0:
            return listed.stdout.splitlines()
        if "no crontab" in listed.stderr.lower():
            return []
        raise BackupError(listed.failure_line())

    def plan(self, job: ScheduledJob) -> InstallPlan:
        return InstallPlan(
            artifacts=[Artifact(path="crontab", content=cron_line(job) + "\n")],
            commands=[[*self.crontab, "-l"], [*self.crontab, "-"]],
        )

    def install(self, job: ScheduledJob, runner: ToolRunner) -> None:
        kept = [line for line in self._current(runner) if not is_entry(line, job.entry_name)]
        self._write([*kept, cron_line(job)], runner)

    def _write(self, lines: list[str], runner: ToolRunner) -> None:
        runner.check([*self.crontab, "-"], stdin="".join(f"{line}\n" for line in lines))

    def read(self, entry_name: str, data_root: Path, runner: ToolRunner) -> ScheduleEntry | None:
        for line in self._current(runner):
            if is_entry(line, entry_name):
                return _entry_of_line(line, entry_name, data_root)
        return None

    def remove(self, entry_name: str, runner: ToolRunner) -> list[str]:
        lines = self._current(runner)
        ours = [line for line in lines if is_entry(line, entry_name)]
        if not ours:
            return []
        self._write([line for line in lines if not is_entry(line, entry_name)], runner)
        return ours


def _entry_of_line(line: str, entry_name: str, data_root: Path) -> ScheduleEntry:
    schedule = Schedule.from_token(line.split(f"{MARKER}{entry_name} ", 1)[1])
    command = command_of_line(line).split(f" {MARKER}", 1)[0]
    working_dir: str | None = None
    argv: list[str] = []
    try:
        words = shlex.split(command)
    except ValueError:
        words = []
    if len(words) > 3 and words[0] == "cd" and words[2] == "&&":
        working_dir = words[1]
        argv = [w for w in words[3:] if w != ">/dev/null"]
    return ScheduleEntry(
        scheduler=SchedulerKind.CRON,
        entry_name=entry_name,
        data_root=str(data_root),
        every=schedule.every if schedule else None,
        at=schedule.at if schedule else None,
        schedule=schedule.describe() if schedule else None,
        command=argv,
        working_dir=working_dir,
    )
