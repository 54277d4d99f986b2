"""Whether two database files hold the same content: what a user would get, not their bytes.

A backup's database may be a logical copy (SQLite's backup API; a DuckDB whose WAL was
replayed into the copy), so its bytes can differ from the live file even when every table and
row is the same. The restore plan compares this instead, so "replace" means the data would
change.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from persistence.components.database_copy import DatabaseKind, detect_kind
from persistence.core.errors import BackupError


def content_digest(path: Path, *, frozen: bool) -> str | None:
    """A digest of the schema and every row; None when it cannot be read (then: differs)."""
    try:
        kind = detect_kind(path)
        if kind is DatabaseKind.SQLITE:
            return _sqlite_digest(path, frozen=frozen)
        if kind is DatabaseKind.DUCKDB:
            return _duckdb_digest(path)
        return "empty"
    except (BackupError, OSError, sqlite3.Error):
        return None
    except Exception as exc:  # duckdb.Error, imported lazily below
        if type(exc).__module__.startswith("duckdb") or type(exc).__module__ == "_duckdb":
            return None
        raise


def has_pending_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def same_content(backup_copy: Path, live: Path) -> bool:
    ours = content_digest(backup_copy, frozen=True)
    return ours is not None and ours == content_digest(live, frozen=False)


def _sqlite_digest(path: Path, *, frozen: bool) -> str | None:
    if not frozen and has_pending_wal(path):
        # Its last transactions live in the -wal: reading them would create or touch -shm
        # in the app's folder, and a plan only reads. Unknown content counts as different.
        return None
    # immutable=1: SQLite takes no lock and never creates -wal/-shm (the file is at rest).
    mode = "ro&immutable=1"
    con = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=10)
    try:
        digest = hashlib.sha256()
        for line in con.iterdump():  # schema, then every row in rowid order
            digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
        return digest.hexdigest()
    finally:
        con.close()


def _duckdb_digest(path: Path) -> str:
    import duckdb  # heavy: only a plan that meets a DuckDB file loads it

    con = duckdb.connect(str(path), read_only=True)
    try:
        digest = hashlib.sha256()
        schema = con.execute(
            "SELECT schema_name, table_name, sql FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal "
            "ORDER BY 1, 2"
        ).fetchall()
        for schema_name, name, sql in schema:
            digest.update(f"{schema_name}.{name}: {sql}\n".encode())
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall()
        for schema_name, name in tables:
            quoted = (
                '"'
                + str(schema_name).replace('"', '""')
                + '"."'
                + str(name).replace('"', '""')
                + '"'
            )
            # Order-independent: the row count and the sum of every row's hash.
            # S608: only a table name goes into the SQL, quoted as an identifier.
            row = con.execute(
                f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {quoted} AS t"  # noqa: S608
            ).fetchone()
            digest.update(f"{schema_name}.{name}: {row}\n".encode())
        return digest.hexdigest()
    finally:
        con.close()
