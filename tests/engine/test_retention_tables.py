"""Retention as exact tables, the way Borg tests prune: given these backup times and this
policy, exactly these backups are kept (each with these reasons) and exactly these are deleted.

The property tests in test_retention_rules.py would pass for a decide() that never deletes; these
cannot. Backups are named in the tables by their creation time; NOW is 2026-11-21 12:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from persistence.retention.policy import RetentionDecision, RetentionPolicy, decide
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentRecord, ComponentStatus, Manifest

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ALL = ("cache_db", "storage", "qdrant")


@dataclass(frozen=True)
class Snap:
    """One backup in a table: its creation time and which components it captured."""

    at: str  # "YYYY-MM-DD HH:MM" UTC; doubles as the backup's name in the table
    captured: tuple[str, ...] = ALL
    name: str | None = None  # for backups created in the same minute


@dataclass(frozen=True)
class Case:
    snaps: list[Snap]
    policy: RetentionPolicy
    keep: dict[str, list[str]]
    delete: list[str]  # oldest first, as decide() orders it
    protect: str | None = None


def _id(snap: Snap) -> str:
    return snap.name or "backup_" + snap.at.replace("-", "").replace(" ", "T").replace(":", "")


def _build(snap: Snap) -> CompleteBackup:
    created = datetime.strptime(snap.at, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    manifest = Manifest(
        tool_version="test",
        backup_id=_id(snap),
        host="h",
        started_at=created,
        finished_at=created,
        duration_seconds=0,
        settings={},
        components=[
            ComponentRecord(
                name=name,
                status=ComponentStatus.CAPTURED
                if name in snap.captured
                else ComponentStatus.ABSENT,
            )
            for name in ALL
        ],
    )
    return CompleteBackup(manifest.backup_id, Path(manifest.backup_id), manifest)


def _named(
    decision: RetentionDecision, by_id: dict[str, str]
) -> tuple[dict[str, list[str]], list[str]]:
    """The decision with backup ids turned back into the table's names."""
    keep = {
        by_id[backup_id]: [str(r) for r in reasons] for backup_id, reasons in decision.keep.items()
    }
    return keep, [by_id[backup_id] for backup_id in decision.delete]


DAILY_AT_NOON = [Snap(f"2026-11-{day:02d} 12:00") for day in range(15, 22)]

