"""Durable, private file operations shared by every component."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import shutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes

CHUNK_SIZE = 1024 * 1024
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_thread_buffers = threading.local()


@dataclass(frozen=True)
class CopiedFile:
    size: int
    sha256: str


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700 regardless of the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    path.chmod(PRIVATE_DIR_MODE)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NotRegularFile(OSError):
    """What should be a regular file is not (any more): a fifo, socket or device."""


def open_regular(source: Path) -> int:
    """A read-only descriptor of `source`, which must be a regular file: a final symlink is
    refused, and a fifo or device raises NotRegularFile at once instead of blocking."""
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile(
            errno.EINVAL, "not a regular file (fifo, socket or device)", str(source)
        )
    return fd


def copy_and_hash(
    source: Path, target: Path, on_chunk: Callable[[int], None] | None = None
) -> CopiedFile:
    """Copy one regular file; the size and sha256 returned are those of the copy.

    The kernel copies the bytes (copy_file_range: they never pass through this process, which
    took a fraction of the system time of read and write on our machines) and each chunk is
    hashed as read back from the copy, still in the page cache. So the hash is always that of
    the bytes stored, even when the source changes meanwhile. Where the kernel cannot copy
    between the two files (another filesystem on an older kernel, a filesystem without it),
    the bytes are read, hashed and written here, in one pass.

    Not fsynced here: one fsync per file serialises thousands of journal commits, so the
    whole staging tree is made durable at once by `sync_filesystem` before it is committed.

    The source is opened without following a final symlink, so a file swapped for a link
    between listing and copying is refused rather than followed; and without waiting, so one
    swapped for a fifo (or a device) raises NotRegularFile instead of blocking the run.
    """
    src_fd = open_regular(source)
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        dst_fd = os.open(target, flags, PRIVATE_FILE_MODE)
        try:
            copied = _copy_in_kernel(src_fd, dst_fd, target, on_chunk)
            return copied or _copy_through_buffer(src_fd, dst_fd, target, on_chunk)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)


# copy_file_range's ways of saying "not between these two files": the copy then goes through
# this process. Any other error is a real one (a full disk, an I/O error) and is raised.
_NO_KERNEL_COPY = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP})


def _copy_in_kernel(
    src_fd: int, dst_fd: int, target: Path, on_chunk: Callable[[int], None] | None
) -> CopiedFile | None:
    """None when the kernel copied nothing: unsupported here (macOS and Windows have no
    copy_file_range at all), an empty file, or one that has bytes it does not hand to
    copy_file_range (procfs-like); the buffered copy then reads."""
    if not hasattr(os, "copy_file_range"):
        return None
    digest = hashlib.sha256()
    view = memoryview(chunk_buffer())
    offset = 0
    while True:
        try:
            count = os.copy_file_range(src_fd, dst_fd, CHUNK_SIZE, offset, offset)
        except OSError as exc:
            if offset == 0 and exc.errno in _NO_KERNEL_COPY:
                return None
            # copy_file_range names no file (a full disk): say which copy failed, as write_all.
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        if count == 0:
            break
        _read_exactly(dst_fd, view[:count], offset)
        digest.update(view[:count])
        offset += count
        if on_chunk is not None:
            on_chunk(count)
    if offset == 0:
        return None
    return CopiedFile(size=offset, sha256=digest.hexdigest())


def _read_exactly(fd: int, into: memoryview, offset: int) -> None:
    done = 0
    while done < len(into):
        count = os.preadv(fd, [into[done:]], offset + done)
        if count == 0:
            raise OSError(errno.EIO, "the copy is shorter than what was written to it")
        done += count


def _copy_through_buffer(
    src_fd: int, dst_fd: int, target: Path, on_chunk: Callable[[int], None] | None
) -> CopiedFile:
    digest = hashlib.sha256()
    size = 0
    buffer = chunk_buffer()
    view = memoryview(buffer)
    while count := os.readv(src_fd, [buffer]):
        chunk = view[:count]
        digest.update(chunk)
        write_all(dst_fd, chunk, target)
        size += count
        if on_chunk is not None:
            on_chunk(count)
    return CopiedFile(size=size, sha256=digest.hexdigest())


def chunk_buffer() -> bytearray:
    """This thread's reusable CHUNK_SIZE read buffer.

    A fresh 1 MiB `bytes` per read is a fresh allocation the kernel must zero-fill: reading
    into one buffer per thread cut the sys time of copying a tree of large files several fold
    (benchmarks/space_and_time.py).
    """
    found: object = getattr(_thread_buffers, "chunk", None)
    if isinstance(found, bytearray):
        return found
    buffer = bytearray(CHUNK_SIZE)
    _thread_buffers.chunk = buffer
    return buffer


def write_all(fd: int, data: bytes | memoryview, target: Path) -> None:
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        # os.write names no file; the user needs to know which one could not be written.
        raise OSError(exc.errno, exc.strerror, str(target)) from exc


def hash_file(path: Path, on_chunk: Callable[[int], None] | None = None) -> CopiedFile:
    with path.open("rb", buffering=0) as handle:
        return _hash_stream(handle, on_chunk)


def hash_regular(path: Path) -> CopiedFile:
    """`hash_file` of what must be a regular file (see `open_regular`): no final link is
    followed, no fifo waited on."""
    with open(open_regular(path), "rb", buffering=0) as handle:
        return _hash_stream(handle, None)


def _hash_stream(handle: FileIO, on_chunk: Callable[[int], None] | None) -> CopiedFile:
    digest = hashlib.sha256()
    size = 0
    buffer = chunk_buffer()
    view = memoryview(buffer)
    while count := handle.readinto(buffer):
        digest.update(view[:count])
        size += count
        if on_chunk is not None:
            on_chunk(count)
    return CopiedFile(size=size, sha256=digest.hexdigest())


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every directory under `root` (files are fsynced as they are written)."""
    for current, _dirs, _files in os.walk(root):
        fsync_dir(Path(current))


@functools.cache
def _libc() -> ctypes.CDLL:
    # Loaded on first sync: commands that never write (listings) skip importing ctypes.
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def sync_filesystem(path: Path) -> None:
    """Flush every dirty page and inode of the filesystem holding `path` (syncfs(2)).

    Falls back to sync(2) where syncfs is missing; either way, once it returns, every file
    written below `path` is on disk.
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        syncfs = getattr(_libc(), "syncfs", None)
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def remove_any(path: Path) -> None:
    """Remove a tree (even where restored modes made a folder read-only for its owner), a
    file or a symlink; nothing there is fine."""

    def retry(func: Callable[..., object], failed: str, _exc: object) -> None:
        Path(failed).parent.chmod(stat.S_IRWXU)
        func(failed)

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=retry)
