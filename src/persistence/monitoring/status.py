"""The health of a data root's backups in one word: ok, late, failing or never.

`status` is what a Nagios-style check or `status || notify-send` reads; it only reads
(backup folders and the run log), never takes the lock, never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from persistence.core.results import RunResult
from persistence.store.catalog import scan_backups
from persistence.store.runlog import RunKind, RunRecord, last_run, read_runs

# A backup counts as late once it is this many expected intervals old: one missed run
# with a little slack, not a run that is a few minutes behind.
LATE_FACTOR = 1.5


class BackupState(StrEnum):
    OK = "ok"
    LATE = "late"
    FAILING = "failing"
    NEVER = "never"


class NewestBackup(BaseModel):
    backup_id: str
    created_at: datetime
    age_seconds: float
    size_bytes: int


class RemoteNewest(BaseModel):
    """The newest backup on the off-site remote (filled in once the remote exists)."""

    remote: str  # redacted location
    backup_id: str | None
    created_at: datetime | None
    # Why the remote could not be read (the local verdict stands: a monitor still gets a state).
    error: str | None = None


# The off-site push (issue 9) plugs in here: a callable that reports the remote's newest backup,
# or None when no remote is set. `status` stays local-only until it is passed.
RemoteProbe = Callable[[], RemoteNewest | None]


class HealthStatus(RunResult):
    state: BackupState
    reason: str
    backup_dir: str
    expected_interval_hours: float
    newest_backup: NewestBackup | None = None
    last_run: RunRecord | None = None
    remote: RemoteNewest | None = None


@dataclass(frozen=True)
class BackupFacts:
    """The newest complete backup as already read (by a scan or the panel's listing)."""

    backup_id: str
    created_at: datetime
    size_bytes: int


def compute_status(
    backup_dir: Path,
    expected_interval_hours: float,
    *,
    now: datetime | None = None,
    remote_probe: RemoteProbe | None = None,
) -> HealthStatus:
    """The state, the newest complete backup and its age, and the last create run."""
    complete = scan_backups(backup_dir).complete
    newest = None
    if complete:
        backup = complete[-1]
        newest = BackupFacts(backup.backup_id, backup.created_at, backup.manifest.total_bytes)
    return assess(
        str(backup_dir),
        newest,
        last_run(read_runs(backup_dir), RunKind.CREATE),
        expected_interval_hours,
        now=now,
        remote_probe=remote_probe,
    )


def assess(
    backup_dir: str,
    newest: BackupFacts | None,
    last: RunRecord | None,
    expected_interval_hours: float,
    *,
    now: datetime | None = None,
    remote_probe: RemoteProbe | None = None,
) -> HealthStatus:
    """The verdict from facts already read: the newest complete backup and the last create."""
    moment = now or datetime.now(UTC)
    shown = None
    if newest is not None:
        shown = NewestBackup(
            backup_id=newest.backup_id,
            created_at=newest.created_at,
            age_seconds=max(0.0, (moment - newest.created_at).total_seconds()),
            size_bytes=newest.size_bytes,
        )
    verdict = _judge(shown, last, expected_interval_hours)
    healthy = verdict.state is BackupState.OK
    return HealthStatus(
        ok=healthy,
        state=verdict.state,
        reason=verdict.reason,
        error=None if healthy else verdict.reason,
        exit_code=0 if healthy else 1,
        backup_dir=backup_dir,
        expected_interval_hours=expected_interval_hours,
        newest_backup=shown,
        last_run=last,
        remote=remote_probe() if remote_probe is not None else None,
    )


@dataclass(frozen=True)
class Verdict:
    state: BackupState
    reason: str


def _judge(newest: NewestBackup | None, last: RunRecord | None, interval_hours: float) -> Verdict:
    if last is not None and not last.ok:
        when = f"{last.finished_at:%Y-%m-%d %H:%M} UTC"
        return Verdict(BackupState.FAILING, f"the last create-backup ({when}) failed: {last.error}")
    if newest is None:
        return Verdict(BackupState.NEVER, "no complete backup yet")
    limit_hours = interval_hours * LATE_FACTOR
    age_hours = newest.age_seconds / 3600
    if age_hours > limit_hours:
        return Verdict(
            BackupState.LATE,
            f"the newest backup is {age_hours:.1f} h old (late after {limit_hours:g} h: "
            f"BACKUP_EXPECTED_INTERVAL_HOURS × {LATE_FACTOR:g})",
        )
    return Verdict(BackupState.OK, f"the newest backup is {age_hours:.1f} h old")
