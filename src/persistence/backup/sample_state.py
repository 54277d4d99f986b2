"""Realistic sample app state to try the tool on (and for the tests)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb

from persistence.core.errors import ConfigError
from persistence.core.settings import ResolvedPaths

CACHE_ROWS = 500
ANALYTICS_ROWS = 2_000


@dataclass(frozen=True)
class SampleSummary:
    cache_rows: int
    analytics_rows: int
    files: int
    bytes: int

    def describe(self) -> str:
        return (
            f"{self.cache_rows} cache rows (SQLite, WAL), {self.analytics_rows} analytics rows "
            f"(DuckDB), {self.files} files in storage/ and uploads/ ({self.bytes} bytes)"
        )


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
    total = 0
    for relative, content in TREE_FILES.items():
        top, _, rest = relative.partition("/")
        base = {"storage": paths.storage_dir, "uploads": paths.uploads_dir, "logs": paths.logs_dir}
        target = base[top] / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        total += len(content)
    large = paths.uploads_dir / "datasets" / "large-corpus.bin"
    large.parent.mkdir(parents=True, exist_ok=True)
    with large.open("wb") as handle:
        for _ in range(large_file_mib):
            handle.write(os.urandom(1024 * 1024))
    total += large_file_mib * 1024 * 1024
    link = paths.storage_dir / "latest-notes"
    link.symlink_to("notes")
    _make_cache(paths.cache_db)
    _make_analytics(paths.analytics_db)
    return SampleSummary(CACHE_ROWS, ANALYTICS_ROWS, len(TREE_FILES) + 1, total)


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
