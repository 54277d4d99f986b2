"""Issue 13 items 6, 7, 8: a data root that is missing, `/` or a file; a read-only backup root."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import AppState
from tests.harden.support import make_backup, one_line
from tests.support.cli import run_cli


def test_missing_data_root_is_exit_2_and_creates_nothing(
    app_state: AppState, tmp_path: Path
) -> None:
    missing = tmp_path / "typo"
    env = app_state.env(BACKUP_DATA_DIR=str(missing))
    for command in ("create-backup", "list-backups", "prune-backups"):
        proc = run_cli(command, "--json", env=env)
        assert proc.returncode == 2, (command, proc.stderr)
        assert json.loads(proc.stdout)["exit_code"] == 2
        assert "BACKUP_DATA_DIR" in one_line(proc.stderr) and "does not exist" in proc.stderr
    assert not missing.exists()
    sample = run_cli("sample-data", "--large-file-mib", "1", env=env)
    assert sample.returncode == 0 and (missing / "storage").is_dir()  # asked for: created


def test_filesystem_root_as_data_root_is_refused(app_state: AppState) -> None:
    existed = Path("/backups").exists()
    proc = run_cli("create-backup", "--data-dir", "/", env=app_state.env())
    assert proc.returncode == 2 and "filesystem root" in one_line(proc.stderr)
    assert Path("/backups").exists() == existed


def test_data_root_that_is_a_file_names_backup_data_dir(
    app_state: AppState, tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    env = app_state.env(BACKUP_DATA_DIR=str(a_file))
    for command in ("create-backup", "list-backups", "verify-backup"):
        args = (command, "--latest") if command == "verify-backup" else (command,)
        proc = run_cli(*args, env=env)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        line = one_line(proc.stderr)
        assert "BACKUP_DATA_DIR" in line and "not a folder" in line and "Traceback" not in line
        assert "no backups yet" not in proc.stdout


@pytest.fixture
def read_only_view(app_state: AppState, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A backup seen through a read-only bind mount, as on a mounted backup disk."""
    backup = make_backup(app_state)
    view = tmp_path / "ro-view"
    view.mkdir()
    mounted = subprocess.run(
        ["mount", "--bind", str(app_state.backup_dir), str(view)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {mounted.stderr.strip()}")
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=False)
        if remount.returncode != 0:
            pytest.skip("cannot remount the bind mount read-only here")
        yield view, backup.name
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_read_only_backup_root_verify_and_list_work(
    app_state: AppState, read_only_view: tuple[Path, str]
) -> None:
    view, backup_id = read_only_view
    env = app_state.env(BACKUP_DIR=str(view), BACKUP_ALLOWED_ROOTS=str(view))
    verify = run_cli("verify-backup", backup_id, "--json", env=env)
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    warning = one_line(verify.stderr)
    assert "read-only" in warning and "not recorded" in warning
    listed = run_cli("list-backups", "--json", env=env)
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["valid"] is True
    prune = run_cli("prune-backups", "--json", env=env)
    assert prune.returncode == 1 and json.loads(prune.stdout)["ok"] is False
    assert "read-only" in one_line(prune.stderr) and "Traceback" not in prune.stderr
