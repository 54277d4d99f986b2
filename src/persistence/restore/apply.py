"""Putting files and databases back: staged beside the target, then renamed into position.

The staging place is a sibling of the target, so it is on the same filesystem and the final
step is a rename. Every byte copied out of the backup is hashed again on the way and compared
with the manifest, so a backup changed after verification is caught before it lands.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from persistence.components.databases import DatabaseKind
from persistence.core.codec import decompress_file
from persistence.core.errors import ComponentError
from persistence.core.fsio import (
    copy_and_hash,
    fsync_dir,
    fsync_file,
    fsync_tree,
    remove_any,
    sync_filesystem,
)
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress
from persistence.restore.plan import db_sidecars, kind_of_copy, symlink_stays_inside
from persistence.store.manifest import FileRecord

DEFAULT_ROOT_MODE = 0o700


@dataclass(frozen=True)
class Applied:
    """What one component's restore wrote (and, for a database, which journals it removed)."""

    files: int
    bytes: int
    warnings: list[str] = field(default_factory=lambda: [])
    removed: list[str] = field(default_factory=lambda: [])


# Permission bits only (and the sticky bit on folders): a manifest never makes a restored
# file setuid or setgid, whoever edited it.
FILE_MODE_MASK = 0o777
DIR_MODE_MASK = 0o1777


def _copy_checked(
    source_root: Path, item: FileRecord, target: Path, meter: ComponentProgress
) -> int:
    """Copy one recorded file out of the backup, refusing bytes that differ from the manifest."""
    source = join_inside(source_root, item.path)
    on_chunk: Callable[[int], None] = lambda n: meter.advance(bytes_done=n)  # noqa: E731
    if item.codec is None:
        copied = copy_and_hash(source, target, on_chunk=on_chunk)
        expected = (item.size, item.sha256)
    else:
        copied = decompress_file(source, target, on_chunk=on_chunk)
        expected = (item.original_size, item.original_sha256)
    if (copied.size, copied.sha256) != expected:
        target.unlink()
        raise ComponentError(
            f"{meter.component}: {item.path} in the backup no longer matches its manifest "
            "(changed after verification?); nothing of this component was replaced"
        )
    target.chmod(item.mode & FILE_MODE_MASK)
    os.utime(target, (item.mtime, item.mtime))
    meter.advance(files_done=1)
    return copied.size


def _place_symlink(root: Path, item: FileRecord, warnings: list[str]) -> None:
    target = item.link_target or ""
    if not target or "\x00" in target or not symlink_stays_inside(root, item.path, target):
        warnings.append(f"symlink {item.path} -> {target} leads outside the tree: not restored")
        return
    link = join_inside(root, item.path)
    link.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    link.symlink_to(target)
    os.utime(link, (item.mtime, item.mtime), follow_symlinks=False)


def _build_tree(
    source_root: Path, entries: list[FileRecord], staging: Path, meter: ComponentProgress
) -> Applied:
    """Files and folders first, symlinks last: nothing is ever written through a link."""
    warnings: list[str] = []
    files = written = 0
    dirs = [e for e in entries if e.kind == "dir"]
    for item in dirs:
        join_inside(staging, item.path).mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    for item in entries:
        if item.kind != "file":
            continue
        target = join_inside(staging, item.path)
        target.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
        written += _copy_checked(source_root, item, target, meter)
        files += 1
    for item in entries:
        if item.kind == "symlink":
            _place_symlink(staging, item, warnings)
    # Deepest folders first, so a restored read-only mode never blocks a later write.
    for item in sorted(dirs, key=lambda e: e.path.count("/"), reverse=True):
        folder = join_inside(staging, item.path)
        folder.chmod(item.mode & DIR_MODE_MASK)
        os.utime(folder, (item.mtime, item.mtime))
    return Applied(files, written, warnings)


