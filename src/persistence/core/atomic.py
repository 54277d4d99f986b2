"""Atomic replacement of small files (the run log, the lock holder, the listing cache...)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from pathlib import Path

from persistence.core.fsio import PRIVATE_FILE_MODE, fsync_dir, write_all

_ATOMIC_TEMP = re.compile(r"\..+\.tmp-([0-9]+)(?:-[0-9]+)?")
NAME_MAX = 255  # bytes in one file name (Linux, macOS)


def _stand_in(name: str) -> str:
    # For names too long to take the temp suffix: the same digest every time, so a killed
    # writer's temp is still found (atomic_temp_globs) and removed.
    return hashlib.sha256(os.fsencode(name)).hexdigest()[:32]


def atomic_temp_for(path: Path) -> Path:
    """Where write_atomic stages `path`: `.<name>.tmp-<pid>-<thread>`. Unique to the writing
    thread, so two threads of one process never share it; the pid lets a later run tell a
    killed writer's leftover from a live writer's file. A name too long for the suffix is
    replaced by a digest of it."""
    suffix = f".tmp-{os.getpid()}-{threading.get_native_id()}"
    temp = f".{path.name}{suffix}"
    if len(os.fsencode(temp)) > NAME_MAX:
        temp = f".{_stand_in(path.name)}{suffix}"
    return path.with_name(temp)


def atomic_temp_globs(path: Path) -> tuple[str, str]:
    """Glob patterns (in `path`'s folder) matching every write_atomic temp of `path`."""
    import glob  # only a push cleans temps: listings, which import this module, skip it

    return (f".{glob.escape(path.name)}.tmp-*", f".{_stand_in(path.name)}.tmp-*")


def atomic_temp_owner(name: str) -> int | None:
    """The pid in a write_atomic temp's name (older versions wrote `.<name>.tmp-<pid>`)."""
    found = _ATOMIC_TEMP.fullmatch(name)
    return int(found.group(1)) if found else None


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write `data` to `path` so that readers see the old or the new content, never a mix."""
    tmp = atomic_temp_for(path)
    # The temp name is guessable and may sit in a backup root a stranger can write (listings
    # write there): whatever is at it (a planted link, a hard link, a killed run's leftover) is
    # removed, never written through, and a new file is created exclusively.
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        try:
            write_all(fd, data, path)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except BaseException:
        # A full disk or a failed rename: the half-written temp goes too (no cleaner looks
        # in every folder written here, and a live process's temps are never judged stale).
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
