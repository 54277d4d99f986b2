"""create-backup through the service: hashes, privacy, failure, list and retention."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from persistence import service
from persistence.components.base import CaptureContext, CaptureStopped
from persistence.components.trees import TreeComponent
from persistence.core.progress import ProgressEvent, ProgressStage, ignore_progress
from persistence.core.settings import BackupSettings, load_settings
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, ComponentStatus, load_manifest
from persistence.store.runlog import read_runs
from tests.conftest import AppState
from tests.engine.helpers import backdate, sha256_of
from tests.support.trees import tree_digest


def _create(settings: BackupSettings, *, prune: bool = False) -> str:
    result = service.create_backup(settings, prune=prune)
    assert result.ok and result.backup_id, result.error
    return result.backup_id


def test_every_hash_in_the_manifest_matches_the_copied_bytes(app_state: AppState) -> None:
    events: list[ProgressEvent] = []
    result = service.create_backup(app_state.settings, progress=events.append)
    assert result.ok, result.error
    backup = Path(result.path or "")
    manifest = load_manifest(backup)
    checked = 0
    for component in manifest.components:
        for record in component.files:
            copied = backup / component.name / record.path
            if record.kind == "file":
                assert copied.stat().st_size == record.size
                assert sha256_of(copied) == record.sha256
                assert copied.stat().st_mode & 0o777 == 0o400  # read-only: links may share it
                checked += 1
    assert checked >= 10
    assert backup.stat().st_mode & 0o777 == 0o700
    assert (backup / SIDECAR_NAME).read_text().split()[0] == sha256_of(backup / MANIFEST_NAME)
    statuses = {c.name: c.status for c in manifest.components}
    assert statuses["cache_db"] is ComponentStatus.CAPTURED
    assert statuses["logs"] is ComponentStatus.SKIPPED
    assert manifest.component("qdrant") is not None
    assert manifest.settings["qdrant_api_key"] == "not set"
    # Copies open and hold the sample rows.
    cache = sqlite3.connect(backup / "cache_db" / "cache.db")
    assert cache.execute("SELECT count(*) FROM responses").fetchone() == (500,)
    cache.close()
    analytics = duckdb.connect(str(backup / "analytics_db" / "analytics.duckdb"), read_only=True)
    assert analytics.execute("SELECT count(*) FROM events").fetchone() == (2000,)
    analytics.close()
    stages = {(e.component, e.stage) for e in events}
    assert ("uploads", ProgressStage.COMPONENT_FINISHED) in stages
    assert any(
        e.stage is ProgressStage.COMPONENT_ADVANCED and e.bytes_done > 1_000_000 for e in events
    )
    runs = read_runs(app_state.backup_dir)
    assert runs[-1].ok and runs[-1].backup_id == result.backup_id


def test_fresh_install_backs_up_nothing_but_succeeds(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()  # an existing, empty data root (a missing one is exit 2)
    settings = load_settings(data_dir=tmp_path / "empty")
    result = service.create_backup(settings)
    assert result.ok
    assert {c.status for c in result.components} <= {"absent", "skipped"}
    assert any("nothing was captured" in w for w in result.warnings)


def test_failure_mid_run_leaves_no_backup_and_prunes_nothing(app_state: AppState) -> None:
    first = service.create_backup(app_state.settings)
    assert first.ok
    before = tree_digest(app_state.backup_dir)
    # analytics_db comes after cache_db, storage and uploads have been copied.
    app_state.settings.resolved().analytics_db.write_bytes(b"garbage, not a database")
    settings = load_settings(data_dir=app_state.data_dir, keep_last=1)
    failed = service.create_backup(settings)
    assert not failed.ok and failed.exit_code == 1
    assert "neither a SQLite nor a DuckDB" in (failed.error or "")
    assert {c.name: c.status for c in failed.components}["analytics_db"] == "failed"
    assert app_state.backups() == [first.backup_id]
    assert [p.name for p in app_state.backup_dir.iterdir() if p.name.startswith(".staging")] == []
    after = tree_digest(app_state.backup_dir)
    assert {k: v for k, v in after.items() if k.startswith("backup_")} == {
        k: v for k, v in before.items() if k.startswith("backup_")
    }
    assert read_runs(app_state.backup_dir)[-1].ok is False


def test_list_reports_every_backup_and_flags_broken_ones(app_state: AppState) -> None:
    ids = [_create(app_state.settings) for _ in range(3)]
    broken = app_state.backup_dir / "backup_20000101T000000_000000Z"
    broken.mkdir()
    (broken / MANIFEST_NAME).write_text("{}")
    listing = service.list_backups(app_state.settings)
    valid = [b for b in listing if b.valid]
    assert [b.backup_id for b in valid] == ids
    assert all(b.size_bytes > 1_000_000 and b.created_at is not None for b in valid)
    assert [b.backup_id for b in listing if not b.valid] == [broken.name]


def test_prune_keep_last_dry_run_then_apply(app_state: AppState) -> None:
    ids = [_create(app_state.settings) for _ in range(4)]
    preview = service.prune_backups(app_state.settings, dry_run=True, keep_last=2)
    assert preview.ok and preview.dry_run
    assert preview.deleted == ids[:2] and preview.kept == ids[2:]
    assert preview.keep_rules[ids[3]] == ["keep-last 2 (#1 newest)"]
    assert app_state.backups() == ids, "a dry run deletes nothing"
    applied = service.prune_backups(app_state.settings, keep_last=2)
    assert applied.deleted == ids[:2]
    assert app_state.backups() == ids[2:]


def test_retention_by_age_keeps_recent_backups_and_never_foreign_dirs(app_state: AppState) -> None:
    ids = [_create(app_state.settings) for _ in range(4)]
    now = datetime.now(UTC)
    for backup_id, age_days in zip(ids, (40, 20, 5, 1), strict=True):
        backdate(app_state.backup_dir / backup_id, now - timedelta(days=age_days))
    foreign = app_state.backup_dir / "backup_not_ours"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    outside = app_state.data_dir.parent / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("keep me too")
    (app_state.backup_dir / "backup_symlink").symlink_to(outside)
    result = service.prune_backups(app_state.settings, keep_last=1, keep_within_days=10)
    assert result.deleted == ids[:2]
    assert result.keep_rules[ids[2]] == ["keep-within-days 10"]
    assert result.keep_rules[ids[3]] == ["keep-last 1 (#1 newest)", "keep-within-days 10"]
    assert [i.backup_id for i in result.ignored] == ["backup_not_ours"]
    assert (foreign / "precious.txt").exists() and (outside / "victim.txt").exists()


def test_automatic_prune_runs_after_success_and_keeps_the_new_backup(app_state: AppState) -> None:
    settings = load_settings(data_dir=app_state.data_dir, keep_last=2)
    ids = [_create(settings, prune=True) for _ in range(3)]
    assert app_state.backups() == ids[1:]


def test_empty_runs_never_rotate_away_the_last_copy_of_the_data(app_state: AppState) -> None:
    """A data folder that vanishes must not turn nightly runs into a deletion schedule."""
    settings = load_settings(data_dir=app_state.data_dir, keep_last=2)
    real = [_create(settings, prune=True) for _ in range(2)]
    for name in ("cache", "storage", "uploads", "analytics"):
        shutil.rmtree(app_state.data_dir / name)
    empty = service.create_backup(settings)
    assert empty.ok and empty.prune is None
    assert "retention skipped: this backup captured nothing" in empty.warnings
    assert set(real) <= set(app_state.backups())
    # Even retention run by hand keeps the newest backup that holds each component.
    pruned = service.prune_backups(settings, keep_last=1)
    assert real[1] in pruned.kept and real[0] in pruned.deleted
    assert pruned.keep_rules[real[1]] == [
        "newest backup holding cache_db",
        "newest backup holding storage",
        "newest backup holding uploads",
        "newest backup holding analytics_db",
    ]


def test_a_stopped_run_makes_a_tree_capture_give_up_before_copying(tmp_path: Path) -> None:
    """When another component fails or the user presses Ctrl-C, the run sets `stop`: a tree
    being captured on its own thread gives up at its next file instead of copying the rest."""
    source = tmp_path / "tree"
    source.mkdir()
    for i in range(50):
        (source / f"f{i}.txt").write_text(f"{i}\n")
    stop = threading.Event()
    target = tmp_path / "staging" / "tree"
    tree = TreeComponent("storage", source)
    copied = tree.capture(CaptureContext(target, ignore_progress, stop=stop))
    assert copied.file_count == 50  # the same capture runs to the end when nothing stops it
    stop.set()
    with pytest.raises(CaptureStopped):
        tree.capture(CaptureContext(tmp_path / "staging2" / "tree", ignore_progress, stop=stop))
    assert not [p for p in (tmp_path / "staging2").rglob("*") if p.is_file()]
