"""A systemd user timer: `<entry>.service` + `<entry>.timer` under the user's unit folder."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from persistence.core.atomic import write_atomic
from persistence.core.errors import ConfigError
from persistence.schedule.base import InstallPlan, ToolRunner, on_path
from persistence.schedule.models import (
    Artifact,
    Every,
    Schedule,
    ScheduledJob,
    ScheduleEntry,
    SchedulerKind,
)

# Spreads many machines' runs over a few minutes; small so `--at` still means that time.
RANDOMIZED_DELAY = "5min"
SCHEDULE_KEY = "X-AppBackup-Schedule"
DATA_ROOT_KEY = "X-AppBackup-DataRoot"
UNIT_FILE_MODE = 0o644


def quote_exec_arg(value: str) -> str:
    """One ExecStart= argument: double-quoted, with systemd's specifier and variable escapes."""
    if "\n" in value:
        raise ConfigError(f"a path with a line break cannot go into a systemd unit: {value!r}")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("%", "%%").replace("$", "$$") + '"'


def _plain_value(value: str) -> str:
    """A path in a setting that takes it whole (WorkingDirectory=): only specifiers escaped."""
    if "\n" in value:
        raise ConfigError(f"a path with a line break cannot go into a systemd unit: {value!r}")
    return value.replace("%", "%%")


def on_calendar(schedule: Schedule) -> str:
    minute = f"{schedule.minute:02d}:00"
    if schedule.every is Every.HOURLY:
        return f"*-*-* *:{minute}"
    hours = ",".join(f"{h:02d}" for h in schedule.hours())
    prefix = "Mon " if schedule.every is Every.WEEKLY else ""
    return f"{prefix}*-*-* {hours}:{minute}"


def service_text(job: ScheduledJob) -> str:
    command = " ".join(quote_exec_arg(arg) for arg in job.argv)
    return (
        "[Unit]\n"
        f"Description=app-backup create-backup for {_plain_value(str(job.data_root))}\n"
        f"{DATA_ROOT_KEY}={_plain_value(str(job.data_root))}\n"
        "\n[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={_plain_value(str(job.working_dir))}\n"
        f"ExecStart={command}\n"
    )


def timer_text(job: ScheduledJob) -> str:
    return (
        "[Unit]\n"
        f"Description=app-backup schedule for {_plain_value(str(job.data_root))}\n"
        f"{SCHEDULE_KEY}={job.schedule.token()}\n"
        "\n[Timer]\n"
        f"OnCalendar={on_calendar(job.schedule)}\n"
        # A run missed while the machine was off happens at the next boot.
        "Persistent=true\n"
        f"RandomizedDelaySec={RANDOMIZED_DELAY}\n"
        "\n[Install]\n"
        "WantedBy=timers.target\n"
    )


@dataclass(frozen=True)
class SystemdScheduler:
    unit_dir: Path  # $XDG_CONFIG_HOME/systemd/user
    kind: SchedulerKind = SchedulerKind.SYSTEMD

    def unusable_reason(self) -> str | None:
        if not on_path("systemctl"):
            return "systemctl is not installed"
        probe = ToolRunner().run(["systemctl", "--user", "show-environment"])
        if probe.returncode != 0:
            return (
                "no systemd user session here (systemctl --user cannot reach a user "
                "manager); use BACKUP_SCHEDULER=cron"
            )
        return None

    def _paths(self, entry_name: str) -> tuple[Path, Path]:
        return self.unit_dir / f"{entry_name}.service", self.unit_dir / f"{entry_name}.timer"

    def plan(self, job: ScheduledJob) -> InstallPlan:
        service, timer = self._paths(job.entry_name)
        return InstallPlan(
            artifacts=[
                Artifact(path=str(service), content=service_text(job)),
                Artifact(path=str(timer), content=timer_text(job)),
            ],
            commands=[
                ["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", timer.name],
            ],
        )

    def install(self, job: ScheduledJob, runner: ToolRunner) -> None:
        plan = self.plan(job)
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        for artifact in plan.artifacts:
            write_atomic(Path(artifact.path), artifact.content.encode(), UNIT_FILE_MODE)
        for command in plan.commands:
            runner.check(command)

    def read(self, entry_name: str, data_root: Path, runner: ToolRunner) -> ScheduleEntry | None:
        service, timer = self._paths(entry_name)
        if not timer.is_file():
            return None
        schedule = Schedule.from_token(timer.read_text(encoding="utf-8"))
        return ScheduleEntry(
            scheduler=self.kind,
            entry_name=entry_name,
            data_root=str(data_root),
            every=schedule.every if schedule else None,
            at=schedule.at if schedule else None,
            schedule=schedule.describe() if schedule else None,
            command=_exec_start(service),
            working_dir=_setting(service, "WorkingDirectory"),
            next_run=_next_elapse(timer.name, runner),
        )

    def remove(self, entry_name: str, runner: ToolRunner) -> list[str]:
        existing = [path for path in self._paths(entry_name) if path.exists()]
        if not existing:
            return []
        timer = self._paths(entry_name)[1]
        if timer.exists():
            runner.run(["systemctl", "--user", "disable", "--now", timer.name])
        for path in existing:
            path.unlink()
        runner.check(["systemctl", "--user", "daemon-reload"])
        return [str(path) for path in existing]


def _setting(unit: Path, key: str) -> str | None:
    if not unit.is_file():
        return None
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1].replace("%%", "%")
    return None


def _exec_start(service: Path) -> list[str]:
    value = _setting(service, "ExecStart")
    if value is None:
        return []
    # Our own quoting is a subset of POSIX double quotes once `$$` is undone.
    return shlex.split(value.replace("$$", "$"))


def _next_elapse(timer_name: str, runner: ToolRunner) -> datetime | None:
    """The timer's next run as systemd computes it; None when no user manager can say."""
    try:
        shown = runner.run(
            [
                "systemctl",
                "--user",
                "show",
                timer_name,
                "--property=NextElapseUSecRealtime",
                "--value",
                "--timestamp=unix",
            ]
        )
    except ConfigError:
        return None
    value = shown.stdout.strip()
    if shown.returncode != 0 or not value.startswith("@"):
        return None
    try:
        return datetime.fromtimestamp(float(value[1:]), UTC)
    except (ValueError, OverflowError):
        return None
