"""What a schedule is (how often, at what time), which scheduler holds it, and the results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from persistence.core.errors import ConfigError
from persistence.core.results import RunResult
from persistence.store.runlog import RunRecord

ENTRY_PREFIX = "app-backup-"
_AT_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_TOKEN_PATTERN = re.compile(r"every=(\S+) at=(\d\d:\d\d)")


class Every(StrEnum):
    DAILY = "daily"
    HOURLY = "hourly"
    SIX_HOURS = "6h"
    TWELVE_HOURS = "12h"
    WEEKLY = "weekly"


class SchedulerKind(StrEnum):
    SYSTEMD = "systemd"
    CRON = "cron"
    LAUNCHD = "launchd"
    SCHTASKS = "schtasks"


# Hours between runs for the schedules that repeat within a day.
_STEP_HOURS = {Every.HOURLY: 1, Every.SIX_HOURS: 6, Every.TWELVE_HOURS: 12}


@dataclass(frozen=True)
class Schedule:
    every: Every = Every.DAILY
    hour: int = 3
    minute: int = 0

    @classmethod
    def parse(cls, every: str, at: str | None) -> Schedule:
        """From the command line's `--every` and `--at HH:MM`; bad input is a ConfigError."""
        try:
            kind = Every(every)
        except ValueError:
            choices = "|".join(e.value for e in Every)
            raise ConfigError(f"--every {every!r}: expected one of {choices}") from None
        if at is None:
            return cls(kind)
        match = _AT_PATTERN.match(at.strip())
        if match is None:
            raise ConfigError(f"--at {at!r}: expected a time of day as HH:MM (00:00 to 23:59)")
        return cls(kind, int(match[1]), int(match[2]))

    @property
    def at(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def hours(self) -> list[int]:
        """The hours of the day a run starts (every hour for hourly, once for daily/weekly)."""
        step = _STEP_HOURS.get(self.every, 24)
        return sorted((self.hour + step * k) % 24 for k in range(24 // step))

    def describe(self) -> str:
        if self.every is Every.HOURLY:
            return f"hourly at :{self.minute:02d}"
        if self.every is Every.WEEKLY:
            return f"weekly on Monday at {self.at}"
        if self.every is Every.DAILY:
            return f"daily at {self.at}"
        return f"every {self.every.value} at " + ", ".join(
            f"{h:02d}:{self.minute:02d}" for h in self.hours()
        )

    def token(self) -> str:
        """How the schedule is written into the entry, so `status` can read it back."""
        return f"every={self.every.value} at={self.at}"

    @classmethod
    def from_token(cls, text: str) -> Schedule | None:
        match = _TOKEN_PATTERN.search(text)
        if match is None:
            return None
        try:
            return cls.parse(match[1], match[2])
        except ConfigError:
            return None


@dataclass(frozen=True)
class ScheduledJob:
    """The command a scheduler runs, and where: absolute paths only, nothing from a shell."""

    entry_name: str  # derived from the data root: one entry per data root
    data_root: Path
    argv: tuple[str, ...]
    working_dir: Path  # where the `.env` the command reads lives
    schedule: Schedule


class Artifact(BaseModel):
    """A file a scheduler entry consists of (unit, plist), with the text written into it."""

    path: str
    content: str


class ScheduleEntry(BaseModel):
    scheduler: SchedulerKind
    entry_name: str
    data_root: str
    every: Every | None = None
    at: str | None = None
    schedule: str | None = None  # e.g. "daily at 03:00"
    command: list[str] = []
    working_dir: str | None = None
    next_run: datetime | None = None  # when the scheduler itself can tell


class ScheduleResult(RunResult):
    """`schedule install` / `schedule remove`: what was written and which scheduler calls ran."""

    action: str
    dry_run: bool = False
    scheduler: SchedulerKind | None = None
    entry: ScheduleEntry | None = None
    artifacts: list[Artifact] = Field(default_factory=list[Artifact])
    scheduler_commands: list[list[str]] = Field(default_factory=list[list[str]])
    removed: list[str] = Field(default_factory=list[str])
    warnings: list[str] = Field(default_factory=list[str])


class ScheduleStatus(RunResult):
    installed: bool = False
    scheduler: SchedulerKind | None = None
    entry_name: str | None = None
    data_root: str | None = None
    entry: ScheduleEntry | None = None
    last_run: RunRecord | None = None
