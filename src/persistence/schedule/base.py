"""What every scheduler backend offers, and how it calls the operating system's tools."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from persistence.core.errors import BackupError, ConfigError
from persistence.schedule.models import Artifact, ScheduledJob, ScheduleEntry, SchedulerKind

# systemctl, crontab, launchctl and schtasks answer in well under a second; a hung one must
# not hang the command.
TOOL_TIMEOUT_SECONDS = 30.0


class SchedulerUnusable(ConfigError):
    """The chosen scheduler cannot work here (no user session, wrong operating system)."""


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def failure_line(self) -> str:
        text = (self.stderr or self.stdout).strip().splitlines()
        detail = text[-1] if text else f"exit status {self.returncode}"
        return f"{' '.join(self.argv)} failed: {detail}"


@dataclass
class ToolRunner:
    """Runs scheduler tools and remembers each call, so results can show what was done."""

    calls: list[list[str]] = field(default_factory=list[list[str]])

    def run(self, argv: list[str], *, stdin: str | None = None) -> ToolRun:
        self.calls.append(list(argv))
        try:
            done = subprocess.run(
                argv,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=TOOL_TIMEOUT_SECONDS,
                check=False,
            )
        except FileNotFoundError:
            raise SchedulerUnusable(f"{argv[0]} is not installed (not found on PATH)") from None
        except subprocess.TimeoutExpired:
            raise BackupError(
                f"{' '.join(argv)} did not answer within {TOOL_TIMEOUT_SECONDS:.0f}s"
            ) from None
        return ToolRun(tuple(argv), done.returncode, done.stdout, done.stderr)

    def check(self, argv: list[str], *, stdin: str | None = None) -> ToolRun:
        """Run and fail with the tool's own last line when it does not succeed."""
        outcome = self.run(argv, stdin=stdin)
        if outcome.returncode != 0:
            raise BackupError(outcome.failure_line())
        return outcome


def on_path(program: str) -> bool:
    return shutil.which(program) is not None


@dataclass(frozen=True)
class InstallPlan:
    """What install writes, before anything is written (what `--dry-run` shows)."""

    artifacts: list[Artifact]
    commands: list[list[str]]


class Scheduler(Protocol):
    @property
    def kind(self) -> SchedulerKind: ...

    def unusable_reason(self) -> str | None:
        """Why this scheduler cannot be used here, or None when it can."""
        ...

    def plan(self, job: ScheduledJob) -> InstallPlan: ...

    def install(self, job: ScheduledJob, runner: ToolRunner) -> None:
        """Write the entry and register it; replaces an entry of the same name."""
        ...

    def read(self, entry_name: str, data_root: Path, runner: ToolRunner) -> ScheduleEntry | None:
        """The installed entry, or None."""
        ...

    def remove(self, entry_name: str, runner: ToolRunner) -> list[str]:
        """Remove exactly what install made; what was removed (empty when nothing was)."""
        ...
