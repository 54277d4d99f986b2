"""Copying a database consistently while its app may still be writing.

The kind is read from the file header, never guessed from the name.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from persistence.components.db_fingerprint import DUCKDB_JOURNALS
from persistence.core.errors import ComponentError
from persistence.core.fsio import CopiedFile, copy_and_hash
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"
SQLITE_BUSY_TIMEOUT_SECONDS = 60.0


def is_duckdb_error(exc: BaseException | None, *, io_only: bool = False) -> bool:
    """Whether `exc` is one of DuckDB's (`io_only`: its IOException, e.g. a held lock).

    DuckDB loads only where a DuckDB file is opened (50 ms of start-up): when nothing has
    loaded it, no error can be one of its own, and asking must not load it.
    """
    if exc is None or "duckdb" not in sys.modules:
        return False
    import duckdb

    return isinstance(exc, duckdb.IOException if io_only else duckdb.Error)


class DatabaseKind(StrEnum):
    SQLITE = "sqlite"
    DUCKDB = "duckdb"
    EMPTY = "empty"


def detect_kind(path: Path) -> DatabaseKind:
    with path.open("rb") as handle:
        header = handle.read(16)
    if not header:
        return DatabaseKind.EMPTY
    if header.startswith(SQLITE_MAGIC):
        return DatabaseKind.SQLITE
    if header[8:12] == DUCKDB_MAGIC:
        return DatabaseKind.DUCKDB
    raise ComponentError(
        f"{path} is neither a SQLite nor a DuckDB database (unknown header); "
        "point the setting at the database file"
    )


def copy_sqlite(source: Path, target: Path) -> None:
    """Online backup API in one step: with a busy writer, small steps restart forever."""
    src = sqlite3.connect(
        f"{source.as_uri()}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS
    )
    try:
        journal_mode = str(src.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        dst = sqlite3.connect(target)
        try:
            # The copy is a private staging file: no journal and no fsync per commit (the whole
            # backup is made durable by one syncfs at commit, and a crash discards staging).
            # Not memory-mapped: mapped pages count as the process's memory (a 500 MiB copy
            # tripled create's peak RSS), and flat memory matters more than 60 ms.
            dst.execute("PRAGMA synchronous=OFF")
            dst.execute("PRAGMA journal_mode=OFF")
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            row = dst.execute("PRAGMA integrity_check").fetchone()
            if row is None or row[0] != "ok":
                raise ComponentError(f"the copy of {source} fails integrity_check: {row}")
            if journal_mode == "wal":
                # A restored database keeps the app's concurrency mode; with every page in the
                # main file, closing this last connection leaves no -wal/-shm beside it.
                dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    strays = [p.name for p in target.parent.iterdir() if p.name.startswith(f"{target.name}-")]
    if strays:
        raise ComponentError(f"the copy of {source} left {', '.join(strays)} beside it")


_DUCKDB_LOCK_PID = re.compile(r"PID (\d+)")


def copy_duckdb(source: Path, target: Path) -> CopiedFile | None:
    """A consistent copy taken while a read-only attach holds the file's shared lock.

    DuckDB takes a shared (read) lock for a read-only attach and an exclusive one for a
    writer, so while it is held no other process can open the file for writing, and neither
    the file nor its logs (DUCKDB_JOURNALS) can change. With no log the file holds every
    committed transaction: its bytes are copied (and hashed) as they are, in flat memory. With
    one (a writer died before its checkpoint) file and logs are copied byte for byte, the
    lock is let go, and DuckDB replays the copied logs into the private copy and checkpoints
    it, leaving one self-contained file. Memory then follows the logs' size, not the
    database's (a 2 GB file with a small WAL: flat, benchmarks/duckdb_memory.py). `COPY FROM
    DATABASE`, used before, rewrote every row group (11 s instead of 0.4 s for 510 MiB) and
    failed with "Out of Memory" under its 128 MB cap on wide rows. Returns the copy's hash
    when it was taken while copying, else None (the replayed file is hashed by the caller).
    """
    import duckdb  # heavy: loaded only when a DuckDB file is copied

    con = duckdb.connect(":memory:")
    try:
        _attach_read_only(con, source)
        journals = _duckdb_journals(source)
        if not journals:
            return copy_and_hash(source, target)
        # The logs first: closing any descriptor of the main file ends every POSIX lock this
        # process holds on it, DuckDB's included, so the main file's copy closes it last.
        for suffix in journals:
            copy_and_hash(
                source.with_name(source.name + suffix), target.with_name(target.name + suffix)
            )
        copy_and_hash(source, target)
    finally:
        con.close()
    _replay_wal(target)
    return None


def _duckdb_journals(source: Path) -> list[str]:
    """The suffixes of the non-empty logs beside `source` (see DUCKDB_JOURNALS)."""
    found: list[str] = []
    for suffix in DUCKDB_JOURNALS:
        log = source.with_name(source.name + suffix)
        if log.is_file() and log.stat().st_size > 0:
            found.append(suffix)
    return found


def _attach_read_only(con: DuckDBPyConnection, source: Path) -> None:
    import duckdb

    try:
        con.execute(f"ATTACH '{_quote(source)}' AS src (READ_ONLY)")
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _DUCKDB_LOCK_PID.search(text)
            holder = f" (pid {pid.group(1)})" if pid else ""
            raise ComponentError(
                f"the DuckDB file {source} is locked by a running app{holder}: DuckDB allows "
                "no reader beside a writer in another process; stop the app or have it "
                "close the database, then back up again"
            ) from exc
        raise ComponentError(f"cannot open DuckDB file {source}: {text}") from exc


def _replay_wal(copy: Path) -> None:
    """Open the private copy (DuckDB replays the logs beside it) and checkpoint it into the
    file; one thread, as the rest of the capture runs beside it.

    A checkpoint with nothing to write leaves the logs: a WAL whose only transaction is torn
    (a writer killed while appending; DuckDB ignores it) replays nothing, and DuckDB 2.0 does
    not replay a `.wal.checkpoint` left without its `.wal`. A write of our own, a table made
    and dropped in one transaction, then has DuckDB checkpoint everything it presented, and a
    log it still left holds nothing it showed: it is dropped from the copy, so the backup is
    the one file that holds what the app would see on opening the database."""
    import duckdb

    def logs() -> list[Path]:
        return [p for s in DUCKDB_JOURNALS if (p := copy.with_name(copy.name + s)).exists()]

    con = duckdb.connect(str(copy), config={"threads": 1})
    try:
        con.execute("CHECKPOINT")
        if logs():
            scratch = f'"app_backup_{secrets.token_hex(8)}"'
            con.execute("BEGIN")
            con.execute(f"CREATE TABLE {scratch} (i INTEGER)")
            con.execute(f"DROP TABLE {scratch}")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
    finally:
        con.close()
    for log in logs():
        log.unlink()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def database_record(
    name: str,
    source: Path,
    copy_name: str,
    copied: CopiedFile,
    method: str,
    warnings: list[str] | None = None,
) -> ComponentRecord:
    """The record of a database component: one file, with the source's mode and mtime."""
    info = source.stat()
    return ComponentRecord(
        name=name,
        status=ComponentStatus.CAPTURED,
        source=str(source),
        method=method,
        bytes=copied.size,
        file_count=1,
        files=[
            FileRecord(
                path=copy_name,
                size=copied.size,
                sha256=copied.sha256,
                mode=info.st_mode & 0o7777,
                mtime=info.st_mtime,
            )
        ],
        warnings=warnings or [],
    )
