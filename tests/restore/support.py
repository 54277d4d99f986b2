"""Helpers for the verify/restore tests: sample state, the CLI environment, database contents."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import duckdb

from persistence.backup.sample_state import create_sample_state
from persistence.components.db_fingerprint import DUCKDB_JOURNALS
from persistence.core.settings import BackupSettings
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, sidecar_text
from tests.qdrant_standin.server import QdrantStandin
from tests.support.settings import settings_for


def make_state(data: Path, standin: QdrantStandin | None = None) -> BackupSettings:
    settings = settings_for(standin.url if standin else None, data=data)
    create_sample_state(settings.resolved(), large_file_mib=1)
    if standin is not None:
        # Shapes no other test folder uses, always built through add_collection: the
        # stand-in caches archives per call signature but writes them to one file per shape,
        # so two call forms of one shape overwrite each other's bytes (see the report).
        standin.add_collection("docs", points=21)
        standin.add_collection("faq-v2", points=9, dim=8)
        standin.add_collection("images", points=31, shards=2)
    return settings


def cli_env(data: Path, url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    env["BACKUP_DATA_DIR"] = str(data)
    env["BACKUP_LOCK_TIMEOUT"] = "5"
    if url:
        env["QDRANT_URL"] = url
        env["QDRANT_TIMEOUT"] = "10"
    env.update(extra)
    return env


def standin_state(standin: QdrantStandin) -> dict[str, tuple[int, int, int, list[str]]]:
    with standin.state.lock:
        return {
            name: (c.points_count, c.dim, c.shards, sorted(c.snapshots))
            for name, c in standin.state.collections.items()
        }


def db_contents(settings: BackupSettings) -> tuple[list[str], list[tuple[object, ...]]]:
    paths = settings.resolved()
    con = sqlite3.connect(paths.cache_db)
    try:
        dump = list(con.iterdump())
    finally:
        con.close()
    duck = duckdb.connect(str(paths.analytics_db), read_only=True)
    try:
        rows = duck.execute("SELECT * FROM events ORDER BY id").fetchall()
    finally:
        duck.close()
    return dump, rows


def resign(backup: Path, manifest: dict[str, object]) -> None:
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    (backup / MANIFEST_NAME).write_bytes(data)
    (backup / SIDECAR_NAME).write_text(sidecar_text(data), encoding="utf-8")


def latest_backup(settings: BackupSettings) -> Path:
    root = settings.resolved().backup_dir
    return sorted(p for p in root.iterdir() if p.name.startswith("backup_"))[-1]


def duckdb_as_the_app_sees(db: Path, scratch_dir: Path, query: str) -> list[tuple[object, ...]]:
    """`query` on what DuckDB shows of `db` with its logs, read from copies in `scratch_dir`
    so that the live files stay untouched (a read-only open would still replay them)."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / db.name
    for suffix in ("", *DUCKDB_JOURNALS):
        live = db.with_name(db.name + suffix)
        if live.exists():
            scratch.with_name(scratch.name + suffix).write_bytes(live.read_bytes())
    con = duckdb.connect(str(scratch), read_only=True)
    try:
        return [tuple(row) for row in con.execute(query).fetchall()]
    finally:
        con.close()
