"""disk_bytes' dedup by the folder listing's inode numbers (d_ino) on a FUSE mount.

FUSE filesystems of libfuse's high-level API without `use_ino` (sshfs) list every entry with
the same d_ino (FUSE_UNKNOWN_INO): counting by it took all files for one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence import service
from persistence.store.catalog import scan_listed
from persistence.store.footprint import FOOTPRINT_CACHE_NAME, disk_bytes, root_footprint
from persistence.store.inode_maps import INODE_MAPS_NAME
from persistence.store.sealed import MANIFEST_NAME
from tests.conftest import AppState

SFTP_SERVERS = [Path("/usr/lib/openssh/sftp-server"), Path("/usr/lib/sftp-server")]


@pytest.fixture
def sshfs_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a real folder, the same folder through sshfs) with sftp-server as the 'ssh' command."""
    server = next((p for p in SFTP_SERVERS if p.exists()), None)
    if shutil.which("sshfs") is None or server is None or not Path("/dev/fuse").exists():
        pytest.skip("needs sshfs, sftp-server and /dev/fuse")
    real, view = tmp_path / "real", tmp_path / "view"
    real.mkdir()
    view.mkdir()
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text(f"#!/bin/sh\nexec {server}\n")
    fake_ssh.chmod(0o700)
    mounted = subprocess.run(
        ["sshfs", "-o", f"ssh_command={fake_ssh}", f"localhost:{real}", str(view)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    if mounted.returncode != 0:
        pytest.skip(f"sshfs cannot mount here: {mounted.stderr!r}")
    try:
        yield real, view
    finally:
        subprocess.run(["fusermount3", "-u", str(view)], capture_output=True, check=False)
        subprocess.run(["fusermount", "-u", str(view)], capture_output=True, check=False)


def test_a_backup_root_on_sshfs_counts_every_file(sshfs_view: tuple[Path, Path]) -> None:
    real, view = sshfs_view
    (real / "backup_1").mkdir()
    for name, size in (("a", 1000), ("b", 2000), ("c", 4000)):
        (real / "backup_1" / name).write_bytes(b"x" * size)
    assert disk_bytes(real) == 7000
    assert disk_bytes(view) == 7000


def test_listing_totals_on_sshfs_count_every_file_and_remember_nothing(
    sshfs_view: tuple[Path, Path],
) -> None:
    real, view = sshfs_view
    (real / "backup_1").mkdir()
    for name, size in (("a", 1000), ("b", 2000), ("c", 4000)):
        (real / "backup_1" / name).write_bytes(b"x" * size)
    for _ in range(2):
        counted = root_footprint(view, {"backup_1": "0" * 64})
        assert counted.disk_bytes == 7000 and counted.unique_bytes == {"backup_1": 7000}
    assert not (real / INODE_MAPS_NAME).exists()
    assert not (real / FOOTPRINT_CACHE_NAME).exists()


def test_a_manifest_changed_through_sshfs_is_read_again_by_the_listing(
    sshfs_view: tuple[Path, Path], app_state: AppState
) -> None:
    """sshfs reports a file's ctime as its mtime (SFTP has no ctime), which anyone who may write
    the file can set back: a same-length change with its mtime restored kept the listing's
    remembered stat signature, and the changed manifest was listed as valid."""
    real, view = sshfs_view
    for _ in range(2):
        assert service.create_backup(app_state.settings, prune=False).ok
    shutil.copytree(app_state.backup_dir, real, symlinks=True, dirs_exist_ok=True)
    first = sorted(p.name for p in real.iterdir() if p.name.startswith("backup_"))[0]
    assert first in {b.backup_id for b in scan_listed(view).complete}
    manifest = view / first / MANIFEST_NAME
    info = manifest.stat()
    manifest.chmod(0o600)
    data = bytearray(manifest.read_bytes())
    data[data.index(b'"size": ') + 8] ^= 1  # one digit changed, same length
    with manifest.open("r+b") as changed:
        changed.write(bytes(data))
    os.utime(manifest, ns=(info.st_atime_ns, info.st_mtime_ns))
    scan = scan_listed(view)
    assert first not in {b.backup_id for b in scan.complete}
    assert any("does not match its recorded hash" in b.problem for b in scan.broken)
