"""Retention applied to a backup root: on demand, or after a fully successful create."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from persistence.core.errors import BackupError
from persistence.core.paths import SafePaths
from persistence.core.results import IgnoredBackup, PruneResult
from persistence.core.settings import BackupSettings
from persistence.retention.policy import RetentionPolicy, decide
from persistence.retention.undo import decide_undo
from persistence.runs.wrapper import Command, LogEntry, run_command
from persistence.store.catalog import BACKUP_PREFIX, PRE_RESTORE_PREFIX, scan_backups
from persistence.store.runlog import RunKind
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
    moment = now or datetime.now(UTC)
    scan = scan_backups(backup_dir, (BACKUP_PREFIX, PRE_RESTORE_PREFIX))
    complete = [b for b in scan.complete if b.backup_id.startswith(BACKUP_PREFIX)]
    undo = [b for b in scan.complete if b.backup_id.startswith(PRE_RESTORE_PREFIX)]
    decision = decide(complete, policy, moment, protect)
    undo_decision = decide_undo(undo, policy.keep_undo, moment)
    reasons = {**decision.keep, **undo_decision.keep}
    ignored = [
        IgnoredBackup(backup_id=b.backup_id, reason=f"never pruned: {b.problem}")
        for b in scan.broken
    ]
    deleted = _delete(backup_dir, decision.delete, dry_run)
    undo_deleted = _delete(backup_dir, undo_decision.delete, dry_run)
    return PruneResult(
        ok=True,
        dry_run=dry_run,
        deleted=deleted,
        kept=[b.backup_id for b in complete if b.backup_id in decision.keep],
        keep_rules={key: [r.describe() for r in found] for key, found in reasons.items()},
        keep_reasons=reasons,
        ignored=ignored,
        undo_deleted=undo_deleted,
        undo_kept=[b.backup_id for b in undo if b.backup_id in undo_decision.keep],
    )


def _delete(backup_dir: Path, backup_ids: list[str], dry_run: bool) -> list[str]:
    if dry_run:
        return backup_ids
    deleted: list[str] = []
    for backup_id in backup_ids:
        try:
            delete_backup_dir(backup_dir / backup_id)
        except OSError as exc:
            raise BackupError(
                f"pruning {backup_id} failed: {exc.strerror}; nothing else was deleted after it"
            ) from exc
        deleted.append(backup_id)
    return deleted


class CalendarFlags(BaseModel):
    """`--keep-hourly` … `--keep-yearly` as given on the command line (None: use the setting)."""

    model_config = ConfigDict(frozen=True)

    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None


def prune_backups(
    settings: BackupSettings,
    *,
    dry_run: bool = False,
    keep_last: int | None = None,
    keep_within_days: float | None = None,
    calendar: CalendarFlags | None = None,
) -> PruneResult:
    """The prune-backups command. Never raises for expected failures."""
    flags = calendar or CalendarFlags()
    policy = RetentionPolicy.from_settings(
        settings,
        keep_last=keep_last,
        keep_within_days=keep_within_days,
        **flags.model_dump(),
    )

    def nothing_to_prune(paths: SafePaths) -> PruneResult | None:
        return None if paths.backup_dir.is_dir() else PruneResult(ok=True, dry_run=dry_run)

    def log(result: PruneResult) -> list[LogEntry]:
        if dry_run:
            return []
        summary = f"deleted {len(result.deleted)}, kept {len(result.kept)}"
        return [LogEntry(ok=result.ok, error=result.error, summary=summary)]

    command = Command(
        label="prune-backups",
        kind=RunKind.PRUNE,
        failed=lambda message, code: PruneResult(
            ok=False, dry_run=dry_run, error=message, exit_code=code
        ),
        log=log,
        before_lock=nothing_to_prune,
    )
    return run_command(
        settings,
        command,
        lambda scope: apply_retention(scope.paths.backup_dir, policy, dry_run=dry_run),
    )