def restore_tree(
    source_root: Path, entries: list[FileRecord], target: Path, meter: ComponentProgress
) -> Applied:
    """Rebuild the whole tree beside `target`, then swap it in with two renames."""
    pid = os.getpid()
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    staging = parent / f".restore-{target.name}-{pid}"
    old = parent / f".restore-old-{target.name}-{pid}"
    remove_any(staging)
    remove_any(old)
    root_mode = stat.S_IMODE(target.stat().st_mode) if target.is_dir() else DEFAULT_ROOT_MODE
    staging.mkdir(mode=DEFAULT_ROOT_MODE)
    try:
        result = _build_tree(source_root, entries, staging, meter)
        staging.chmod(root_mode)
        # copy_and_hash leaves file data unsynced; the swap must not expose unwritten files.
        sync_filesystem(staging)
        fsync_tree(staging)
        if target.exists() or target.is_symlink():
            target.rename(old)
        staging.rename(target)
        fsync_dir(parent)
    except BaseException:
        remove_any(staging)
        if old.exists() and not target.exists():
            old.rename(target)  # put the current state back: never leave the target missing
        raise
    remove_any(old)
    return result


def restore_missing(
    source_root: Path,
    entries: list[FileRecord],
    missing: set[str],
    target: Path,
    meter: ComponentProgress,
) -> Applied:
    """Write only the missing files and symlinks into the existing tree (--if-empty)."""
    warnings: list[str] = []
    files = written = 0
    target.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    for item in entries:
        if item.path not in missing:
            continue
        if item.kind == "symlink":
            _place_symlink(target, item, warnings)
            continue
        final = join_inside(target, item.path)
        final.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
        part = final.with_name(f".{final.name}.restore-{os.getpid()}")
        part.unlink(missing_ok=True)
        try:
            written += _copy_checked(source_root, item, part, meter)
            fsync_file(part)
            part.rename(final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        files += 1
    return Applied(files, written, warnings)


def restore_database(
    source_root: Path, item: FileRecord, target: Path, meter: ComponentProgress
) -> Applied:
    """Stage the copy beside the live file, rename it into place, then drop stale journals.

    The stale `-wal`/`-shm`/`-journal` (SQLite) or `.wal` (DuckDB) of the old database must
    not survive: replayed onto the restored file they would corrupt it. They are removed only
    AFTER the rename, because every moment before it the live file is still the old database
    and they are its journals: a crash between unlinking them and the rename would leave the
    old database without its committed-but-not-checkpointed transactions (rolled back to its
    last checkpoint, or torn if a checkpoint was under way), silently. In this order a crash
    before the rename leaves the live database and its journals untouched (plus a
    `.<name>.restore-<pid>` that recovery removes). A crash after the rename and before the
    unlinks leaves the restored file beside the old journals: harmless until something opens
    it, and nothing should (a restore runs with the app stopped; the backup lock keeps our
    own runs out); the restore then reports no success, and running it again removes them.
    Either way the old database is in the pre-restore copy taken before anything was touched.
    """
    target.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    part = target.with_name(f".{target.name}.restore-{os.getpid()}")
    part.unlink(missing_ok=True)
    removed: list[str] = []
    try:
        size = _copy_checked(source_root, item, part, meter)
        kind = kind_of_copy(part) if size else DatabaseKind.EMPTY
        fsync_file(part)
        part.rename(target)
        for sidecar in db_sidecars(target, kind):
            if sidecar.exists() or sidecar.is_symlink():
                sidecar.unlink()
                removed.append(sidecar.name)
        fsync_dir(target.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Applied(1, size, removed=removed)


def remove_target(target: Path, sidecars: list[Path]) -> None:
    """Remove a component that an undo says did not exist: a tree is renamed aside first."""
    if target.is_dir() and not target.is_symlink():
        aside = target.parent / f".restore-old-{target.name}-{os.getpid()}"
        remove_any(aside)
        target.rename(aside)
        fsync_dir(target.parent)
        remove_any(aside)
    else:
        target.unlink(missing_ok=True)
        for sidecar in sidecars:
            sidecar.unlink(missing_ok=True)
    fsync_dir(target.parent)
