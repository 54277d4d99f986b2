"""A real small filesystem filled up (issue 13): failures are one line, nothing half-written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harden.support import one_line
from tests.support.cli import run_cli

IMAGE_MIB = 40


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def _use_up_inodes(mount: Path) -> None:
    """Create empty files until the filesystem has no inode left."""
    folder = mount / "inode-filler"
    folder.mkdir()
    for index in range(100_000):
        try:
            (folder / str(index)).touch()
        except OSError:
            return
    raise AssertionError("the filesystem never ran out of inodes")


def _fill_to(mount: Path, leave_bytes: int) -> None:
    """Take all free space but `leave_bytes` with one allocated (not sparse) file."""
    filler = mount / "filler"
    size = _free_bytes(mount) - leave_bytes
    if size > 0:
        subprocess.run(["fallocate", "-l", str(size), str(filler)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 40 MiB ext4 filesystem on a loop device, mounted for this test only."""
    if os.geteuid() != 0:
        pytest.skip("a loop mount needs root")
    if shutil.which("mkfs.ext4") is None or shutil.which("fallocate") is None:
        pytest.skip("mkfs.ext4 or fallocate missing (Debian: e2fsprogs, util-linux)")
    image = tmp_path / "disk.img"
    with image.open("wb") as handle:
        handle.truncate(IMAGE_MIB * 1024 * 1024)
    # Few inodes, so a test can also run out of them (ENOSPC with bytes to spare).
    subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "256", str(image)], check=True)
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-o", "loop", str(image), str(mount)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"this machine allows no loop mount: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "QDRANT_"))}
    env["BACKUP_DATA_DIR"] = str(data)
    env.update(extra)
    return env


def test_full_backup_disk_fails_in_one_line_and_keeps_earlier_backups(small_disk: Path) -> None:
    data = small_disk / "data"
    env = _env(data)
    assert run_cli("sample-data", "--large-file-mib", "8", env=env).returncode == 0
    first = run_cli("create-backup", "--json", env=env)
    assert first.returncode == 0, first.stderr
    first_id = json.loads(first.stdout)["backup_id"]
    _fill_to(small_disk, 2 * 1024 * 1024)
    # --full: an incremental run would hard-link the unchanged files and need no room at all.
    proc = run_cli("create-backup", "--json", "--full", env=env)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ok"] is False and "no room" in result["error"]
    line = one_line(proc.stderr)  # also: no second line about the run log
    assert "no room" in line and "BACKUP_DIR" in line and "Traceback" not in line
    assert not [p for p in (data / "backups").iterdir() if p.name.startswith(".staging-")]
    listed = json.loads(run_cli("list-backups", "--json", env=env).stdout)
    assert [(row["backup_id"], row["valid"]) for row in listed] == [(first_id, True)]
    assert run_cli("verify-backup", first_id, env=env).returncode == 0


def test_full_data_disk_during_restore_is_one_line_naming_the_right_remedy(
    small_disk: Path, tmp_path: Path
) -> None:
    data = small_disk / "data"
    elsewhere = tmp_path / "backups"  # the backup root has room; the data disk has none
    env = _env(data, BACKUP_DIR=str(elsewhere), BACKUP_ALLOWED_ROOTS=str(elsewhere))
    assert run_cli("sample-data", "--large-file-mib", "8", env=env).returncode == 0
    assert run_cli("create-backup", "--no-prune", env=env).returncode == 0
    changed = data / "uploads" / "empty.txt"
    changed.write_text("changed after the backup")
    # Bytes to spare (the restore's own free-space check passes), but no inode for a new file:
    # the restore meets ENOSPC while it rebuilds the tree beside the live one.
    _use_up_inodes(small_disk)
    proc = run_cli("restore-backup", "--latest", "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    line = one_line(proc.stderr)
    assert "no room" in line and "uploads: uploads:" not in line
    assert "move BACKUP_DIR" not in line, line
    assert changed.read_text() == "changed after the backup"  # the live tree is untouched
    again = run_cli("verify-backup", "--latest", env=env)  # the next run cleans up
    assert again.returncode == 0, again.stderr
    assert not [p for p in data.rglob("*") if ".restore-" in p.name]
