"""A folder remote through the real CLI with names a local backup takes."""

from __future__ import annotations

from pathlib import Path

from tests.remote.helpers import push_storage
from tests.restore.support import cli_env
from tests.support.cli import run_json


def test_a_file_name_of_255_bytes_is_pushed_and_pulled_back(tmp_path: Path) -> None:
    longest = "n" * 255  # the longest name a file may have: create-backup takes it
    files = {longest: b"a long name\n", "m" * 240: b"too long for the object's temp name\n"}
    backup = push_storage(tmp_path, files)

    code, pulled = run_json("pull-backup", "--latest", env=backup.env, cwd=tmp_path)
    assert code == 0, pulled
    assert (backup.local / "storage" / longest).read_text() == "a long name\n"
    code, verified = run_json("verify-backup", "--latest", env=backup.env, cwd=tmp_path)
    assert code == 0, verified


def test_a_file_name_with_a_newline_does_not_make_the_remote_backup_incomplete(
    tmp_path: Path,
) -> None:
    files = {"new\nline.txt": b"a newline inside\n", "ends\n": b"a newline at the end\n"}
    backup = push_storage(tmp_path, files)

    code, listed = run_json("list-backups", "--remote", env=backup.env, cwd=tmp_path)
    assert code == 0, listed
    assert [(b["valid"], b["problem"]) for b in listed] == [(True, None)]  # type: ignore[union-attr]
    code, pulled = run_json("pull-backup", "--latest", env=backup.env, cwd=tmp_path)
    assert code == 0 and pulled["pulled"] is True, pulled
    copy = backup.local / "storage"
    assert (copy / "new\nline.txt").read_text() == "a newline inside\n"
    assert (copy / "ends\n").read_text() == "a newline at the end\n"


def test_a_remote_folder_that_vanishes_mid_push_is_never_recreated(tmp_path: Path) -> None:
    """A disk unmounted mid-push (udisks removes /media/<user>/<disk>): the push must fail,
    not recreate the folder and go on filling the system disk."""
    import subprocess
    import sys
    import time

    from tests.support.cli import BACKUP_SCRIPT

    data = tmp_path / "data"
    storage = data / "storage"
    storage.mkdir(parents=True)
    for i in range(3000):
        (storage / f"f{i:05}.txt").write_text(f"file {i}\n")
    remote = tmp_path / "remote"
    remote.mkdir()
    env = cli_env(data, BACKUP_REMOTE=f"file://{remote}")
    code, created = run_json("create-backup", "--no-prune", env=env, cwd=tmp_path)
    assert code == 0, created

    push = subprocess.Popen(
        [sys.executable, str(BACKUP_SCRIPT), "push-backup", "--latest", "--json"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(remote.glob("*/*/*/*/storage/f*"))) < 20 and push.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert push.poll() is None, "the push ended before the folder could vanish"
    remote.rename(tmp_path / "unmounted")
    out, err = push.communicate(timeout=120)

    assert push.returncode == 1, out
    assert not remote.exists(), "the push recreated the vanished remote folder"
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_a_folder_remote_gone_between_two_objects_is_not_recreated(tmp_path: Path) -> None:
    """The same between two objects, where no write is in flight to notice it."""
    import hashlib

    import pytest

    from persistence.remote.base import RemoteError
    from persistence.remote.folder import FolderRemote

    remote = tmp_path / "remote"
    remote.mkdir()
    folder = FolderRemote(remote)
    folder.put_bytes("2026/11/30/b1/storage/a", b"a", sha256=hashlib.sha256(b"a").hexdigest())
    remote.rename(tmp_path / "unmounted")

    with pytest.raises(RemoteError, match="vanished"):
        folder.put_bytes("2026/11/30/b1/storage/b", b"b", sha256=hashlib.sha256(b"b").hexdigest())
    assert not remote.exists()
