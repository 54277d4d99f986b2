"""Embedded Qdrant (qdrant-client local mode): copy its folder while holding the client's lock.

Local mode has no snapshot API. qdrant-client takes an exclusive, non-blocking portalocker
(flock) lock on `<path>/.lock` for as long as a client is open, and writes only while it holds
it. Taking the very same lock therefore guarantees that no writer runs during the copy, and
that a running app is detected instead of copied half-written.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from persistence.core.errors import QdrantError
from persistence.core.fsio import copy_and_hash, fsync_tree, make_private_dir, sync_filesystem
from persistence.core.walk import walk_tree
from persistence.store.manifest import FileRecord

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class EmbeddedCopy:
    files: list[FileRecord]
    bytes: int
    warnings: list[str] = field(default_factory=lambda: [])


@contextmanager
def client_lock(folder: Path) -> Generator[None]:
    """Hold qdrant-client's own lock on `folder`; fail at once if an app holds it."""
    # Imported here, as qdrant-client does: portalocker probes for writable folders on import.
    import portalocker

    lock_path = folder / LOCK_NAME
    try:
        if not lock_path.exists():
            # Same content qdrant-client writes when it creates the lock file itself.
            lock_path.write_text("tmp lock file", encoding="utf-8")
        handle = lock_path.open("r+", encoding="utf-8")
    except OSError as exc:
        raise QdrantError(
            f"cannot open the embedded Qdrant lock {lock_path}: {exc.strerror}"
        ) from None
    try:
        try:
            portalocker.lock(
                handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
            )
        except portalocker.exceptions.LockException:
            raise QdrantError(
                f"embedded Qdrant folder {folder} is in use: another process (the app?) holds "
                "qdrant-client's lock on it; stop the app or point it at a Qdrant server, then "
                "retry"
            ) from None
        try:
            yield
        finally:
            portalocker.unlock(handle)
    finally:
        handle.close()


def copy_embedded(
    source: Path, target_dir: Path, on_chunk: Callable[[int], None] | None = None
) -> EmbeddedCopy:
    """Copy the local-mode folder `source` into `target_dir` under the client's lock."""
    make_private_dir(target_dir)
    with client_lock(source):
        try:
            return _copy_tree(source, target_dir, on_chunk)
        except OSError as exc:
            raise QdrantError(
                f"cannot copy embedded Qdrant folder {source}: {exc.strerror} "
                f"({exc.filename or source})"
            ) from None


def _copy_tree(
    source: Path, target_dir: Path, on_chunk: Callable[[int], None] | None
) -> EmbeddedCopy:
    files: list[FileRecord] = []
    warnings: list[str] = []
    total = 0
    for entry in walk_tree(source):
        if entry.relative == LOCK_NAME:
            continue  # the lock is the app's runtime state, not data
        if stat.S_ISDIR(entry.info.st_mode):
            make_private_dir(target_dir / entry.relative)
            continue
        if not stat.S_ISREG(entry.info.st_mode):
            warnings.append(f"skipped {entry.relative}: not a regular file")
            continue
        copied = copy_and_hash(entry.path, target_dir / entry.relative, on_chunk)
        total += copied.size
        files.append(
            FileRecord(
                path=entry.relative,
                size=copied.size,
                sha256=copied.sha256,
                mtime=entry.info.st_mtime,
            )
        )
    fsync_tree(target_dir)
    return EmbeddedCopy(files=files, bytes=total, warnings=warnings)


def restore_embedded(backup_dir: Path, target: Path) -> EmbeddedCopy:
    """Put a copied local-mode folder back at `target`, replacing what is there.

    Runs under the client's lock so no app writes meanwhile (an app holding it makes this fail
    with a message saying so). Everything in `target` but the lock file is replaced.
    """
    make_private_dir(target)
    with client_lock(target):
        try:
            for entry in sorted(target.iterdir()):
                if entry.name == LOCK_NAME:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            restored = _copy_tree(backup_dir, target, None)
            # copy_and_hash leaves file data to one filesystem-wide sync (see fsio); no run
            # commit follows a restore, so do it here, before the lock is released.
            sync_filesystem(target)
            return restored
        except OSError as exc:
            raise QdrantError(
                f"cannot restore embedded Qdrant folder {target}: {exc.strerror} "
                f"({exc.filename or target})"
            ) from None
