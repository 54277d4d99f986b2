"""Retention applied to a backup root: on demand, or after a fully successful create."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from persistence.core.errors import BackupError
from persistence.core.results import IgnoredBackup, PruneResult
from persistence.retention.policy import RetentionPolicy, decide
from persistence.store.catalog import scan_backups
from persistence.store.staging import delete_backup_dir


def apply_retention(
    backup_dir: Path,
    policy: RetentionPolicy,
    *,
    dry_run: bool,
    protect: str | None = None,
    now: datetime | None = None,
) -> PruneResult:
    """Decide and (unless dry_run) delete; the caller holds the backup lock."""
    scan = scan_backups(backup_dir)
    complete, broken = scan.complete, scan.broken
    decision = decide(complete, policy, now or datetime.now(UTC), protect)
    ignored = [
        IgnoredBackup(backup_id=b.backup_id, reason=f"never pruned: {b.problem}") for b in broken
    ]
    deleted: list[str] = []
    if not dry_run:
        for backup_id in decision.delete:
            try:
                delete_backup_dir(backup_dir / backup_id)
            except OSError as exc:
                raise BackupError(
                    f"pruning {backup_id} failed: {exc.strerror}; nothing else was deleted after it"
                ) from exc
            deleted.append(backup_id)
    return PruneResult(
        ok=True,
        dry_run=dry_run,
        deleted=decision.delete if dry_run else deleted,
        kept=[b.backup_id for b in complete if b.backup_id in decision.keep],
        keep_rules=decision.keep,
        ignored=ignored,
    )
