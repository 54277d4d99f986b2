"""Which pre-restore undo copies stay: their own rule, apart from the backups' rules.

An undo copy is the state a restore replaced; it is worth most right after the restore, so
none younger than a day is ever pruned, and the newest `keep_undo` stay whatever their age.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from persistence.core.keep_reasons import KeepReason, KeepRule
from persistence.retention.policy import RetentionDecision
from persistence.store.catalog import CompleteBackup

UNDO_MIN_AGE = timedelta(days=1)


def decide_undo(copies: list[CompleteBackup], keep_undo: int, now: datetime) -> RetentionDecision:
    newest_first = sorted(copies, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    keep: dict[str, list[KeepReason]] = {}
    for rank, copy in enumerate(newest_first, start=1):
        reasons: list[KeepReason] = []
        if rank <= keep_undo:
            reasons.append(KeepReason(rule=KeepRule.UNDO_LAST, count=keep_undo, rank=rank))
        if now - copy.created_at < UNDO_MIN_AGE:
            reasons.append(KeepReason(rule=KeepRule.UNDO_YOUNG))
        if reasons:
            keep[copy.backup_id] = reasons
    delete = [c.backup_id for c in reversed(newest_first) if c.backup_id not in keep]
    return RetentionDecision(keep=keep, delete=delete)