CASES: dict[str, Case] = {
    "keep-last 3 of 7 daily backups": Case(
        snaps=DAILY_AT_NOON,
        policy=RetentionPolicy(keep_last=3),
        keep={
            "2026-11-21 12:00": ["keep-last 3 (#1 newest)"],
            "2026-11-20 12:00": ["keep-last 3 (#2 newest)"],
            "2026-11-19 12:00": ["keep-last 3 (#3 newest)"],
        },
        delete=["2026-11-15 12:00", "2026-11-16 12:00", "2026-11-17 12:00", "2026-11-18 12:00"],
    ),
    "keep-last larger than the number of backups deletes nothing": Case(
        snaps=DAILY_AT_NOON[-2:],
        policy=RetentionPolicy(keep_last=5),
        keep={
            "2026-11-21 12:00": ["keep-last 5 (#1 newest)"],
            "2026-11-20 12:00": ["keep-last 5 (#2 newest)"],
        },
        delete=[],
    ),
    "keep-within 2 days includes the boundary, one minute older is deleted": Case(
        snaps=[
            Snap("2026-11-21 12:00"),
            Snap("2026-11-21 00:00"),
            Snap("2026-11-19 12:01"),
            Snap("2026-11-19 12:00"),  # exactly 2 days old: kept
            Snap("2026-11-19 11:59"),  # 2 days and 1 minute: deleted
            Snap("2026-11-18 12:00"),
        ],
        policy=RetentionPolicy(keep_last=1, keep_within_days=2),
        keep={
            "2026-11-21 12:00": ["keep-last 1 (#1 newest)", "keep-within-days 2"],
            "2026-11-21 00:00": ["keep-within-days 2"],
            "2026-11-19 12:01": ["keep-within-days 2"],
            "2026-11-19 12:00": ["keep-within-days 2"],
        },
        delete=["2026-11-18 12:00", "2026-11-19 11:59"],
    ),
    "fractional days: 1.5 days is 36 hours": Case(
        snaps=[Snap("2026-11-21 06:00"), Snap("2026-11-20 00:00"), Snap("2026-11-19 23:59")],
        policy=RetentionPolicy(keep_last=1, keep_within_days=1.5),
        keep={
            "2026-11-21 06:00": ["keep-last 1 (#1 newest)", "keep-within-days 1.5"],
            "2026-11-20 00:00": ["keep-within-days 1.5"],
        },
        delete=["2026-11-19 23:59"],
    ),
    "the backup just created stays even when it is not the newest": Case(
        snaps=DAILY_AT_NOON[-4:],
        policy=RetentionPolicy(keep_last=1),
        protect="2026-11-19 12:00",
        keep={
            "2026-11-21 12:00": ["keep-last 1 (#1 newest)"],
            "2026-11-19 12:00": ["just created"],
        },
        delete=["2026-11-18 12:00", "2026-11-20 12:00"],
    ),
    "the just-created newest backup names both rules": Case(
        snaps=DAILY_AT_NOON[-2:],
        policy=RetentionPolicy(keep_last=1),
        protect="2026-11-21 12:00",
        keep={"2026-11-21 12:00": ["keep-last 1 (#1 newest)", "just created"]},
        delete=["2026-11-20 12:00"],
    ),
    "the last copy of a component outlives the rules": Case(
        snaps=[
            Snap("2026-11-21 12:00", captured=("cache_db", "storage")),
            Snap("2026-11-20 12:00", captured=("cache_db", "storage")),
            Snap("2026-11-19 12:00", captured=ALL),  # newest that still has qdrant
            Snap("2026-11-18 12:00", captured=ALL),
        ],
        policy=RetentionPolicy(keep_last=2),
        keep={
            "2026-11-21 12:00": ["keep-last 2 (#1 newest)"],
            "2026-11-20 12:00": ["keep-last 2 (#2 newest)"],
            "2026-11-19 12:00": ["newest backup holding qdrant"],
        },
        delete=["2026-11-18 12:00"],
    ),
    "backups that captured nothing do not rotate away the data": Case(
        snaps=[
            Snap("2026-11-21 12:00", captured=()),
            Snap("2026-11-20 12:00", captured=()),
            Snap("2026-11-19 12:00", captured=("storage",)),
            Snap("2026-11-18 12:00", captured=("cache_db", "qdrant", "storage")),
            Snap("2026-11-17 12:00", captured=ALL),
        ],
        policy=RetentionPolicy(keep_last=1),
        keep={
            "2026-11-21 12:00": ["keep-last 1 (#1 newest)"],
            "2026-11-19 12:00": ["newest backup holding storage"],
            "2026-11-18 12:00": [
                "newest backup holding cache_db",
                "newest backup holding qdrant",
            ],
        },
        delete=["2026-11-17 12:00", "2026-11-20 12:00"],
    ),
    "a component kept by a user rule is not named again": Case(
        snaps=[
            Snap("2026-11-21 12:00", captured=()),
            Snap("2026-11-20 12:00", captured=ALL),  # within the day: the rule is enough
            Snap("2026-11-19 12:00", captured=ALL),
        ],
        policy=RetentionPolicy(keep_last=1, keep_within_days=1),
        keep={
            "2026-11-21 12:00": ["keep-last 1 (#1 newest)", "keep-within-days 1"],
            "2026-11-20 12:00": ["keep-within-days 1"],
        },
        delete=["2026-11-19 12:00"],
    ),
    "never zero backups, even when no rule keeps one": Case(
        snaps=[Snap("2026-11-10 12:00", captured=()), Snap("2026-11-09 12:00", captured=())],
        policy=RetentionPolicy(keep_last=0, keep_within_days=1),
        keep={"2026-11-10 12:00": ["never leave zero backups"]},
        delete=["2026-11-09 12:00"],
    ),
    "same minute: the larger backup id counts as newer": Case(
        snaps=[
            Snap("2026-11-21 12:00", name="backup_20261121T120000_000001Z"),
            Snap("2026-11-21 12:00", name="backup_20261121T120000_000002Z"),
        ],
        policy=RetentionPolicy(keep_last=1),
        keep={"backup_20261121T120000_000002Z": ["keep-last 1 (#1 newest)"]},
        delete=["backup_20261121T120000_000001Z"],
    ),
    "no backups, nothing to decide": Case(
        snaps=[], policy=RetentionPolicy(keep_last=3), keep={}, delete=[]
    ),
}


@pytest.mark.parametrize("order", ["newest first", "oldest first"])
@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_retention_table(case: Case, order: str) -> None:
    snaps = sorted(case.snaps, key=lambda s: (s.at, _id(s)), reverse=order == "newest first")
    by_id = {_id(s): s.name or s.at for s in snaps}
    protect = None
    if case.protect is not None:
        protect = next(_id(s) for s in snaps if case.protect in (s.at, s.name))

    decision = decide([_build(s) for s in snaps], case.policy, NOW, protect)

    keep, delete = _named(decision, by_id)
    assert keep == case.keep
    assert delete == case.delete
