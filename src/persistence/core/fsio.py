"""Durable, private file operations shared by every component."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 1024 * 1024
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_thread_buffers = threading.local()


@dataclass(frozen=True)
class TreeEntry:
    relative: str  # POSIX path below the walked root
    path: Path
    info: os.stat_result  # lstat: a symlink is itself, never its target


def walk_tree(root: Path, vanished: list[Path] | None = None) -> list[TreeEntry]:
    """Every entry below `root`, sorted by relative path; symlinks are listed, never followed.

    An entry deleted while it is being listed is left out and, if `vanished` is given,
    reported there: a live app may delete files under us.
    """
    entries: list[TreeEntry] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as listing:
            for item in listing:
                path = Path(item.path)
                try:
                    info = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    if vanished is not None:
                        vanished.append(path)
                    continue
                entries.append(TreeEntry(path.relative_to(root).as_posix(), path, info))
                if stat.S_ISDIR(info.st_mode):
                    stack.append(path)
    entries.sort(key=lambda e: e.relative)
    return entries


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


def copy_and_hash(
    source: Path, target: Path, on_chunk: Callable[[int], None] | None = None
) -> CopiedFile:
    """Copy one regular file in a single read pass, hashing as it goes.

    Not fsynced here: one fsync per file serialises thousands of journal commits, so the
    whole staging tree is made durable at once by `sync_filesystem` before it is committed.

    The source is opened without following a final symlink, so a file swapped for a link
    between listing and copying is refused rather than followed.
    """
    digest = hashlib.sha256()
    size = 0
    src_fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        dst_fd = os.open(target, flags, PRIVATE_FILE_MODE)
        try:
            buffer = chunk_buffer()
            view = memoryview(buffer)
            while count := os.readv(src_fd, [buffer]):
                chunk = view[:count]
                digest.update(chunk)
                write_all(dst_fd, chunk, target)
                size += count
                if on_chunk is not None:
                    on_chunk(count)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)
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
    digest = hashlib.sha256()
    size = 0
    buffer = chunk_buffer()
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
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


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write `data` to `path` so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    fsync_dir(path.parent)


def fsync_tree(root: Path) -> None:
    """fsync every directory under `root` (files are fsynced as they are written)."""
    for current, _dirs, _files in os.walk(root):
        fsync_dir(Path(current))


_LIBC = ctypes.CDLL(None, use_errno=True)


def sync_filesystem(path: Path) -> None:
    """Flush every dirty page and inode of the filesystem holding `path` (syncfs(2)).

    Falls back to sync(2) where syncfs is missing; either way, once it returns, every file
    written below `path` is on disk.
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        syncfs = getattr(_LIBC, "syncfs", None)
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
