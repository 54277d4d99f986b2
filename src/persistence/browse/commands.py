"""The read-only commands: no lock and no run record, like list-backups.

They only read manifests and files. A backup pruned while it is being read gives a clear
error, never a half answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from persistence.browse.listing import contents_of
from persistence.browse.models import LIVE, BackupContents, BackupDiff
from persistence.core.errors import BackupError, ConfigError, describe_os_error
from persistence.core.paths import check_paths
from persistence.core.results import RunResult
from persistence.core.settings import BackupSettings
from persistence.store.catalog import find_backup

R = TypeVar("R", bound=RunResult)


def _read_only(failed: Callable[[str, int], R], body: Callable[[], R]) -> R:
    """Run `body`; an expected failure becomes a failed result; timed like every result."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    try:
        result = body()
    except BackupError as exc:
        result = failed(exc.message, int(exc.exit_code))
    except OSError as exc:
        result = failed(describe_os_error(exc, "backup"), 1)
    return result.model_copy(
        update={"started_at": started.isoformat(), "duration_seconds": time.monotonic() - clock}
    )


def ls_backup(
    settings: BackupSettings,
    backup_id: str | None,
    *,
    latest: bool = False,
    path: str | None = None,
) -> BackupContents:
    """The files, components and collections of one backup (or those under `path`)."""

    def body() -> BackupContents:
        if backup_id is not None and latest:
            raise ConfigError("name a backup id or pass --latest, not both")
        paths = check_paths(settings)
        return contents_of(find_backup(paths.backup_dir, backup_id, latest=latest), path)

    return _read_only(
        lambda message, code: BackupContents(
            ok=False, error=message, exit_code=code, backup_id=backup_id
        ),
        body,
    )


def diff_backups(settings: BackupSettings, old_id: str, new_id: str) -> BackupDiff:
    """What changed from backup `old_id` to backup `new_id`, or to the data root now ("live")."""

    # The diff reads databases (DuckDB) and asks Qdrant (httpx): loaded here, so that listing
    # a backup's files (the panel's first render) does not pay for them.
    from persistence.browse.diff import diff_sides
    from persistence.browse.sides import backup_side, live_side

    def body() -> BackupDiff:
        if old_id == LIVE:
            raise ConfigError("the first id must be a backup; only the second may be 'live'")
        paths = check_paths(settings)
        old = backup_side(find_backup(paths.backup_dir, old_id, latest=False))
        if new_id == LIVE:
            new = live_side(settings, paths)
        else:
            new = backup_side(find_backup(paths.backup_dir, new_id, latest=False))
        return diff_sides(old, new)

    return _read_only(
        lambda message, code: BackupDiff(
            ok=False, error=message, exit_code=code, old_id=old_id, new_id=new_id
        ),
        body,
    )
