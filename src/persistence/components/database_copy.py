"""Copying a database consistently while its app may still be writing.

The kind is read from the file header, never guessed from the name.
"""

from __future__ import annotations

import re
import sqlite3
from enum import StrEnum
from pathlib import Path

import duckdb

from persistence.core.errors import ComponentError
from persistence.core.fsio import (
    CopiedFile,
)
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"
SQLITE_BUSY_TIMEOUT_SECONDS = 60.0


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


def copy_duckdb(source: Path, target: Path) -> None:
    """Read-only attach and COPY FROM DATABASE: a consistent copy at one transaction."""
    con = duckdb.connect(":memory:")
    try:
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
        con.execute(f"ATTACH '{_quote(target)}' AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH dst")
        con.execute("DETACH src")
    finally:
        con.close()


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
