"""Which backups retention keeps, and why: a backup stays if any rule keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from persistence.catalog import CompleteBackup


class RetentionPolicy(BaseModel):
    keep_last: int
    keep_within_days: float | None = None


class RetentionDecision(BaseModel):
    keep: dict[str, list[str]]  # backup id -> the rules that keep it
    delete: list[str]


def decide(
    backups: list[CompleteBackup],
    policy: RetentionPolicy,
    now: datetime,
    protect: str | None = None,
) -> RetentionDecision:
    """Apply the rules to complete backups (any order); never returns zero kept backups."""
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    keep: dict[str, list[str]] = {}
    for rank, backup in enumerate(newest_first, start=1):
        reasons: list[str] = []
        if rank <= policy.keep_last:
            reasons.append(f"keep-last {policy.keep_last} (#{rank} newest)")
        if policy.keep_within_days is not None and now - backup.created_at <= timedelta(
            days=policy.keep_within_days
        ):
            reasons.append(f"keep-within-days {policy.keep_within_days:g}")
        if backup.backup_id == protect:
            reasons.append("just created")
        if reasons:
            keep[backup.backup_id] = reasons
    if newest_first and not keep:
        keep[newest_first[0].backup_id] = ["never leave zero backups"]
    delete = [b.backup_id for b in reversed(newest_first) if b.backup_id not in keep]
    return RetentionDecision(keep=keep, delete=delete)
