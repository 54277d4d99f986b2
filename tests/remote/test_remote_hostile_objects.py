"""A folder remote whose objects were replaced by endless or blocking files: pull and listing
stop at what the manifest allows, promptly, instead of filling the disk or hanging."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.remote.helpers import push_storage
from tests.support.cli import run_cli


def _pushed(tmp_path: Path) -> tuple[dict[str, str], Path, Path, str]:
    backup = push_storage(tmp_path, {"empty.txt": b"", "x.txt": b"x\n"})
    (base,) = backup.remote.glob(f"*/*/*/{backup.backup_id}")
    return backup.env, backup.data / "backups", base, backup.backup_id


def _nothing_staged(backups: Path) -> None:
    assert not [p.name for p in backups.iterdir() if p.name.startswith((".staging", "backup_"))]


def test_an_empty_object_replaced_by_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    env, backups, base, _ = _pushed(tmp_path)
    (base / "storage" / "empty.txt").unlink()
    (base / "storage" / "empty.txt").symlink_to("/dev/zero")

    done = run_cli("pull-backup", "--latest", "--json", env=env, cwd=tmp_path, timeout=60)

    assert done.returncode not in (0, 2), done.stdout
    assert "empty.txt" in json.loads(done.stdout)["error"]
    _nothing_staged(backups)


def test_an_empty_object_replaced_by_a_fifo_is_refused(tmp_path: Path) -> None:
    env, backups, base, _ = _pushed(tmp_path)
    (base / "storage" / "empty.txt").unlink()
    os.mkfifo(base / "storage" / "empty.txt")

    done = run_cli("pull-backup", "--latest", "--json", env=env, cwd=tmp_path, timeout=60)

    assert done.returncode not in (0, 2), done.stdout
    assert "empty.txt" in json.loads(done.stdout)["error"]
    _nothing_staged(backups)


def test_a_manifest_replaced_by_a_link_to_dev_zero_is_an_incomplete_backup(
    tmp_path: Path,
) -> None:
    env, _, base, backup_id = _pushed(tmp_path)
    (base / "manifest.json").unlink()
    (base / "manifest.json").symlink_to("/dev/zero")

    done = run_cli("list-backups", "--remote", "--json", env=env, cwd=tmp_path, timeout=60)

    listed = json.loads(done.stdout)
    assert [(b["backup_id"], b["valid"]) for b in listed] == [(backup_id, False)], listed


def test_a_remote_object_changed_in_place_is_damage_exit_4(tmp_path: Path) -> None:
    """Same size, other bytes: the download is retried (a proxy may mangle one response), then
    refused as a damaged off-site copy, with the exit code of damage."""
    env, backups, base, _ = _pushed(tmp_path)
    (base / "storage" / "x.txt").write_bytes(b"y\n")

    done = run_cli("pull-backup", "--latest", "--json", env=env, cwd=tmp_path, timeout=120)

    assert done.returncode == 4, done.stdout
    error = json.loads(done.stdout)["error"]
    assert "x.txt" in error and "does not match the manifest" in error
    _nothing_staged(backups)
