"""restore --target from backups made with and without compression, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from tests.conftest import AppState
from tests.support.cli import run_cli


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_target_restore_of_a_compressed_backup_gives_the_same_files(app_state: AppState) -> None:
    trees: list[dict[str, str]] = []
    for compression in ("none", "zstd"):
        env = app_state.env(BACKUP_COMPRESSION=compression)
        done = run_cli("create-backup", "--no-prune", "--full", "--json", env=env)
        assert done.returncode == 0, done.stdout
        backup_id = json.loads(done.stdout)["backup_id"]
        target = app_state.data_dir.parent / f"restored-{compression}"
        got = run_cli("restore-backup", backup_id, "--target", str(target), "--json", env=env)
        assert got.returncode == 0, got.stdout
        assert "cache_db/cache.db" in json.loads(got.stdout)["written"]
        trees.append(_tree(target))
    assert "cache_db/cache.db" in trees[0] and "analytics_db/analytics.duckdb" in trees[0]
    assert trees[1] == trees[0]


def test_diff_compares_the_tables_of_compressed_database_copies(app_state: AppState) -> None:
    made: list[str] = []
    for compression in ("none", "zstd"):
        env = app_state.env(BACKUP_COMPRESSION=compression)
        done = run_cli("create-backup", "--no-prune", "--json", env=env)
        assert done.returncode == 0, done.stdout
        made.append(json.loads(done.stdout)["backup_id"])
    env = app_state.env()
    for pair in ([made[0], made[1]], [made[1], "live"]):
        done = run_cli("diff-backups", *pair, "--json", env=env)
        assert done.returncode == 0, done.stdout
        diff = json.loads(done.stdout)
        databases = [c for c in diff["components"] if c["name"] in ("cache_db", "analytics_db")]
        assert len(databases) == 2
        for component in databases:
            assert component["compared"] and component["notes"] == [], component
            assert component["tables"] == [], component


def test_plan_compares_the_content_of_a_compressed_copy(app_state: AppState) -> None:
    plans: list[dict[str, object]] = []
    for compression in ("none", "zstd"):
        env = app_state.env(BACKUP_COMPRESSION=compression)
        done = run_cli("create-backup", "--no-prune", "--json", env=env)
        assert done.returncode == 0, done.stdout
        # The app opens and closes its databases: new mtimes, same tables and rows.
        for live in ("analytics/analytics.duckdb", "cache/cache.db"):
            path = app_state.data_dir / live
            path.touch()
        done = run_cli("restore-backup", "--latest", "--dry-run", "--json", env=env)
        assert done.returncode == 0, done.stdout
        plan = json.loads(done.stdout)
        plans.append({c["name"]: c["action"] for c in plan["components"]})
        assert plan["nothing_to_do"], plan
    assert plans[0] == plans[1]


def test_plan_counts_the_bytes_a_compressed_copy_decompresses_to(app_state: AppState) -> None:
    env = app_state.env(BACKUP_COMPRESSION="zstd")
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    (app_state.data_dir / "analytics" / "analytics.duckdb").unlink()
    done = run_cli("restore-backup", "--latest", "--dry-run", "--json", env=env)
    assert done.returncode == 0, done.stdout
    step = next(c for c in json.loads(done.stdout)["components"] if c["name"] == "analytics_db")
    manifest = json.loads(
        (app_state.backup_dir / json.loads(done.stdout)["backup_id"] / "manifest.json").read_text()
    )
    record = next(c for c in manifest["components"] if c["name"] == "analytics_db")
    original = record["files"][0]["original_size"]
    assert original > record["files"][0]["size"]  # it did compress
    assert step["bytes_to_write"] == step["bytes_staged"] == original


def test_a_fifo_in_place_of_a_compressed_copy_is_damage_not_a_hang(app_state: AppState) -> None:
    """restore --target reads a compressed copy without waiting: a fifo there (a swapped or
    hostile backup) is reported as damage (exit 4) at once, and the other files still come."""
    env = app_state.env(BACKUP_COMPRESSION="zstd")
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    created = json.loads(done.stdout)
    folder = Path(created["path"]) / "cache_db"
    folder.chmod(0o700)
    (folder / "cache.db.zst").unlink()
    os.mkfifo(folder / "cache.db.zst")
    target = app_state.data_dir.parent / "restored"

    got = run_cli(
        "restore-backup",
        created["backup_id"],
        "--target",
        str(target),
        "--json",
        env=env,
        timeout=60,
    )

    result = json.loads(got.stdout)
    assert got.returncode == 4, result
    assert "cache_db/cache.db" in result["error"]
    assert "cache_db/cache.db" not in result["written"]
    assert "analytics_db/analytics.duckdb" in result["written"]
    assert not (target / "cache_db" / "cache.db").exists()


def test_path_names_a_compressed_copy_by_the_name_it_is_restored_under(
    app_state: AppState,
) -> None:
    env = app_state.env(BACKUP_COMPRESSION="zstd")
    assert run_cli("create-backup", "--no-prune", env=env).returncode == 0
    for name in ("cache_db/cache.db", "cache_db/cache.db.zst"):
        target = app_state.data_dir.parent / f"one-{name.replace('/', '-')}"
        got = run_cli(
            "restore-backup", "--latest", "--target", str(target), "--path", name, "--json", env=env
        )
        assert got.returncode == 0, got.stdout
        assert json.loads(got.stdout)["written"] == ["cache_db/cache.db"], name
        assert (target / "cache_db" / "cache.db").read_bytes()[:16] == b"SQLite format 3\0"
