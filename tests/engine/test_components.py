"""Each component copies consistently and records what it copied."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from persistence.components.base import CaptureContext
from persistence.components.databases import DatabaseComponent, DatabaseKind, detect_kind
from persistence.components.trees import TreeComponent
from persistence.core.errors import ComponentError
from persistence.core.progress import ProgressEvent, ProgressStage
from persistence.store.manifest import ComponentStatus

WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS ticks (id INTEGER PRIMARY KEY, payload TEXT)")
    print("ready", flush=True)
    while True:
        con.execute("INSERT INTO ticks (payload) VALUES (?)", ("x" * 200,))
        time.sleep(0.002)
    """
)


def test_sqlite_copy_under_busy_writer_holds_every_committed_row(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        reader = sqlite3.connect(db)
        committed_before = reader.execute("SELECT max(id) FROM ticks").fetchone()[0]
        assert committed_before > 20
        events: list[ProgressEvent] = []
        record = DatabaseComponent("cache_db", db).capture(
            CaptureContext(target_dir=tmp_path / "out", progress=events.append)
        )
        time.sleep(0.1)
        after = reader.execute("SELECT max(id) FROM ticks").fetchone()[0]
        reader.close()
    finally:
        writer.kill()
        writer.wait()
    assert after > committed_before, "the writer must still have been committing"
    copy = tmp_path / "out" / "cache.db"
    assert record.status is ComponentStatus.CAPTURED and record.method == "sqlite-online-backup"
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in con.execute("SELECT id FROM ticks")}
    con.close()
    assert set(range(1, committed_before + 1)) <= ids
    assert not (tmp_path / "out" / "cache.db-wal").exists()
    assert not (tmp_path / "out" / "cache.db-shm").exists()
    assert copy.read_bytes()[18:20] == b"\x02\x02", "a WAL database comes back in WAL mode"
    assert record.files[0].sha256 == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert next(e.stage for e in events) is ProgressStage.COMPONENT_STARTED
    assert events[-1].stage is ProgressStage.COMPONENT_FINISHED


def test_kind_comes_from_the_header_not_the_name(tmp_path: Path) -> None:
    disguised = tmp_path / "analytics.sqlite"  # really DuckDB
    con = duckdb.connect(str(disguised))
    con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    con.close()
    assert detect_kind(disguised) is DatabaseKind.DUCKDB
    record = DatabaseComponent("analytics_db", disguised).capture(
        CaptureContext(target_dir=tmp_path / "out", progress=lambda _e: None)
    )
    assert (record.method or "").startswith("duckdb-")  # a DuckDB copy, whatever the file is called
    copy = duckdb.connect(str(tmp_path / "out" / "analytics.sqlite"), read_only=True)
    assert copy.execute("SELECT answer FROM t").fetchone() == (42,)
    copy.close()
    garbage = tmp_path / "cache.db"
    garbage.write_bytes(b"not a database at all")
    with pytest.raises(ComponentError, match="neither a SQLite nor a DuckDB"):
        detect_kind(garbage)


HOLDER = textwrap.dedent(
    """
    import duckdb, sys, time
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_duckdb_locked_by_a_running_app_gets_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "analytics.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(ComponentError, match="locked by a running app") as caught:
            DatabaseComponent("analytics_db", db).capture(
                CaptureContext(target_dir=tmp_path / "out", progress=lambda _e: None)
            )
        assert f"pid {holder.pid}" in caught.value.message
    finally:
        holder.kill()
        holder.wait()


def test_tree_copy_records_paths_modes_and_links_without_following(tmp_path: Path) -> None:
    src = tmp_path / "storage"
    (src / "nested" / "deeper").mkdir(parents=True)
    (src / "nested" / "deeper" / "été 日本.txt").write_text("unicode")
    exe = src / "run.sh"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o750)
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("do not copy me")
    (src / "escape").symlink_to(secret)
    (src / "empty-dir").mkdir()
    record = TreeComponent("storage", src).capture(
        CaptureContext(target_dir=tmp_path / "out", progress=lambda _e: None)
    )
    by_path = {f.path: f for f in record.files}
    assert by_path["nested/deeper/été 日本.txt"].size == len(b"unicode")
    assert by_path["run.sh"].mode == 0o750
    assert by_path["escape"].kind == "symlink" and by_path["escape"].link_target == str(secret)
    assert by_path["empty-dir"].kind == "dir"
    assert not (tmp_path / "out" / "escape").exists(), "a symlink is recorded, never followed"
    assert record.file_count == 2
    copied = tmp_path / "out" / "run.sh"
    assert copied.stat().st_mode & 0o777 == 0o600, "backups are private"


def test_absent_sources_are_recorded_as_absent(tmp_path: Path) -> None:
    ctx = CaptureContext(target_dir=tmp_path / "out", progress=lambda _e: None)
    assert TreeComponent("uploads", tmp_path / "nope").capture(ctx).status is ComponentStatus.ABSENT
    db = DatabaseComponent("cache_db", tmp_path / "nope.db").capture(ctx)
    assert db.status is ComponentStatus.ABSENT
    assert not (tmp_path / "out").exists()


def test_a_file_growing_during_the_copy_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "logs"
    src.mkdir()
    growing = src / "app.log"
    growing.write_bytes(b"x" * 3 * 1024 * 1024)
    appended = False

    def append_once(event: ProgressEvent) -> None:
        nonlocal appended
        if event.stage is ProgressStage.COMPONENT_ADVANCED and event.bytes_done and not appended:
            appended = True
            with growing.open("ab") as handle:
                handle.write(b"late line\n")

    record = TreeComponent("logs", src).capture(
        CaptureContext(target_dir=tmp_path / "out", progress=append_once)
    )
    assert appended
    assert any("changed while it was being copied" in w for w in record.warnings)
