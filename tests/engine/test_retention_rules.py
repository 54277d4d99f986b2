"""Retention rules as properties: any rule keeps, the newest N always stay, never zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from persistence.catalog import CompleteBackup
from persistence.manifest import Manifest
from persistence.retention import RetentionPolicy, decide

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def _backup(index: int, age_hours: int) -> CompleteBackup:
    created = NOW - timedelta(hours=age_hours)
    manifest = Manifest(
        tool_version="test",
        backup_id=f"backup_{index:04d}",
        host="h",
        started_at=created,
        finished_at=created,
        duration_seconds=0,
        settings={},
        components=[],
    )
    return CompleteBackup(manifest.backup_id, Path(manifest.backup_id), manifest)


@given(
    ages=st.lists(st.integers(min_value=0, max_value=24 * 90), min_size=0, max_size=30),
    keep_last=st.integers(min_value=1, max_value=10),
    days=st.one_of(st.none(), st.floats(min_value=0.5, max_value=60)),
    protect_index=st.integers(min_value=0, max_value=29),
)
def test_retention_properties(
    ages: list[int], keep_last: int, days: float | None, protect_index: int
) -> None:
    backups = [_backup(i, age) for i, age in enumerate(ages)]
    protect = backups[protect_index].backup_id if protect_index < len(backups) else None
    decision = decide(
        backups, RetentionPolicy(keep_last=keep_last, keep_within_days=days), NOW, protect
    )
    ids = {b.backup_id for b in backups}
    assert set(decision.keep) | set(decision.delete) == ids
    assert not set(decision.keep) & set(decision.delete)
    if backups:
        assert decision.keep, "never zero backups"
    newest = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)[:keep_last]
    assert {b.backup_id for b in newest} <= set(decision.keep)
    if protect:
        assert protect in decision.keep
    for backup in backups:
        if days is not None and NOW - backup.created_at <= timedelta(days=days):
            assert backup.backup_id in decision.keep
    assert all(decision.keep[k] for k in decision.keep), "every survivor names its rule"
