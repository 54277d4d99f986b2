"""Restoring over a tree whose entries changed kind since the backup, through the real CLI."""

from __future__ import annotations

import json

from tests.conftest import AppState
from tests.support.cli import run_cli


def test_restore_puts_a_folder_back_where_a_file_now_stands(app_state: AppState) -> None:
    env = app_state.env()
    storage = app_state.data_dir / "storage"
    folder = storage / "docstore.json"
    folder.unlink()
    folder.mkdir()
    (folder / "inner.txt").write_text("inner\n")
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    backup_id = json.loads(done.stdout)["backup_id"]
    # The app replaces the folder by a plain file again; restoring must bring the folder back.
    (folder / "inner.txt").unlink()
    folder.rmdir()
    folder.write_text("a file now\n")
    restored = run_cli("restore-backup", backup_id, env=env)
    assert restored.returncode == 0, restored.stderr
    assert folder.is_dir() and (folder / "inner.txt").read_text() == "inner\n"


def _backup_with_a_folder(app_state: AppState) -> tuple[dict[str, str], str]:
    """A backup whose storage/docstore.json is a folder holding inner.txt; the live tree then
    has no folder there any more."""
    env = app_state.env()
    folder = app_state.data_dir / "storage" / "docstore.json"
    folder.unlink()
    folder.mkdir()
    (folder / "inner.txt").write_text("inner\n")
    done = run_cli("create-backup", "--no-prune", "--json", env=env)
    assert done.returncode == 0, done.stdout
    (folder / "inner.txt").unlink()
    folder.rmdir()
    return env, json.loads(done.stdout)["backup_id"]


def test_path_restore_reports_a_file_where_the_backup_has_a_folder_as_a_conflict(
    app_state: AppState,
) -> None:
    env, backup_id = _backup_with_a_folder(app_state)
    live = app_state.data_dir / "storage" / "docstore.json"
    live.write_text("a file now\n")
    done = run_cli(
        "restore-backup", backup_id, "--path", "storage/docstore.json", "--json", env=env
    )
    result = json.loads(done.stdout)
    assert done.returncode == 0, result["error"]
    assert "storage/docstore.json" in result["conflicts"] and result["written"] == []
    assert live.read_text() == "a file now\n"


def test_path_restore_changes_nothing_through_a_symlink_where_a_folder_was(
    app_state: AppState,
) -> None:
    env, backup_id = _backup_with_a_folder(app_state)
    outside = app_state.data_dir / "elsewhere"
    outside.mkdir()
    outside.chmod(0o755)
    (app_state.data_dir / "storage" / "docstore.json").symlink_to("../elsewhere")
    done = run_cli(
        "restore-backup", backup_id, "--path", "storage/docstore.json", "--json", env=env
    )
    result = json.loads(done.stdout)
    assert done.returncode == 0, result["error"]
    assert "storage/docstore.json" in result["conflicts"] and result["written"] == []
    assert outside.stat().st_mode & 0o777 == 0o755 and list(outside.iterdir()) == []


def test_if_empty_leaves_a_file_where_the_backup_has_a_folder(app_state: AppState) -> None:
    env, _ = _backup_with_a_folder(app_state)
    live = app_state.data_dir / "storage" / "docstore.json"
    live.write_text("a file now\n")
    done = run_cli("restore-backup", "--latest", "--if-empty", env=env)
    assert done.returncode == 0, done.stderr
    assert live.read_text() == "a file now\n"


def test_restore_puts_a_symlink_back_where_a_file_now_stands(app_state: AppState) -> None:
    env = app_state.env()
    link = app_state.data_dir / "storage" / "latest-notes"
    assert link.is_symlink()
    target = str(link.readlink())
    assert run_cli("create-backup", "--no-prune", env=env).returncode == 0
    link.unlink()
    link.write_text("a file now\n")
    restored = run_cli("restore-backup", "--latest", env=env)
    assert restored.returncode == 0, restored.stderr
    assert link.is_symlink() and str(link.readlink()) == target
