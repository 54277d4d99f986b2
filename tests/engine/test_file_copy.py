"""copy_and_hash: the kernel copies where it can, this process where it cannot; the result is
the same bytes and the sha256 of what was stored either way."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from persistence.components.trees import _copy_file
from persistence.core.fsio import CHUNK_SIZE, NotRegularFile, copy_and_hash
from persistence.core.progress import ComponentProgress, ignore_progress
from persistence.core.walk import TreeEntry

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


def test_a_fifo_is_refused_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    """Opening a fifo for reading waits for a writer: a copy must refuse it, never hang."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            copy_and_hash(fifo, tmp_path / "copy")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "copy_and_hash blocked on a fifo"
    assert len(outcome) == 1 and isinstance(outcome[0], NotRegularFile)
    assert not (tmp_path / "copy").exists()


def test_a_tree_file_swapped_for_a_fifo_after_listing_is_skipped_with_a_warning(
    tmp_path: Path,
) -> None:
    source = tmp_path / "tree" / "queue.db"
    source.parent.mkdir()
    source.write_bytes(b"listed as a regular file")
    listed = TreeEntry("queue.db", str(source), source.lstat())
    source.unlink()
    os.mkfifo(source)  # what the app put there between listing and copying
    target = tmp_path / "staging"
    target.mkdir()
    progress = ComponentProgress("tree", ignore_progress, files_total=1)
    copied = _copy_file(listed, target, progress, threading.Event())
    assert copied.record is None
    assert copied.warnings == [f"{source} is not a regular file (fifo, socket or device): skipped"]
    assert list(target.iterdir()) == []
