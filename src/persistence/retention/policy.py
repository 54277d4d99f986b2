"""Which backups retention keeps, and why: a backup stays if any rule keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentStatus


class RetentionPolicy(BaseModel):
    keep_last: int
    keep_within_days: float | None = None
    keep_undo: int = 2  # pre-restore undo copies, by their own rule (retention/undo.py)


class RetentionDecision(BaseModel):
    keep: dict[str, list[str]]  # backup id -> the rules that keep it
    delete: list[str]


def decide(
    backups: list[CompleteBackup],
    policy: RetentionPolicy,
    now: datetime,
    protect: str | None = None,
) -> RetentionDecision:
    """Apply the rules to complete backups (any order); never returns zero kept backups.

    Besides the user's rules, the newest backup that holds each component is always kept: a
    run of backups that captured nothing (a data folder gone missing, a volume not mounted)
    must not rotate away the last copy of the data.
    """
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    holders = _newest_holders(newest_first)
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
        if not reasons:
            # Named only when no user rule keeps it: the survivor list stays readable.
            held = holders.get(backup.backup_id, [])
            reasons += [f"newest backup holding {name}" for name in held]
        if reasons:
            keep[backup.backup_id] = reasons
    if newest_first and not keep:
        keep[newest_first[0].backup_id] = ["never leave zero backups"]
    delete = [b.backup_id for b in reversed(newest_first) if b.backup_id not in keep]
    return RetentionDecision(keep=keep, delete=delete)


def _newest_holders(newest_first: list[CompleteBackup]) -> dict[str, list[str]]:
    """backup id -> the components for which it is the newest backup that captured them."""
    seen: set[str] = set()
    holders: dict[str, list[str]] = {}
    for backup in newest_first:
        for component in backup.manifest.components:
            if component.status is ComponentStatus.CAPTURED and component.name not in seen:
                seen.add(component.name)
                holders.setdefault(backup.backup_id, []).append(component.name)
    return holders
