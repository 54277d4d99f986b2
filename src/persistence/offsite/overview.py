"""A quick look at the remote for screens: reachable or not, and its backups.

Unlike the commands, which retry for minutes to get a transfer through, a screen must answer
soon: one short retry within `timeout_seconds`, and an unreachable remote is an answer
(`reachable=False` with the reason), never an exception.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from persistence.core.errors import BackupError
from persistence.core.paths import check_paths
from persistence.core.settings import BackupSettings
from persistence.offsite.listing import RemoteBackupSummary, scan_remote, summarize_remote
from persistence.remote.retry import RetryPolicy
from persistence.remote.target import open_remote, require_target
from persistence.store.runlog import RunKind, read_runs, verified_at

UNNAMED = "BACKUP_REMOTE"  # shown when the setting cannot be parsed: the value may hold a key


class RemoteOverview(BaseModel):
    remote: str  # where, as shown: never with credentials
    reachable: bool
    error: str | None = None
    checked_at: datetime
    backups: list[RemoteBackupSummary] = Field(
        default_factory=lambda: list[RemoteBackupSummary]()
    )  # oldest first, incomplete ones included with their reason

    @property
    def complete_ids(self) -> set[str]:
        return {b.backup_id for b in self.backups if b.valid}

    @property
    def newest(self) -> RemoteBackupSummary | None:
        """The newest complete remote backup."""
        complete = [b for b in self.backups if b.valid and b.created_at is not None]
        return max(complete, key=lambda b: (b.created_at, b.backup_id), default=None)


def remote_overview(settings: BackupSettings, *, timeout_seconds: float = 5.0) -> RemoteOverview:
    """The remote's backups within about `timeout_seconds` (twice that at worst)."""
    now = datetime.now(UTC)
    policy = RetryPolicy(
        attempts=2,
        deadline_seconds=timeout_seconds,
        first_delay=0.25,
        request_timeout=timeout_seconds,
    )
    try:
        target = require_target(settings.remote)
    except BackupError as exc:
        return RemoteOverview(remote=UNNAMED, reachable=False, error=exc.message, checked_at=now)
    try:
        remote = open_remote(target, policy)
        verified = verified_at(read_runs(check_paths(settings).backup_dir), RunKind.REMOTE_VERIFY)
        backups = [
            summarize_remote(remote, b, verified.get(b.backup_id)) for b in scan_remote(remote)
        ]
    except BackupError as exc:
        return RemoteOverview(
            remote=target.display, reachable=False, error=exc.message, checked_at=now
        )
    except OSError as exc:  # a folder remote whose disk went away mid-listing
        return RemoteOverview(
            remote=target.display,
            reachable=False,
            error=exc.strerror or type(exc).__name__,
            checked_at=now,
        )
    return RemoteOverview(remote=target.display, reachable=True, backups=backups, checked_at=now)
