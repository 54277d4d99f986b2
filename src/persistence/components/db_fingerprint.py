"""A database's identity on disk: the main file and its journals, by inode, ctime, mtime, size.

SQLite in WAL mode commits into `-wal` without touching the main file, so the journals count;
`-shm` does not (readers write to it). ctime cannot be set from user space, so a file that was
written cannot look untouched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# DuckDB's write-ahead log, and since DuckDB 2.0 the logs of commits made during a checkpoint
# and of a recovery in progress (duckdb/duckdb#20052, #20601): after a crash, each may hold
# commits the main file does not.
DUCKDB_JOURNALS = (".wal", ".wal.checkpoint", ".wal.recovery")
JOURNAL_SUFFIXES = ("-wal", "-journal", *DUCKDB_JOURNALS)


def source_fingerprint(path: Path) -> str | None:
    """A hex digest of the identities; None when the file is missing or not a regular file."""
    parts: list[str] = []
    for suffix in ("", *JOURNAL_SUFFIXES):
        candidate = path.with_name(path.name + suffix)
        try:
            info = candidate.stat(follow_symlinks=False)
        except FileNotFoundError:
            if not suffix:
                return None
            continue
        if suffix and info.st_size == 0:
            continue  # an empty journal holds no commit (a reader may create one, as ours does)
        parts.append(
            f"{suffix}:{info.st_mode}:{info.st_ino}:{info.st_size}:"
            f"{info.st_mtime_ns}:{info.st_ctime_ns}"
        )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
