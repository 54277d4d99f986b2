"""A killed restore: its leftovers are recovered, and a database swap never loses the live WAL."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from persistence import service
from persistence.core.paths import check_paths
from persistence.runs.recovery import recover_interrupted_restores
from tests.restore.support import make_state
from tests.support.trees import tree_digest


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()  # reaped: the pid names no process now
    return child.pid


def test_leftovers_of_a_killed_restore_are_recovered(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    paths = check_paths(settings)
    dead = _dead_pid()
    parent = paths.storage_dir.parent
    storage_before = tree_digest(paths.storage_dir)
    uploads_before = tree_digest(paths.uploads_dir)
    # Killed between the two renames: the live tree is only under its .restore-old- name.
    paths.storage_dir.rename(parent / f".restore-old-storage-{dead}")
    (parent / f".restore-storage-{dead}" / "half").mkdir(parents=True)
    # Killed while deleting the old tree after the swap, and while staging a database.
    (parent / f".restore-old-uploads-{dead}" / "x").mkdir(parents=True)
    (parent / f".restore-old-uploads-{dead}" / "x").chmod(0o500)  # restored read-only modes
    (parent / f".restore-uploads-{dead}").mkdir()
    part = paths.cache_db.with_name(f".{paths.cache_db.name}.restore-{dead}")
    part.write_bytes(b"half a copy")
    # Ours (this process) and foreign names are left alone.
    mine = parent / f".restore-logs-{os.getpid()}"
    mine.mkdir()
    other = parent / ".restore-notes"
    other.mkdir()

    messages = recover_interrupted_restores(paths)

    assert tree_digest(paths.storage_dir) == storage_before
    assert tree_digest(paths.uploads_dir) == uploads_before
    leftovers = sorted(p.name for p in parent.iterdir() if p.name.startswith(".restore"))
    assert leftovers == sorted([".restore-notes", mine.name])
    assert not part.exists() and paths.cache_db.is_file()
    assert any("put back" in m and "storage" in m for m in messages), messages
    assert sum("removed" in m for m in messages) == 4, messages
    assert any(mine.name in m for m in messages)  # reported, not touched
    assert recover_interrupted_restores(paths) == [m for m in messages if mine.name in m]


def test_a_restore_first_puts_back_a_tree_left_between_renames(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    before = tree_digest(paths.storage_dir)
    aside = paths.storage_dir.parent / f".restore-old-storage-{_dead_pid()}"
    paths.storage_dir.rename(aside)
    result = service.restore_backup(settings, None, latest=True)
    assert result.ok, result.error
    assert any("put back" in w for w in result.warnings), result.warnings
    assert tree_digest(paths.storage_dir) == before
    assert not aside.exists()
    # Back in place before the plan was made: nothing of it had to be restored.
    assert {c.name: c.action for c in result.components}["storage"] == "leave"


def test_a_failed_database_swap_keeps_the_live_journals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything failing before the rename leaves the live database WITH its -wal/-shm."""
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    db = settings.resolved().cache_db
    con = sqlite3.connect(db)
    con.execute("DELETE FROM responses WHERE id > 10")
    con.commit()
    saved = {s: Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm")}
    con.close()  # checkpoints and deletes the WAL: put it back as a crashed app leaves it
    for suffix, data in saved.items():
        Path(f"{db}{suffix}").write_bytes(data)
    wal = Path(f"{db}-wal")
    assert wal.stat().st_size > 0

    def crash(_path: Path) -> None:
        raise OSError(errno.EIO, "simulated crash before the rename")

    monkeypatch.setattr("persistence.components.databases_restore.fsync_file", crash)
    result = service.restore_backup(settings, None, latest=True, only=["cache_db"])
    assert not result.ok
    assert db.read_bytes() == saved[""]
    assert wal.read_bytes() == saved["-wal"] and Path(f"{db}-shm").exists()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM responses").fetchone() == (10,)
    con.close()
    assert not list(db.parent.glob(f".{db.name}.restore-*"))


def test_create_backup_first_puts_back_a_tree_left_between_renames(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    paths = check_paths(settings)
    before = tree_digest(paths.storage_dir)
    paths.storage_dir.rename(paths.storage_dir.parent / f".restore-old-storage-{_dead_pid()}")
    result = service.create_backup(settings)
    assert result.ok, result.error
    assert any("put back" in m for m in result.leftovers_removed), result.leftovers_removed
    storage = next(c for c in result.components if c.name == "storage")
    assert storage.status == "captured", "the tree is backed up, not recorded as absent"
    assert tree_digest(paths.storage_dir) == before
