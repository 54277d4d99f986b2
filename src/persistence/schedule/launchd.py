"""A macOS LaunchAgent: `~/Library/LaunchAgents/<label>.plist`, loaded with launchctl."""

from __future__ import annotations

import os
import plistlib
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from persistence.core.atomic import write_atomic
from persistence.schedule.base import InstallPlan, ToolRunner, on_path
from persistence.schedule.models import (
    Artifact,
    Every,
    Schedule,
    ScheduledJob,
    ScheduleEntry,
    SchedulerKind,
)

LABEL_PREFIX = "org.app-backup."
# launchd ignores keys it does not know; this one lets `status` read the schedule back.
SCHEDULE_KEY = "AppBackupSchedule"
PLIST_MODE = 0o644

CalendarInterval = dict[str, int]


def label_of(entry_name: str) -> str:
    return LABEL_PREFIX + entry_name


def calendar_intervals(schedule: Schedule) -> list[CalendarInterval]:
    if schedule.every is Every.HOURLY:
        return [{"Minute": schedule.minute}]
    if schedule.every is Every.WEEKLY:
        return [{"Weekday": 1, "Hour": schedule.hour, "Minute": schedule.minute}]
    return [{"Hour": hour, "Minute": schedule.minute} for hour in schedule.hours()]


def plist_bytes(job: ScheduledJob) -> bytes:
    document: dict[str, object] = {
        "Label": label_of(job.entry_name),
        "ProgramArguments": list(job.argv),
        "WorkingDirectory": str(job.working_dir),
        "StartCalendarInterval": calendar_intervals(job.schedule),
        "RunAtLoad": False,
        SCHEDULE_KEY: job.schedule.token(),
    }
    return plistlib.dumps(document)


def _domain() -> str:
    return f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/0"


class _AgentFile(BaseModel):
    """The parts of an agent plist `status` reads back."""

    arguments: list[str] = Field(default=[], alias="ProgramArguments")
    working_dir: str | None = Field(default=None, alias="WorkingDirectory")
    schedule: str = Field(default="", alias=SCHEDULE_KEY)


@dataclass(frozen=True)
class LaunchdScheduler:
    agents_dir: Path  # ~/Library/LaunchAgents
    kind: SchedulerKind = SchedulerKind.LAUNCHD

    def unusable_reason(self) -> str | None:
        if sys.platform != "darwin" or not on_path("launchctl"):
            return "only on macOS (launchctl is not available here)"
        return None

    def _path(self, entry_name: str) -> Path:
        return self.agents_dir / f"{label_of(entry_name)}.plist"

    def plan(self, job: ScheduledJob) -> InstallPlan:
        path = self._path(job.entry_name)
        return InstallPlan(
            artifacts=[Artifact(path=str(path), content=plist_bytes(job).decode())],
            commands=[
                ["launchctl", "bootout", _domain(), str(path)],
                ["launchctl", "bootstrap", _domain(), str(path)],
            ],
        )

    def install(self, job: ScheduledJob, runner: ToolRunner) -> None:
        path = self._path(job.entry_name)
        self.agents_dir.mkdir(parents=True, exist_ok=True)
        if path.exists():
            # A replaced agent must be unloaded first, or launchd keeps the old schedule.
            runner.run(["launchctl", "bootout", _domain(), str(path)])
        write_atomic(path, plist_bytes(job), PLIST_MODE)
        runner.check(["launchctl", "bootstrap", _domain(), str(path)])

    def read(self, entry_name: str, data_root: Path, runner: ToolRunner) -> ScheduleEntry | None:
        path = self._path(entry_name)
        if not path.is_file():
            return None
        try:
            document = _AgentFile.model_validate(plistlib.loads(path.read_bytes()))
        except (plistlib.InvalidFileException, ValueError):
            document = _AgentFile()
        schedule = Schedule.from_token(document.schedule)
        return ScheduleEntry(
            scheduler=self.kind,
            entry_name=entry_name,
            data_root=str(data_root),
            every=schedule.every if schedule else None,
            at=schedule.at if schedule else None,
            schedule=schedule.describe() if schedule else None,
            command=document.arguments,
            working_dir=document.working_dir,
        )

    def remove(self, entry_name: str, runner: ToolRunner) -> list[str]:
        path = self._path(entry_name)
        if not path.exists():
            return []
        runner.run(["launchctl", "bootout", _domain(), str(path)])
        path.unlink()
        return [str(path)]
