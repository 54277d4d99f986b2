"""Run a push or a remote prune in this process and SIGKILL it at a chosen point.

usage: die_midway.py push BACKUP_DIR BACKUP_ID REMOTE FILES_DONE|bytes
       die_midway.py prune REMOTE KEEP_LAST NTH_DELETE
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from persistence.core.progress import ProgressEvent, ProgressStage
from persistence.offsite.prune import prune_remote
from persistence.offsite.push import push_backup
from persistence.remote.base import Remote
from persistence.remote.target import open_remote, parse_remote
from persistence.retention.policy import RetentionPolicy
from persistence.store.catalog import find_backup


def _remote(url: str) -> Remote:
    target = parse_remote(url)
    assert target is not None
    return open_remote(target)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def push(backup_dir: str, backup_id: str, url: str, point: str) -> None:
    backup = find_backup(Path(backup_dir), backup_id, latest=False)

    def progress(event: ProgressEvent) -> None:
        if event.stage is not ProgressStage.COMPONENT_ADVANCED:
            return
        if point == "bytes" and event.bytes_done > 0:
            _die()
        if point != "bytes" and event.files_done >= int(point):
            _die()

    push_backup(_remote(url), backup, progress)


class DyingRemote:
    """The real remote, killed on its nth delete."""

    def __init__(self, inner: Remote, nth: int) -> None:
        self._inner = inner
        self._left = nth

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def delete(self, key: str) -> None:
        self._left -= 1
        if self._left <= 0:
            _die()
        self._inner.delete(key)


def prune(url: str, keep_last: str, nth: str) -> None:
    remote = DyingRemote(_remote(url), int(nth))
    prune_remote(remote, RetentionPolicy(keep_last=int(keep_last)), dry_run=False)  # type: ignore[arg-type]


if __name__ == "__main__":
    if sys.argv[1] == "push":
        push(*sys.argv[2:6])
    else:
        prune(*sys.argv[2:5])
    sys.exit(3)  # reaching here means the kill point was never hit
