"""A restore plans from what differs and writes only that; right after a backup, nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb

from persistence import service
from persistence.core.fstype import filesystem_type, syncfs_covers_directories
from persistence.store.manifest import load_manifest
from tests.restore.support import duckdb_as_the_app_sees, make_state


def _inodes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_ino
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and "backups" not in p.parts
    }


def test_restore_after_one_changed_file_writes_exactly_that_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_state(data)
    created = service.create_backup(settings, prune=False)
    assert created.ok, created.error
    backup = Path(created.path or "")
    changed = data / "uploads" / "2026" / "11" / "report.pdf"
    raw = bytearray(changed.read_bytes())
    raw[100:107] = b"CHANGED"  # 7 bytes, same size
    changed.write_bytes(bytes(raw))
    before = _inodes(data)

    plan = service.plan_restore(settings, created.backup_id)
    steps = {c.name: c for c in plan.components}
    assert steps["uploads"].files_replaced == ["2026/11/report.pdf"]
    assert not steps["uploads"].files_written and not steps["uploads"].files_removed
    assert {name for name, step in steps.items() if step.changes} == {"uploads"}

    result = service.restore_backup(settings, created.backup_id)
    assert result.ok, result.error
    after = _inodes(data)
    rewritten = {path for path, inode in after.items() if before.get(path) != inode}
    assert rewritten == {"uploads/2026/11/report.pdf"}, "only the changed file is written"
    assert changed.read_bytes() == (backup / "uploads" / "2026" / "11" / "report.pdf").read_bytes()
    written = {c.name: c.files_written for c in result.components if c.files_written}
    assert written == {"uploads": 1}

    # The undo copy holds the uploads as they were: the changed file copied, the rest linked.
    undo = data / "backups" / str(result.undo_id)
    uploads = load_manifest(undo).component("uploads")
    assert uploads is not None
    undo_files = {f.path: f for f in uploads.files}
    assert undo_files["2026/11/report.pdf"].linked_from is None
    assert b"CHANGED" in (undo / "uploads" / "2026" / "11" / "report.pdf").read_bytes()
    linked = [f for f in undo_files.values() if f.kind == "file" and f.linked_from]
    assert linked and all(f.linked_from == created.backup_id for f in linked)
    assert all(
        (undo / "uploads" / f.path).stat().st_ino == (backup / "uploads" / f.path).stat().st_ino
        for f in linked
    )
    assert {c.name for c in load_manifest(undo).components} == {"uploads"}


def test_a_restore_right_after_a_backup_plans_no_database_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_state(data)
    created = service.create_backup(settings, prune=False)
    assert created.ok, created.error
    plan = service.plan_restore(settings, created.backup_id)
    steps = {c.name: c for c in plan.components}
    for name in ("cache_db", "analytics_db"):
        assert steps[name].action == "leave", steps[name]
        assert "unchanged since the backup" in steps[name].reason
    assert plan.nothing_to_do
    result = service.restore_backup(settings, created.backup_id)
    assert result.ok and result.nothing_to_do and result.undo_id is None


def test_a_duckdb_copy_holds_the_read_lock_that_keeps_writers_out(tmp_path: Path) -> None:
    """The byte copy is consistent because, while the read-only attach is held (as during
    copy_duckdb), a writer in another process cannot open the file."""
    path = tmp_path / "a.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    con.close()
    reader = duckdb.connect(":memory:")
    reader.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    try:
        writer = subprocess.run(
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r})"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        reader.close()
    assert writer.returncode != 0 and "lock" in writer.stderr.lower(), writer.stderr
    after = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert after.returncode == 0, "once released, the writer gets in"


def test_backups_of_a_checkpointed_duckdb_are_byte_copies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_state(data)
    created = service.create_backup(settings, prune=False)
    record = load_manifest(Path(created.path or "")).component("analytics_db")
    assert record is not None and record.method == "duckdb-file-copy"
    source = data / "analytics" / "analytics.duckdb"
    copy = Path(created.path or "") / "analytics_db" / "analytics.duckdb"
    assert copy.read_bytes() == source.read_bytes()


def test_syncfs_is_trusted_only_where_it_covers_folders(tmp_path: Path) -> None:
    assert filesystem_type(Path("/proc/self")) == "proc"
    assert not syncfs_covers_directories(Path("/proc/self"))
    assert syncfs_covers_directories(tmp_path) == (
        filesystem_type(tmp_path) in {"ext4", "ext3", "xfs", "btrfs", "f2fs", "tmpfs"}
    )


def test_a_duckdb_with_a_wal_to_replay_is_copied_with_it_and_replayed_in_the_copy(
    tmp_path: Path,
) -> None:
    """A writer that died before its checkpoint leaves rows only in `.wal`: a byte copy of the
    main file alone would lose them. File and WAL are copied under the lock, DuckDB replays
    the copied WAL into the copy, and the backup holds one file; the app's own file and WAL
    are left exactly as they were."""
    data = tmp_path / "data"
    settings = make_state(data)
    db = settings.resolved().analytics_db
    crash = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"SET checkpoint_threshold = '1GB'\")\n"
        "con.execute('CREATE TABLE late AS SELECT range AS i FROM range(500)')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True, timeout=60)
    wal = db.with_name(db.name + ".wal")
    live_before = (db.read_bytes(), wal.read_bytes())
    assert live_before[1]
    created = service.create_backup(settings, prune=False)
    assert created.ok, created.error
    assert (db.read_bytes(), wal.read_bytes()) == live_before
    record = load_manifest(Path(created.path or "")).component("analytics_db")
    assert record is not None and record.method == "duckdb-wal-replayed"
    stored = Path(created.path or "") / "analytics_db"
    assert sorted(p.name for p in stored.iterdir()) == [db.name]
    assert hashlib.sha256((stored / db.name).read_bytes()).hexdigest() == record.files[0].sha256
    copy = duckdb.connect(str(stored / db.name), read_only=True)
    try:
        assert copy.execute("SELECT count(*) FROM late").fetchone() == (500,)
        app_sees = duckdb_as_the_app_sees(db, tmp_path / "scratch", "SELECT count(*) FROM events")
        assert copy.execute("SELECT count(*) FROM events").fetchone() == app_sees[0]
    finally:
        copy.close()
