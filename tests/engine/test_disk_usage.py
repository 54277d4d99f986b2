"""The disk totals of the backup root survive what a real backup disk holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence.store.footprint import disk_bytes, unshared_bytes

NOBODY = 65534


@pytest.fixture
def open_root() -> Iterator[Path]:
    """A backup root any user may read, like a mounted backup disk (pytest's own temp folders
    are private to root, so another user could not reach anything under them)."""
    root = Path(tempfile.mkdtemp(prefix="usage-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_folder_the_user_cannot_read_is_skipped_not_fatal(open_root: Path) -> None:
    """A dedicated backup disk has a root-only `lost+found`: list-backups and status walk the
    root for its real size and must not fail on it (they did with the first scandir walker)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a folder another user cannot read")
    backup = open_root / "backup_20261130T000000_000000Z"
    backup.mkdir(mode=0o755)
    (backup / "f").write_bytes(b"abc")
    (backup / "f").chmod(0o644)
    hidden = open_root / "lost+found"
    hidden.mkdir(mode=0o700)
    (hidden / "orphan").write_bytes(b"x" * 100)
    probe = (
        "import os, sys\n"
        "from persistence.store.footprint import disk_bytes, unshared_bytes\n"
        f"os.setgid({NOBODY}); os.setuid({NOBODY})\n"
        "print(disk_bytes(sys.argv[1]), unshared_bytes(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(open_root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "3"]  # lost+found skipped, the backup counted
    assert disk_bytes(open_root) == 103  # root reads it all: the skip is about permission


def test_a_file_shared_by_two_backups_counts_once_on_disk(open_root: Path) -> None:
    first = open_root / "backup_a"
    second = open_root / "backup_b"
    first.mkdir()
    second.mkdir()
    (first / "shared").write_bytes(b"s" * 10)
    os.link(first / "shared", second / "shared")
    (second / "own").write_bytes(b"o" * 5)
    assert disk_bytes(open_root) == 15
    assert unshared_bytes(first) == 0 and unshared_bytes(second) == 5
