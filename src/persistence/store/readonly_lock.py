"""The backup lock on a backup root this process cannot write (a read-only mounted disk).

flock(2) needs no write access: an existing lock file opened read-only is locked exactly like
the read-write one the writers hold, so a verify here still waits for a writer that reaches
the same disk through a writable mount. Without a lock file (nothing ever wrote there), there
is nothing a writer could hold either, and the run goes on without the lock and says so.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from persistence.core.errors import LockBusyError

_POLL_SECONDS = 0.05


def backup_root_writable(backup_dir: Path) -> bool:
    """False on a read-only filesystem or a folder this user may not write."""
    return os.access(backup_dir, os.W_OK | os.X_OK)


@contextmanager
def read_only_lock(lock_path: Path, timeout: float) -> Generator[bool, None, None]:
    """Hold the lock through a read-only descriptor; yields False when there is no lock file."""
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        yield False
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    raise LockBusyError(
                        f"another backup run holds the lock on {lock_path.parent}; waited "
                        f"{timeout:g}s: try again when it finishes, or raise BACKUP_LOCK_TIMEOUT"
                    ) from None
                time.sleep(_POLL_SECONDS)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the flock
