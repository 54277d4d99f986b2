"""The pre-restore copy holds everything a restore overwrites: logs, damaged databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from persistence import service
from persistence.store.manifest import MANIFEST_NAME
from tests.restore.support import make_state
from tests.support.settings import settings_for

HOLD_DUCKDB = (
    "import sys, time, duckdb\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _undo_record(settings_root: Path, undo_id: str, name: str) -> dict[str, object]:
    manifest = json.loads((settings_root / undo_id / MANIFEST_NAME).read_text())
    return next(c for c in manifest["components"] if c["name"] == name)


def test_undo_copy_keeps_logs_even_when_logs_are_not_included(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_state(data)  # BACKUP_INCLUDE_LOGS=false, the default
    log = settings.resolved().logs_dir / "app.log"
    log.write_text("original\n", encoding="utf-8")
    assert service.create_backup(settings_for(data=data, include_logs=True)).ok
    log.write_text("precious\n", encoding="utf-8")

    result = service.restore_backup(settings, None, latest=True)
    assert result.ok and result.undo_id, result.error
    assert log.read_text() == "original\n"
    record = _undo_record(settings.resolved().backup_dir, result.undo_id, "logs")
    assert record["status"] == "captured"

    undone = service.restore_backup(settings, result.undo_id)
    assert undone.ok, undone.error
    assert log.read_text() == "precious\n"


def test_a_garbage_live_database_is_saved_as_a_raw_copy(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    garbage = b"not a database at all " * 300
    paths.cache_db.write_bytes(garbage)

    result = service.restore_backup(settings, None, latest=True, only=["cache_db"])
    assert result.ok and result.undo_id, result.error
    assert any("raw copy" in w and "cache_db" in w for w in result.warnings), result.warnings
    assert sqlite3.connect(paths.cache_db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    record = _undo_record(paths.backup_dir, result.undo_id, "cache_db")
    assert record["method"] == "raw-copy" and record["status"] == "captured"
    manifest = json.loads((paths.backup_dir / result.undo_id / MANIFEST_NAME).read_text())
    assert any("raw copy" in w for w in manifest["warnings"])

    # Verify is honest about it; undoing needs --force and then puts the same bytes back.
    report = service.verify_backup(settings, result.undo_id)
    assert not report.ok
    refused = service.restore_backup(settings, result.undo_id)
    assert not refused.ok and refused.exit_code == 4
    undone = service.restore_backup(settings, result.undo_id, force=True)
    assert undone.ok and undone.forced, undone.error
    assert paths.cache_db.read_bytes() == garbage
    assert any("raw copy" in w for c in undone.components for w in c.warnings)


def test_a_malformed_sqlite_database_is_saved_as_a_raw_copy(tmp_path: Path) -> None:
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    con = sqlite3.connect(paths.cache_db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(paths.cache_db.read_bytes())
    assert len(raw) > 3 * 4096
    raw[4096:] = b"\xa5" * (len(raw) - 4096)  # header page kept, every other page trashed
    paths.cache_db.write_bytes(bytes(raw))
    Path(f"{paths.cache_db}-wal").write_bytes(b"stale journal")

    result = service.restore_backup(settings, None, latest=True, force=True)
    assert result.ok and result.undo_id, result.error
    warning = next(w for w in result.warnings if "raw copy" in w)
    assert "cache.db-wal" in warning  # the journals were not kept: said so
    record = _undo_record(paths.backup_dir, result.undo_id, "cache_db")
    assert record["method"] == "raw-copy"
    undone = service.restore_backup(settings, result.undo_id, force=True)
    assert undone.ok, undone.error
    assert paths.cache_db.read_bytes() == bytes(raw)
    assert not Path(f"{paths.cache_db}-wal").exists()


def test_a_database_held_by_a_writer_is_not_raw_copied(tmp_path: Path) -> None:
    """A DuckDB file locked by a running app is not damage: the restore is still refused."""
    settings = make_state(tmp_path / "data")
    assert service.create_backup(settings).ok
    paths = settings.resolved()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(paths.analytics_db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = service.restore_backup(settings, None, latest=True, only=["analytics_db"])
    finally:
        holder.kill()
        holder.wait()
    assert not result.ok and "locked by a running app" in (result.error or "")
    assert not [p for p in paths.backup_dir.iterdir() if p.name.startswith("pre-restore_")]


def test_logs_overlapping_the_backups_are_refused_without_include_logs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data)
    assert service.create_backup(settings_for(data=data, include_logs=True)).ok
    # The logs folder now is the data root: replacing it would swap the backups too.
    settings = settings_for(data=data, logs_dir=Path("."))
    plan = service.plan_restore(settings, None, latest=True)
    assert any("BACKUP_LOGS_DIR" in p for p in plan.problems), plan.problems
    result = service.restore_backup(settings, None, latest=True)
    assert not result.ok and "BACKUP_LOGS_DIR" in (result.error or "")
    assert service.restore_backup(settings, None, latest=True, only=["uploads"]).ok
