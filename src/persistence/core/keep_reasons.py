"""Why retention keeps a backup: one typed reason per rule, shown as text only at the edge."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class KeepRule(StrEnum):
    WITHIN = "within"
    LAST = "last"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    JUST_CREATED = "just-created"
    NEWEST_HOLDER = "newest-holder"
    NEVER_ZERO = "never-zero"
    UNDO_LAST = "undo-last"  # the newest BACKUP_KEEP_UNDO pre-restore copies
    UNDO_YOUNG = "undo-young"  # no undo copy younger than a day is pruned


CALENDAR_RULES = (
    KeepRule.HOURLY,
    KeepRule.DAILY,
    KeepRule.WEEKLY,
    KeepRule.MONTHLY,
    KeepRule.YEARLY,
)


class KeepReason(BaseModel):
    # Built on first use: every listing imports this module, few prune (issue 12).
    model_config = ConfigDict(frozen=True, defer_build=True)

    rule: KeepRule
    count: int | None = None  # the rule's N (keep-last, calendar rules)
    days: float | None = None  # keep-within's window
    rank: int | None = None  # this backup is the rule's #rank, newest first
    # Borg's fallback: the rule found fewer periods than N, so the oldest backup stands in
    # for the periods before it (otherwise a fresh schedule would rotate away its first backup).
    oldest: bool = False
    component: str | None = None  # for newest-holder

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        match self.rule:
            case KeepRule.LAST:
                return f"keep-last {self.count} (#{self.rank} newest)"
            case KeepRule.WITHIN:
                return f"keep-within-days {self.days:g}"
            case KeepRule.JUST_CREATED:
                return "just created"
            case KeepRule.NEWEST_HOLDER:
                return f"newest backup holding {self.component}"
            case KeepRule.NEVER_ZERO:
                return "never leave zero backups"
            case KeepRule.UNDO_LAST:
                return f"keep-undo {self.count} (#{self.rank} newest undo copy)"
            case KeepRule.UNDO_YOUNG:
                return "undo copy younger than a day"
            case _:
                oldest = ", oldest backup" if self.oldest else ""
                return f"keep-{self.rule.value} {self.count} (#{self.rank}{oldest})"
