"""Row counts per table of a SQLite or DuckDB file, read without writing a byte beside it.

A backup's copy is opened immutable/read-only so no journal, -shm or .wal file appears in
the backup folder (verify would then flag an extra entry).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from persistence.components.database_copy import DatabaseKind, detect_kind
from persistence.core.errors import ComponentError


def row_counts(path: Path, *, frozen: bool) -> dict[str, int]:
    """Table name -> rows. `frozen`: the file is a backup copy nobody writes."""
    kind = detect_kind(path)
    if kind is DatabaseKind.EMPTY:
        return {}
    try:
        if kind is DatabaseKind.SQLITE:
            return _sqlite_counts(path, frozen=frozen)
        return _duckdb_counts(path)
    except sqlite3.Error as exc:
        raise ComponentError(f"cannot read {path}: {exc}") from exc


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sqlite_counts(path: Path, *, frozen: bool) -> dict[str, int]:
    # immutable=1 makes SQLite skip locking and never create -wal/-shm: right for a copy
    # nobody writes, or a live file at rest (no pending -wal); with a pending -wal the live
    # file is read as a reader would (its latest transactions are in that -wal).
    wal = path.with_name(path.name + "-wal")
    pending = not frozen and wal.exists() and wal.stat().st_size > 0
    mode = "ro" if pending else "ro&immutable=1"
    con = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=10)
    try:
        names = [
            str(row[0])
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        # S608: only table names go into the SQL, quoted as identifiers by _quoted.
        return {
            name: int(con.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0])  # noqa: S608
            for name in names
        }
    finally:
        con.close()


def _duckdb_counts(path: Path) -> dict[str, int]:
    import duckdb  # heavy: only commands that count rows load it

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        text = str(exc)
        hint = ": stop the app, or compare two backups instead" if "lock" in text.lower() else ""
        raise ComponentError(f"cannot open DuckDB file {path}{hint} ({text})") from exc
    try:
        rows = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"
        ).fetchall()
        counts: dict[str, int] = {}
        for schema, table in rows:
            label = str(table) if schema == "main" else f"{schema}.{table}"
            # S608: identifiers only, quoted by _quoted.
            query = f"SELECT count(*) FROM {_quoted(str(schema))}.{_quoted(str(table))}"  # noqa: S608
            found = con.execute(query).fetchone()
            counts[label] = int(found[0]) if found else 0
        return counts
    finally:
        con.close()
