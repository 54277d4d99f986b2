"""Retention rules as properties: any rule keeps, the newest N always stay, never zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from persistence.retention.policy import RetentionPolicy, decide
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentRecord, ComponentStatus, Manifest

NOW = datetime(2026, 11, 21, tzinfo=UTC)


COMPONENTS = ("cache_db", "storage", "qdrant")


def _backup(index: int, age_hours: int, captured: frozenset[str] = frozenset()) -> CompleteBackup:
    created = NOW - timedelta(hours=age_hours)
    manifest = Manifest(
        tool_version="test",
        backup_id=f"backup_{index:04d}",
        host="h",
        started_at=created,
        finished_at=created,
        duration_seconds=0,
        settings={},
        components=[
            ComponentRecord(
                name=name,
                status=ComponentStatus.CAPTURED if name in captured else ComponentStatus.ABSENT,
            )
            for name in COMPONENTS
        ],
    )
    return CompleteBackup(manifest.backup_id, Path(manifest.backup_id), manifest)


@given(
    ages=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=24 * 90),
            st.frozensets(st.sampled_from(COMPONENTS)),
        ),
        min_size=0,
        max_size=30,
    ),
    keep_last=st.integers(min_value=1, max_value=10),
    days=st.one_of(st.none(), st.floats(min_value=0.5, max_value=60)),
    protect_index=st.integers(min_value=0, max_value=29),
)
def test_retention_properties(
    ages: list[tuple[int, frozenset[str]]], keep_last: int, days: float | None, protect_index: int
) -> None:
    backups = [_backup(i, age, captured) for i, (age, captured) in enumerate(ages)]
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
    for name in COMPONENTS:
        holding = [b for b in backups if name in _captured(b)]
        if holding:
            newest_holder = max(holding, key=lambda b: (b.created_at, b.backup_id))
            assert newest_holder.backup_id in decision.keep, f"last copy of {name} kept"


def _captured(backup: CompleteBackup) -> set[str]:
    return {c.name for c in backup.manifest.components if c.status is ComponentStatus.CAPTURED}
