"""End to end through the CLI: create, damage the state, restore, undo; and --dry-run."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.qdrant_standin.server import QdrantStandin
from tests.restore.support import cli_env, db_contents, make_state, standin_state
from tests.support.cli import run_cli, run_json
from tests.support.trees import tree_digest

TREES = ("storage", "uploads")


def _damage(data: Path, standin: QdrantStandin) -> None:
    (data / "storage" / "docstore.json").write_text("overwritten", encoding="utf-8")
    (data / "uploads" / "2026" / "11" / "report.pdf").unlink()
    shutil.rmtree(data / "storage" / "deep")
    (data / "storage" / "latest-notes").unlink()
    (data / "uploads" / "intruder.bin").write_bytes(b"not in the backup")
    (data / "storage" / "notes").chmod(0o755)
    con = sqlite3.connect(data / "cache" / "cache.db")
    con.execute("DELETE FROM responses WHERE id > 10")
    con.commit()
    con.close()
    with standin.state.lock:
        del standin.state.collections["docs"]  # lost
    standin.add_collection("faq-v2", points=5, dim=8)  # changed


def _leave_crash_wal(db: Path) -> None:
    """Leave `-wal`/`-shm` beside the SQLite file as a crashed app would: frames not yet
    checkpointed (logically a no-op here, but pages of this old database). Replayed onto a
    restored file they would corrupt it, so the restore must remove them."""
    con = sqlite3.connect(db)
    # SQLite skips writing rows that do not change: change them, then change them back.
    con.execute("UPDATE responses SET response = response || '!'")
    con.execute("UPDATE responses SET response = substr(response, 1, length(response) - 1)")
    con.commit()
    saved = {s: Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm")}
    con.close()
    for suffix, data in saved.items():
        Path(f"{db}{suffix}").write_bytes(data)


def test_round_trip_restore_and_undo(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    code, created = run_json("create-backup", env=env, cwd=tmp_path)
    assert code == 0, created
    original = {t: tree_digest(data / t) for t in TREES}
    original_db = db_contents(settings)
    manifest = json.loads((Path(str(created["path"])) / "manifest.json").read_text())
    sha = {
        c["name"]: c["sha256"]
        for comp in manifest["components"]
        if comp["name"] == "qdrant"
        for c in comp["qdrant"]["collections"]
    }
    assert set(sha) == {"docs", "faq-v2", "images"}

    _damage(data, qdrant_standin)
    damaged = {t: tree_digest(data / t) for t in TREES}
    damaged_db = db_contents(settings)
    damaged_qdrant = standin_state(qdrant_standin)
    assert damaged != original
    _leave_crash_wal(data / "cache" / "cache.db")
    assert (data / "cache" / "cache.db-wal").stat().st_size > 0

    code, result = run_json("restore-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, result
    assert result["ok"] is True
    undo_id = str(result["undo_id"])
    assert undo_id.startswith("pre-restore_")
    # Files: byte-identical, with modes, mtimes, folders and the symlink.
    assert {t: tree_digest(data / t) for t in TREES} == original
    assert not (data / "uploads" / "intruder.bin").exists()
    # Databases: every row, and no stale journal beside the SQLite file.
    assert db_contents(settings) == original_db
    assert not list((data / "cache").glob("cache.db-*"))
    backup = Path(str(created["path"]))
    assert (data / "cache" / "cache.db").read_bytes() == (
        backup / "cache_db" / "cache.db"
    ).read_bytes(), "the database file is the backup's copy, byte for byte"
    assert (data / "analytics" / "analytics.duckdb").read_bytes() == (
        backup / "analytics_db" / "analytics.duckdb"
    ).read_bytes()
    # Qdrant: one upload per collection, with the checksum and priority=snapshot.
    uploads = qdrant_standin.state.uploads_to(r"/collections/[^/]+/snapshots/upload")
    assert {r.path.split("/")[2]: r.query["checksum"] for r in uploads} == sha
    assert all(r.query["priority"] == "snapshot" and r.status == 200 for r in uploads)
    after = standin_state(qdrant_standin)
    assert {n: v[0] for n, v in after.items()} == {"docs": 21, "faq-v2": 9, "images": 31}
    assert all(v[3] == [] for v in after.values()), "uploaded copies must be deleted"

    # The undo copy is a real backup: it verifies, and restoring it brings the damage back.
    done = run_cli("verify-backup", undo_id, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    code, undone = run_json("restore-backup", undo_id, env=env, cwd=tmp_path)
    assert code == 0, undone
    assert {t: tree_digest(data / t) for t in TREES} == damaged
    # Databases come back as the engine's consistent copies (journal_mode=DELETE, the WAL
    # folded in), so the same rows rather than the same bytes as the live WAL-mode file.
    assert db_contents(settings) == damaged_db
    restored = standin_state(qdrant_standin)
    # faq-v2 and images existed before the restore and are back as they were; docs did not
    # exist, so the undo leaves the recovered collection in place (documented).
    assert restored["faq-v2"][0] == damaged_qdrant["faq-v2"][0] == 5
    assert restored["images"][0] == 31

    runs = json.loads((data / "backups" / "runs.json").read_text())["runs"]
    kinds = [(r["kind"], r["ok"]) for r in runs]
    assert ("restore", True) in kinds and ("verify", True) in kinds


def test_dry_run_changes_nothing(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_state(data, qdrant_standin)
    env = cli_env(data, qdrant_standin.url)
    assert run_cli("create-backup", env=env, cwd=tmp_path).returncode == 0
    _damage(data, qdrant_standin)
    before, server_before = tree_digest(data), standin_state(qdrant_standin)

    done = run_cli("restore-backup", "--latest", "--dry-run", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "replace  docstore.json" in done.stdout
    assert "write    2026/11/report.pdf" in done.stdout
    assert "remove   intruder.bin" in done.stdout
    assert "recover  collection docs" in done.stdout
    assert "free space at" in done.stdout
    code, plan = run_json("restore-backup", "--latest", "--dry-run", env=env, cwd=tmp_path)
    assert code == 0 and plan["nothing_to_do"] is False

    assert tree_digest(data) == before
    assert standin_state(qdrant_standin) == server_before
    assert not qdrant_standin.state.requests_to("POST", r".*/snapshots/upload")
