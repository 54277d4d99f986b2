"""One lock per backup root, shared by create, prune, restore and the panel.

filelock uses flock(2): the kernel drops the lock when its holder dies, even by SIGKILL,
so a killed run never blocks the next one. The holder file only says who holds it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import BaseModel, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.errors import LockBusyError

LOCK_NAME = ".backup.lock"
HOLDER_NAME = ".backup.lock.holder.json"


class LockHolder(BaseModel):
    pid: int
    host: str
    operation: str
    since: datetime

    def describe(self) -> str:
        since = f"{self.since:%Y-%m-%d %H:%M:%S} UTC"
        return f"pid {self.pid} on {self.host}, {self.operation}, since {since}"


def _read_holder(backup_dir: Path) -> LockHolder | None:
    try:
        return LockHolder.model_validate_json((backup_dir / HOLDER_NAME).read_bytes())
    except (OSError, ValidationError):
        return None


@contextmanager
def backup_lock(
    backup_dir: Path, operation: str, timeout: float
) -> Generator[LockHolder, None, None]:
    """Hold the backup root's lock for the block; wait up to `timeout` seconds for it."""
    lock = FileLock(backup_dir / LOCK_NAME, timeout=timeout, thread_local=False, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(backup_dir)
        who = holder.describe() if holder else "holder unknown"
        raise LockBusyError(
            f"another backup run holds the lock ({who}); waited {timeout:g}s: "
            "try again when it finishes, or raise BACKUP_LOCK_TIMEOUT"
        ) from None
    me = LockHolder(
        pid=os.getpid(), host=socket.gethostname(), operation=operation, since=datetime.now(UTC)
    )
    try:
        write_atomic(backup_dir / HOLDER_NAME, me.model_dump_json().encode())
        yield me
    finally:
        lock.release()


def current_holder(backup_dir: Path) -> LockHolder | None:
    """Who holds the lock right now, or None when it is free (checked without waiting)."""
    if not (backup_dir / LOCK_NAME).exists():
        return None
    lock = FileLock(backup_dir / LOCK_NAME, timeout=0, thread_local=False, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        return _read_holder(backup_dir) or LockHolder(
            pid=0, host="unknown", operation="unknown", since=datetime.now(UTC)
        )
    lock.release()
    return None
