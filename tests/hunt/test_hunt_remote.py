"""A folder remote through the real CLI with names a local backup takes."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.restore.support import cli_env
from tests.support.cli import run_json


def test_a_file_name_of_255_bytes_is_pushed_and_pulled_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    longest = "n" * 255  # the longest name a file may have: create-backup takes it
    (storage / longest).write_text("a long name\n")
    (storage / ("m" * 240)).write_text("too long for the object's temp name\n")
    remote = tmp_path / "remote"
    remote.mkdir()
    env = cli_env(data, BACKUP_REMOTE=f"file://{remote}")
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created

    code, pushed = run_json("push-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, pushed

    shutil.rmtree(data / "backups" / str(created["backup_id"]))
    code, pulled = run_json("pull-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, pulled
    copy = data / "backups" / str(created["backup_id"]) / "storage"
    assert (copy / longest).read_text() == "a long name\n"
    code, verified = run_json("verify-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, verified


def test_a_file_name_with_a_newline_does_not_make_the_remote_backup_incomplete(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    (storage / "new\nline.txt").write_text("a newline inside\n")
    (storage / "ends\n").write_text("a newline at the end\n")
    remote = tmp_path / "remote"
    remote.mkdir()
    env = cli_env(data, BACKUP_REMOTE=f"file://{remote}")
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created
    code, pushed = run_json("push-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0, pushed

    code, listed = run_json("list-backups", "--remote", env=env, cwd=tmp_path)
    assert code == 0, listed
    assert [(b["valid"], b["problem"]) for b in listed] == [(True, None)]  # type: ignore[union-attr]
    shutil.rmtree(data / "backups" / str(created["backup_id"]))
    code, pulled = run_json("pull-backup", "--latest", env=env, cwd=tmp_path)
    assert code == 0 and pulled["pulled"] is True, pulled
    copy = data / "backups" / str(created["backup_id"]) / "storage"
    assert (copy / "new\nline.txt").read_text() == "a newline inside\n"
    assert (copy / "ends\n").read_text() == "a newline at the end\n"
