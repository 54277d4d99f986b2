"""A DuckDB left with a `.wal` by a writer that died: backed up as the app would see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from persistence import service
from persistence.components import database_copy
from persistence.components.db_fingerprint import source_fingerprint
from persistence.core.fsio import CopiedFile
from persistence.store.manifest import load_manifest
from tests.restore.support import duckdb_as_the_app_sees, make_state

# A writer that commits a table into the WAL and dies before any checkpoint.
_CRASH = (
    "import duckdb, os, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute(\"SET checkpoint_threshold = '1GB'\")\n"
    "con.execute('CREATE TABLE late AS SELECT range AS i FROM range(500)')\n"
    "os._exit(0)\n"
)

# A writer that opens the database, checkpoints what it finds and commits more.
_WRITER = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute('CHECKPOINT')\n"
    "con.execute(\"SET checkpoint_threshold = '1GB'\")\n"
    "con.execute('CREATE TABLE intruder AS SELECT 1 AS i')\n"
    "con.close()\n"
)


def _crashed_writer(db: Path) -> Path:
    subprocess.run([sys.executable, "-c", _CRASH, str(db)], check=True, timeout=60)
    wal = db.with_name(db.name + ".wal")
    assert wal.stat().st_size > 0
    return wal


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows}


def test_no_writer_gets_in_between_the_copies_of_the_file_and_its_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's lock is a POSIX record lock, which the process loses when it closes ANY
    descriptor of the file, such as the one the byte copy read it through. At every copy step
    a real writer process tries to open the database: it must find it locked each time, else
    the file and the WAL stored could come from two different moments."""
    data = tmp_path / "data"
    settings = make_state(data)
    db = settings.resolved().analytics_db
    _crashed_writer(db)
    got_in: list[str] = []
    real_copy = database_copy.copy_and_hash

    def copy_while_a_writer_tries(source: Path, target: Path) -> CopiedFile:
        writer = subprocess.run(
            [sys.executable, "-c", _WRITER, str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if writer.returncode == 0:
            got_in.append(source.name)
        return real_copy(source, target)

    monkeypatch.setattr(database_copy, "copy_and_hash", copy_while_a_writer_tries)
    created = service.create_backup(settings, prune=False)
    assert not got_in, f"a writer opened the database before copying {got_in}"
    assert created.ok, created.error
    stored = Path(created.path or "") / "analytics_db" / db.name
    assert {"late", "events"} <= _tables(stored)


def test_a_wal_whose_last_transaction_is_torn_is_backed_up(tmp_path: Path) -> None:
    """A writer killed while appending leaves a torn last transaction: DuckDB replays what
    committed before it and ignores the rest, and it keeps that WAL across a checkpoint when
    nothing committed. Such a database opens (the app runs on it), so it must back up: one
    file, holding what DuckDB itself shows."""
    data = tmp_path / "data"
    settings = make_state(data)
    db = settings.resolved().analytics_db
    wal = _crashed_writer(db)
    wal.write_bytes(wal.read_bytes()[: wal.stat().st_size // 2])
    live = (db.read_bytes(), wal.read_bytes())

    created = service.create_backup(settings, prune=False)
    assert created.ok, created.error
    assert (db.read_bytes(), wal.read_bytes()) == live, "the app's files are untouched"
    folder = Path(created.path or "") / "analytics_db"
    assert sorted(p.name for p in folder.iterdir()) == [db.name]
    stored = _tables(folder / db.name)
    assert "events" in stored and "late" not in stored
    record = load_manifest(Path(created.path or "")).component("analytics_db")
    assert record is not None and record.method == "duckdb-wal-replayed"
    assert service.verify_backup(settings, created.backup_id).ok


def test_a_checkpoint_log_left_beside_the_database_is_copied_and_judged_by_duckdb(
    tmp_path: Path,
) -> None:
    """DuckDB 2.0 keeps commits made during a checkpoint in `.wal.checkpoint`; a crash can
    leave one. It is copied with the file under the lock and DuckDB decides, in the copy,
    what it holds: the backup is one file showing what the app would see, the app's files
    untouched, and the restore plan still counts the log as part of the live database."""
    data = tmp_path / "data"
    settings = make_state(data)
    db = settings.resolved().analytics_db
    wal = _crashed_writer(db)
    log = db.with_name(db.name + ".wal.checkpoint")
    wal.rename(log)
    live = (db.read_bytes(), log.read_bytes())
    query = "SELECT table_name FROM information_schema.tables"
    app_sees = {str(r[0]) for r in duckdb_as_the_app_sees(db, tmp_path / "scratch", query)}

    created = service.create_backup(settings, prune=False)
    assert created.ok, created.error
    assert (db.read_bytes(), log.read_bytes()) == live, "the app's files are untouched"
    folder = Path(created.path or "") / "analytics_db"
    assert sorted(p.name for p in folder.iterdir()) == [db.name]
    assert _tables(folder / db.name) == app_sees
    assert service.verify_backup(settings, created.backup_id).ok
    record = load_manifest(Path(created.path or "")).component("analytics_db")
    assert record is not None and record.method == "duckdb-wal-replayed"
    with_log = source_fingerprint(db)
    log.unlink()
    assert source_fingerprint(db) != with_log
