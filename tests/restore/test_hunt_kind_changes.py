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
