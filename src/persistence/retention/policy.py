"""Which backups retention keeps, and why: a backup stays if any rule keeps it.

keep-last and keep-within each keep on their own (a backup can carry both reasons). The calendar
rules (hourly, daily, weekly, monthly, yearly) work like Borg's `prune`: taken in that order, each
walks the backups newest first and keeps the newest backup of each of its periods that has a
backup, until it has kept N; a backup some earlier rule already keeps uses up its period without
counting towards N. When a rule runs out of periods before N, it also keeps the oldest backup.
Period boundaries are in local time (a "day" is the user's day, not UTC's).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Self

from pydantic import BaseModel

from persistence.core.keep_reasons import CALENDAR_RULES, KeepReason, KeepRule
from persistence.core.settings import BackupSettings
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentStatus

Period = tuple[int, ...]

_PERIODS: dict[KeepRule, Callable[[datetime], Period]] = {
    KeepRule.HOURLY: lambda t: (t.year, t.month, t.day, t.hour),
    KeepRule.DAILY: lambda t: (t.year, t.month, t.day),
    KeepRule.WEEKLY: lambda t: tuple(t.isocalendar())[:2],
    KeepRule.MONTHLY: lambda t: (t.year, t.month),
    KeepRule.YEARLY: lambda t: (t.year,),
}


class RetentionPolicy(BaseModel):
    keep_last: int
    keep_within_days: float | None = None
    keep_undo: int = 2  # pre-restore undo copies, by their own rule (retention/undo.py)
    keep_hourly: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0

    @classmethod
    def from_settings(cls, settings: BackupSettings, **overrides: int | float | None) -> Self:
        """The configured rules; a flag given (not None) wins over its setting."""
        fields = {
            "keep_last": settings.keep_last,
            "keep_within_days": settings.retention_days,
            "keep_hourly": settings.keep_hourly,
            "keep_daily": settings.keep_daily,
            "keep_weekly": settings.keep_weekly,
            "keep_monthly": settings.keep_monthly,
            "keep_yearly": settings.keep_yearly,
            "keep_undo": settings.keep_undo,
        }
        fields.update({key: value for key, value in overrides.items() if value is not None})
        return cls.model_validate(fields)

    def calendar_count(self, rule: KeepRule) -> int:
        return {
            KeepRule.HOURLY: self.keep_hourly,
            KeepRule.DAILY: self.keep_daily,
            KeepRule.WEEKLY: self.keep_weekly,
            KeepRule.MONTHLY: self.keep_monthly,
            KeepRule.YEARLY: self.keep_yearly,
        }[rule]


class RetentionDecision(BaseModel):
    keep: dict[str, list[KeepReason]]  # backup id -> the rules that keep it
    delete: list[str]  # oldest first


def decide(
    backups: list[CompleteBackup],
    policy: RetentionPolicy,
    now: datetime,
    protect: str | None = None,
    local_zone: tzinfo | None = None,
) -> RetentionDecision:
    """Apply the rules to complete backups (any order); never returns zero kept backups.

    Besides the user's rules, the newest backup that holds each component is always kept: a
    run of backups that captured nothing (a data folder gone missing, a volume not mounted)
    must not rotate away the last copy of the data. `local_zone` None means the system's.
    """
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    keep: dict[str, list[KeepReason]] = {}
    _keep_last_and_within(newest_first, policy, now, keep)
    for rule in CALENDAR_RULES:
        _keep_calendar(newest_first, rule, policy.calendar_count(rule), local_zone, keep)
    holders = _newest_holders(newest_first)
    for backup in newest_first:
        reasons = keep.setdefault(backup.backup_id, [])
        if backup.backup_id == protect:
            reasons.append(KeepReason(rule=KeepRule.JUST_CREATED))
        if not reasons:
            # Named only when no user rule keeps it: the survivor list stays readable.
            reasons += [
                KeepReason(rule=KeepRule.NEWEST_HOLDER, component=name)
                for name in holders.get(backup.backup_id, [])
            ]
    keep = {backup_id: reasons for backup_id, reasons in keep.items() if reasons}
    if newest_first and not keep:
        keep[newest_first[0].backup_id] = [KeepReason(rule=KeepRule.NEVER_ZERO)]
    delete = [b.backup_id for b in reversed(newest_first) if b.backup_id not in keep]
    return RetentionDecision(keep=keep, delete=delete)


def _keep_last_and_within(
    newest_first: list[CompleteBackup],
    policy: RetentionPolicy,
    now: datetime,
    keep: dict[str, list[KeepReason]],
) -> None:
    days = policy.keep_within_days
    for rank, backup in enumerate(newest_first, start=1):
        reasons: list[KeepReason] = []
        if rank <= policy.keep_last:
            reasons.append(KeepReason(rule=KeepRule.LAST, count=policy.keep_last, rank=rank))
        if days is not None and now - backup.created_at <= timedelta(days=days):
            reasons.append(KeepReason(rule=KeepRule.WITHIN, days=days))
        if reasons:
            keep[backup.backup_id] = reasons


def _keep_calendar(
    newest_first: list[CompleteBackup],
    rule: KeepRule,
    count: int,
    local_zone: tzinfo | None,
    keep: dict[str, list[KeepReason]],
) -> None:
    """Borg's prune_split: the newest backup of each period, N periods, oldest as fallback."""
    if count <= 0 or not newest_first:
        return
    period_of = _PERIODS[rule]
    kept = 0
    last_period: Period | None = None
    for backup in newest_first:
        period = period_of(backup.created_at.astimezone(local_zone))
        if period == last_period:
            continue
        last_period = period
        if backup.backup_id in keep:
            continue
        kept += 1
        keep[backup.backup_id] = [KeepReason(rule=rule, count=count, rank=kept)]
        if kept == count:
            return
    oldest = newest_first[-1]
    if oldest.backup_id not in keep:
        reason = KeepReason(rule=rule, count=count, rank=kept + 1, oldest=True)
        keep[oldest.backup_id] = [reason]


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
