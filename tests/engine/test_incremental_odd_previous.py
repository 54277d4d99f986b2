"""Incremental backups driven through the real CLI: what a linked file's record says."""

from __future__ import annotations

import json
import os
from pathlib import Path

from persistence.store.manifest import load_manifest
from tests.conftest import AppState
from tests.support.cli import run_cli


def _create(app_state: AppState, env: dict[str, str]) -> Path:
    """One create-backup through the CLI; the new backup's folder."""
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    return app_state.backup_dir / json.loads(done.stdout)["backup_id"]


def test_rehash_records_the_mode_and_mtime_the_file_has_now(app_state: AppState) -> None:
    env = app_state.env()
    assert run_cli("create-backup", "--no-prune", env=env).returncode == 0
    live = app_state.data_dir / "storage" / "docstore.json"
    live.chmod(0o600)
    os.utime(live, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    done = run_cli("create-backup", "--no-prune", "--rehash", "--json", env=env)
    assert done.returncode == 0, done.stdout
    backup = app_state.backup_dir / json.loads(done.stdout)["backup_id"]
    record = load_manifest(backup).component("storage")
    assert record is not None
    item = next(f for f in record.files if f.path == "docstore.json")
    assert item.linked_from is not None  # same bytes: linked, not copied
    info = live.stat()
    assert item.mode == 0o600 and item.mtime_ns == info.st_mtime_ns
    assert (item.inode, item.ctime_ns) == (info.st_ino, info.st_ctime_ns)
    # Restored into a new folder, the file gets the mode and mtime it had when backed up.
    target = app_state.data_dir / "restored"
    got = run_cli("restore-backup", backup.name, "--target", str(target), env=env)
    assert got.returncode == 0, got.stderr
    copy = (target / "storage" / "docstore.json").stat()
    assert copy.st_mode & 0o777 == 0o600 and copy.st_mtime_ns // 1000 == info.st_mtime_ns // 1000


def _database_files(app_state: AppState, backup_id: str) -> dict[str, str | None]:
    manifest = load_manifest(app_state.backup_dir / backup_id)
    return {
        f"{r.name}/{f.path}": f.codec
        for r in manifest.components
        if r.name in ("cache_db", "analytics_db")
        for f in r.files
    }


def test_switching_compression_off_stores_plain_database_copies(app_state: AppState) -> None:
    made: list[str] = []
    for compression in ("zstd", "none", "zstd"):
        env = app_state.env(BACKUP_COMPRESSION=compression)
        done = run_cli("create-backup", "--no-prune", "--json", env=env)
        assert done.returncode == 0, done.stdout
        made.append(json.loads(done.stdout)["backup_id"])
    compressed = {
        "cache_db/cache.db.zst": "zstd",
        "analytics_db/analytics.duckdb.zst": "zstd",
    }
    plain = {"cache_db/cache.db": None, "analytics_db/analytics.duckdb": None}
    assert [_database_files(app_state, b) for b in made] == [compressed, plain, compressed]
    # Each comes back byte-identical in content: verify (deep decompresses) passes on all.
    for backup_id in made:
        checked = run_cli("verify-backup", backup_id, "--deep", env=app_state.env())
        assert checked.returncode == 0, checked.stderr


def test_a_file_missing_or_cut_short_in_the_previous_backup_is_copied_not_linked(
    app_state: AppState,
) -> None:
    env = app_state.env()
    previous = _create(app_state, env)
    # Damage in the backup the next run links from: one file gone, one cut short, one
    # database copy gone (a disk error, a hand that tidied up).
    (previous / "uploads" / "empty.txt").unlink()
    short = previous / "storage" / "docstore.json"
    short.chmod(0o600)
    short.write_bytes(short.read_bytes()[:3])
    (previous / "cache_db" / "cache.db").unlink()
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    backup_id = json.loads(done.stdout)["backup_id"]
    checked = run_cli("verify-backup", backup_id, env=env)
    assert checked.returncode == 0, checked.stderr
    fresh = app_state.backup_dir / backup_id
    assert (fresh / "storage" / "docstore.json").read_bytes() == (
        app_state.data_dir / "storage" / "docstore.json"
    ).read_bytes()


def test_nothing_is_linked_through_a_component_folder_replaced_by_a_symlink(
    app_state: AppState,
) -> None:
    env = app_state.env()
    previous = _create(app_state, env)
    outside = app_state.data_dir.parent / "outside-storage"
    (previous / "storage").rename(outside)
    (previous / "storage").symlink_to(outside)
    fresh = _create(app_state, env)
    outside_inodes = {p.stat().st_ino for p in outside.rglob("*") if p.is_file()}
    fresh_inodes = {p.stat().st_ino for p in (fresh / "storage").rglob("*") if p.is_file()}
    assert fresh_inodes and not fresh_inodes & outside_inodes


def test_a_folder_of_the_previous_backup_replaced_by_a_symlink_does_not_fail_the_run(
    app_state: AppState,
) -> None:
    env = app_state.env()
    previous = _create(app_state, env)
    outside = app_state.data_dir.parent / "outside-notes"
    (previous / "storage" / "notes").rename(outside)
    (previous / "storage" / "notes").symlink_to(outside)
    fresh = _create(app_state, env)
    assert run_cli("verify-backup", fresh.name, env=env).returncode == 0
    outside_inodes = {p.stat().st_ino for p in outside.rglob("*") if p.is_file()}
    fresh_inodes = {p.stat().st_ino for p in (fresh / "storage").rglob("*") if p.is_file()}
    assert not fresh_inodes & outside_inodes
