"""Realistic sample app state to try the tool on (and for the tests)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb

from persistence.core.display import human_bytes
from persistence.core.errors import ConfigError
from persistence.core.settings import ResolvedPaths

CACHE_ROWS = 500
ANALYTICS_ROWS = 2_000


@dataclass(frozen=True)
class SampleSummary:
    cache_rows: int
    analytics_rows: int
    # Regular files per tree, counted the way create-backup counts them (symlinks and folders
    # are not files); logs only go into a backup with BACKUP_INCLUDE_LOGS=true.
    tree_files: dict[str, int]
    tree_bytes: dict[str, int]

    def describe(self) -> str:
        lines = [
            f"  cache_db      1 file   ({self.cache_rows} rows, SQLite in WAL mode)",
            f"  analytics_db  1 file   ({self.analytics_rows} rows, DuckDB)",
        ]
        for tree, count in self.tree_files.items():
            noun = "file " if count == 1 else "files"
            note = " (backed up with BACKUP_INCLUDE_LOGS=true)" if tree == "logs" else ""
            lines.append(f"  {tree:<13} {count} {noun}  {human_bytes(self.tree_bytes[tree])}{note}")
        return "\n".join(lines)


TREE_FILES: dict[str, bytes] = {
    "storage/docstore.json": b'{"docs": {"d1": {"title": "Quarterly report"}}}\n',
    "storage/index/vectors-meta.json": b'{"dim": 384, "metric": "cosine"}\n',
    "storage/chat_history/2026-11-20.jsonl": b'{"role": "user", "text": "hello"}\n' * 40,
    "storage/notes/résumé – 日本語.md": "# Notes été\n".encode(),
    "storage/deep/a/b/c/d/leaf.txt": b"leaf\n",
    "uploads/2026/11/report.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 64,
    "uploads/фото/снимок 1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096,
    "uploads/empty.txt": b"",
    "logs/app.log": b"INFO started\n" * 100,
}


def create_sample_state(
    paths: ResolvedPaths, *, large_file_mib: int = 32, force: bool = False
) -> SampleSummary:
    """Write sample state under the data root; refuse to overwrite existing app state."""
    targets = [paths.cache_db, paths.analytics_db, paths.storage_dir, paths.uploads_dir]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise ConfigError(
            f"{existing[0]} already exists: sample data is only written into an empty data root"
        )
    files = {"storage": 0, "uploads": 0, "logs": 0}
    sizes = dict.fromkeys(files, 0)
    for relative, content in TREE_FILES.items():
        top, _, rest = relative.partition("/")
        base = {"storage": paths.storage_dir, "uploads": paths.uploads_dir, "logs": paths.logs_dir}
        target = base[top] / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files[top] += 1
        sizes[top] += len(content)
    large = paths.uploads_dir / "datasets" / "large-corpus.bin"
    large.parent.mkdir(parents=True, exist_ok=True)
    with large.open("wb") as handle:
        for _ in range(large_file_mib):
            handle.write(os.urandom(1024 * 1024))
    files["uploads"] += 1
    sizes["uploads"] += large_file_mib * 1024 * 1024
    link = paths.storage_dir / "latest-notes"
    link.symlink_to("notes")
    _make_cache(paths.cache_db)
    _make_analytics(paths.analytics_db)
    return SampleSummary(CACHE_ROWS, ANALYTICS_ROWS, files, sizes)


def _make_cache(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(
            "CREATE TABLE responses (id INTEGER PRIMARY KEY, prompt_hash TEXT UNIQUE, "
            "response TEXT, created_at TEXT)"
        )
        con.executemany(
            "INSERT INTO responses (prompt_hash, response, created_at) VALUES (?, ?, ?)",
            [
                (f"h{i:06d}", f"answer {i} " * 8, f"2026-11-{1 + i % 28:02d}")
                for i in range(CACHE_ROWS)
            ],
        )
        con.commit()
    finally:
        con.close()


def _make_analytics(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE events AS SELECT i AS id, 'query' AS kind, "
            "TIMESTAMP '2026-11-01' + to_minutes(i) AS event_time, random() AS latency "
            "FROM range(?) t(i)",
            [ANALYTICS_ROWS],
        )
        con.execute(
            "CREATE VIEW daily AS SELECT date_trunc('day', event_time) AS day, count(*) AS n "
            "FROM events GROUP BY 1"
        )
    finally:
        con.close()
