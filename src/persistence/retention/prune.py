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
from persistence.runs.wrapper import Command, LogEntry, run_command
from persistence.store.catalog import scan_backups
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
    scan = scan_backups(backup_dir)
    complete, broken = scan.complete, scan.broken
    decision = decide(complete, policy, now or datetime.now(UTC), protect)
    keep_rules = {
        backup_id: [reason.describe() for reason in reasons]
        for backup_id, reasons in decision.keep.items()
    }
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
        keep_rules=keep_rules,
        keep_reasons=decision.keep,
        ignored=ignored,
    )


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
