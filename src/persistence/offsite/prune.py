"""prune --remote: the same retention rules as local prune, applied to the remote's backups.

A `.pruning` marker goes up first, then the manifest and its sidecar are deleted, so a prune
killed at any point leaves a backup that is listed as incomplete, never as complete; the next
prune finishes what a killed one started. Incomplete backups without the marker may be pushes
in progress: they are never touched.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from persistence.core.results import IgnoredBackup, PruneResult
from persistence.offsite.layout import COMMIT_NAMES, PRUNING_MARKER
from persistence.offsite.listing import RemoteBackup, scan_remote
from persistence.remote.base import Remote
from persistence.retention.policy import RetentionPolicy, decide
from persistence.store.catalog import CompleteBackup


def prune_remote(
    remote: Remote, policy: RetentionPolicy, *, dry_run: bool, now: datetime | None = None
) -> PruneResult:
    backups = scan_remote(remote)
    complete = [b for b in backups if b.complete]
    as_local = [
        CompleteBackup(b.backup_id, Path(b.base), b.manifest)
        for b in complete
        if b.manifest is not None
    ]
    decision = decide(as_local, policy, now or datetime.now(UTC))
    doomed = [b for b in complete if b.backup_id in decision.delete]
    unfinished = [b for b in backups if PRUNING_MARKER in b.objects]
    ignored = [
        IgnoredBackup(backup_id=b.backup_id, reason=f"never pruned: {b.problem}")
        for b in backups
        if not b.complete and PRUNING_MARKER not in b.objects
    ]
    if not dry_run:
        for backup in unfinished + doomed:
            delete_remote_backup(remote, backup)
    return PruneResult(
        ok=True,
        dry_run=dry_run,
        # What a killed prune left half-deleted is finished now: it is deleted too.
        deleted=[b.backup_id for b in unfinished + doomed],
        kept=[b.backup_id for b in complete if b.backup_id in decision.keep],
        keep_rules={key: [r.describe() for r in found] for key, found in decision.keep.items()},
        keep_reasons=decision.keep,
        ignored=ignored,
    )


def delete_remote_backup(remote: Remote, backup: RemoteBackup) -> None:
    """Marker, then the commit files, then the data, then the marker: never complete-looking."""
    marker = f"{backup.base}/{PRUNING_MARKER}"
    note = b"deleting\n"
    remote.put_bytes(marker, note, sha256=hashlib.sha256(note).hexdigest())
    for name in COMMIT_NAMES:
        remote.delete(f"{backup.base}/{name}")
    for relative in sorted(backup.objects):
        if relative not in (*COMMIT_NAMES, PRUNING_MARKER):
            remote.delete(f"{backup.base}/{relative}")
    remote.delete(marker)
