"""Which scheduler holds the entry: BACKUP_SCHEDULER when set, otherwise the system's own."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import ConfigError
from persistence.schedule.base import Scheduler, SchedulerUnusable
from persistence.schedule.cron import CronScheduler
from persistence.schedule.launchd import LaunchdScheduler
from persistence.schedule.models import SchedulerKind
from persistence.schedule.schtasks import SchtasksScheduler
from persistence.schedule.systemd import SystemdScheduler


@dataclass(frozen=True)
class SchedulerEnvironment:
    """Where each scheduler keeps its entries; from the process environment by default."""

    forced: SchedulerKind | None
    platform: str
    config_home: Path
    home: Path
    crontab: tuple[str, ...]

    @classmethod
    def current(
        cls, forced: SchedulerKind | None = None, crontab_command: str | None = None
    ) -> SchedulerEnvironment:
        home = Path.home()
        config_home = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        try:
            crontab = tuple(shlex.split(crontab_command or "crontab"))
        except ValueError as exc:
            raise ConfigError(f"invalid setting BACKUP_CRONTAB_COMMAND: {exc}") from None
        return cls(forced, sys.platform, Path(config_home).absolute(), home, crontab)

    def build(self, kind: SchedulerKind) -> Scheduler:
        if kind is SchedulerKind.SYSTEMD:
            return SystemdScheduler(self.config_home / "systemd" / "user")
        if kind is SchedulerKind.CRON:
            return CronScheduler(self.crontab)
        if kind is SchedulerKind.LAUNCHD:
            return LaunchdScheduler(self.home / "Library" / "LaunchAgents")
        return SchtasksScheduler()

    def candidates(self) -> list[SchedulerKind]:
        if self.platform == "win32":
            return [SchedulerKind.SCHTASKS]
        if self.platform == "darwin":
            return [SchedulerKind.LAUNCHD, SchedulerKind.CRON]
        return [SchedulerKind.SYSTEMD, SchedulerKind.CRON]


def choose_scheduler(environment: SchedulerEnvironment, *, check: bool = True) -> Scheduler:
    """The forced scheduler if usable, else the first usable one; unusable is a usage error.

    `check=False` (a dry run) takes the forced one as is, so any scheduler can be shown.
    """
    if environment.forced is not None:
        scheduler = environment.build(environment.forced)
        reason = scheduler.unusable_reason() if check else None
        if reason is not None:
            raise SchedulerUnusable(f"BACKUP_SCHEDULER={environment.forced.value}: {reason}")
        return scheduler
    reasons: list[str] = []
    for kind in environment.candidates():
        scheduler = environment.build(kind)
        reason = scheduler.unusable_reason()
        if reason is None:
            return scheduler
        reasons.append(f"{kind.value}: {reason}")
    raise SchedulerUnusable("no usable scheduler: " + "; ".join(reasons))
