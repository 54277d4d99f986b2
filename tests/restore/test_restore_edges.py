"""Restore edges: --only, embedded Qdrant, a cluster, a version gap, a busy lock."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from persistence import service
from persistence.store.locking import backup_lock
from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import latest_backup, make_state
from tests.support.settings import settings_for
from tests.support.trees import tree_digest


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


def test_only_restores_the_named_components(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    (paths.storage_dir / "docstore.json").write_text("changed", encoding="utf-8")
    (paths.uploads_dir / "empty.txt").write_text("changed", encoding="utf-8")
    result = service.restore_backup(settings, None, latest=True, only=["uploads"])
    assert result.ok, result.error
    assert (paths.uploads_dir / "empty.txt").read_bytes() == b""
    assert (paths.storage_dir / "docstore.json").read_text() == "changed"
    actions = {c.name: c.action for c in result.components}
    assert actions["uploads"] == "restore" and actions["storage"] == "skip"
    assert result.undo_id is not None
    undo = service.plan_restore(settings, result.undo_id)
    assert undo.ok and [c.name for c in undo.components if c.changes] == ["uploads"]
    bad = service.restore_backup(settings, None, latest=True, only=["nope"])
    assert not bad.ok and bad.exit_code == 2 and "nope" in (bad.error or "")


def test_embedded_qdrant_folder_is_restored_by_copy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local = data / "qdrant-local"
    (local / "collection" / "docs").mkdir(parents=True)
    (local / "meta.json").write_text('{"collections": {"docs": {}}}', encoding="utf-8")
    (local / "collection" / "docs" / "storage.sqlite").write_bytes(b"points" * 1000)
    settings = settings_for(data=data, qdrant_path=Path("qdrant-local"))
    assert service.create_backup(settings).ok
    original = tree_digest(local, skip=(".lock",))
    (local / "collection" / "docs" / "storage.sqlite").write_bytes(b"other")
    (local / "stray").write_text("x", encoding="utf-8")
    result = service.restore_backup(settings, None, latest=True, only=["qdrant"])
    assert result.ok, result.error
    restored = tree_digest(local, skip=(".lock",))
    assert {k: v.split()[0] for k, v in restored.items()} == {
        k: v.split()[0] for k, v in original.items()
    }


def test_cluster_is_refused_and_a_version_gap_warned(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    settings = make_state(tmp_path / "data", qdrant_standin)
    assert service.create_backup(settings).ok
    qdrant_standin.state.version = "1.22.1"
    plan = service.plan_restore(settings, None, latest=True, only=["qdrant"])
    assert any("1.19.0" in w and "1.22.1" in w for w in plan.warnings)
    assert not plan.problems
    qdrant_standin.state.peer_count = 3
    result = service.restore_backup(settings, None, latest=True, only=["qdrant"])
    assert not result.ok and "cluster of 3 peers" in (result.error or "")
    assert not qdrant_standin.state.requests_to("POST", r".*/snapshots/upload")
    assert not [p for p in latest_backup(settings).parent.iterdir() if "pre-restore" in p.name]


def test_busy_lock_exits_3(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    quick = settings_for(data=tmp_path / "data", lock_timeout=0.1)
    with backup_lock(settings.resolved().backup_dir, "test", 1):
        result = service.restore_backup(quick, None, latest=True)
        report = service.verify_backup(quick, None, latest=True)
    assert (result.exit_code, report.exit_code) == (3, 3)


def test_undo_removes_what_did_not_exist_before(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    shutil.rmtree(paths.storage_dir)
    for leftover in paths.cache_db.parent.iterdir():
        leftover.unlink()
    before = tree_digest(paths.uploads_dir)
    result = service.restore_backup(settings, None, latest=True)
    assert result.ok and result.undo_id, result.error
    assert paths.storage_dir.is_dir() and paths.cache_db.is_file()
    plan = service.plan_restore(settings, result.undo_id)
    removal = {c.name: c for c in plan.components}
    assert removal["storage"].action == "restore" and "docstore.json" in (
        removal["storage"].files_removed
    )
    undone = service.restore_backup(settings, result.undo_id)
    assert undone.ok, undone.error
    assert not paths.storage_dir.exists()
    assert list(paths.cache_db.parent.iterdir()) == []
    assert tree_digest(paths.uploads_dir) == before


def test_not_enough_space_refuses_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    (paths.storage_dir / "docstore.json").write_text("changed", encoding="utf-8")
    monkeypatch.setattr(
        "persistence.restore.plan.shutil.disk_usage", lambda _p: DiskUsage(10**9, 10**9, 1000)
    )
    plan = service.plan_restore(settings, None, latest=True)
    assert plan.ok and plan.problems and not plan.space[0].ok
    assert plan.space[0].needed_bytes > 1000
    result = service.restore_backup(settings, None, latest=True)
    assert not result.ok and "not enough free space" in (result.error or "")
    assert (paths.storage_dir / "docstore.json").read_text() == "changed"
    assert not [p for p in paths.backup_dir.iterdir() if p.name.startswith("pre-restore_")]
