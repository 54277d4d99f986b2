"""copy_and_hash: the kernel copies where it can, this process where it cannot; the result is
the same bytes and the sha256 of what was stored either way."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from persistence.core.fsio import CHUNK_SIZE, copy_and_hash

SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 17]


def _copy_checked(source: Path, target: Path) -> None:
    data = source.read_bytes()
    seen: list[int] = []
    copied = copy_and_hash(source, target, on_chunk=seen.append)
    assert target.read_bytes() == data
    assert copied.size == len(data) == sum(seen)
    assert copied.sha256 == hashlib.sha256(data).hexdigest()
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("size", SIZES)
def test_a_copy_on_one_filesystem_is_byte_identical(tmp_path: Path, size: int) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(size))
    _copy_checked(source, tmp_path / "copy.bin")


@pytest.mark.parametrize("size", SIZES)
def test_a_copy_across_filesystems_goes_through_the_buffer(tmp_path: Path, size: int) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second filesystem at /dev/shm")
    source = shm / f"copy-test-{os.getpid()}-{size}.bin"
    source.write_bytes(os.urandom(size))
    try:
        _copy_checked(source, tmp_path / "copy.bin")
    finally:
        source.unlink()


def test_a_file_whose_bytes_the_kernel_does_not_hand_over_is_still_copied(
    tmp_path: Path,
) -> None:
    """procfs reports size 0 and copy_file_range copies nothing: the buffer reads it."""
    source = Path("/proc/self/mounts")
    if not source.exists():
        pytest.skip("no procfs")
    copied = copy_and_hash(source, tmp_path / "mounts")
    data = (tmp_path / "mounts").read_bytes()
    assert copied.size == len(data) > 0
    assert copied.sha256 == hashlib.sha256(data).hexdigest()


def test_an_existing_target_or_a_symlinked_source_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"x")
    (tmp_path / "taken").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        copy_and_hash(source, tmp_path / "taken")
    assert (tmp_path / "taken").read_bytes() == b"keep"
    (tmp_path / "link").symlink_to(source)
    with pytest.raises(OSError):
        copy_and_hash(tmp_path / "link", tmp_path / "via-link")
