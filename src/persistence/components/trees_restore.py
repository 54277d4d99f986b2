"""Restoring a file tree: the plan (what differs from the backup) and the swap.

A full restore rebuilds the whole tree beside the target and swaps it in with two renames;
`--if-empty` writes only what is missing into the existing tree.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from persistence.components.files import (
    DEFAULT_ROOT_MODE,
    DIR_MODE_MASK,
    Applied,
    checked_files,
    copy_checked,
    current_tree,
    place_symlink,
    same_as_recorded,
    symlink_stays_inside,
)
from persistence.components.models import ComponentPlan
from persistence.core.fsio import fsync_dir, fsync_file, fsync_tree, remove_any, sync_filesystem
from persistence.core.paths import SafePaths, is_within, join_inside
from persistence.core.progress import ComponentProgress
from persistence.store.manifest import ComponentRecord, FileRecord


def plan_tree(record: ComponentRecord, target: Path, *, if_empty: bool) -> ComponentPlan:
    files = checked_files(record)
    now = current_tree(target)
    plan = ComponentPlan(name=record.name, action="leave", target=str(target))
    recorded = {f.path for f in files}
    for item in files:
        link = item.link_target or ""
        if item.kind == "symlink" and (
            not link or "\x00" in link or not symlink_stays_inside(target, item.path, link)
        ):
            plan.warnings.append(
                f"symlink {item.path} -> {item.link_target} leads outside {target}: not restored"
            )
            continue
        info = now.get(item.path)
        size = item.size if item.kind == "file" else 0
        if info is None:
            if item.kind != "dir":
                plan.files_written.append(item.path)
                plan.bytes_to_write += size
        elif if_empty or same_as_recorded(target, item, info):
            # --if-empty never rewrites a present file, so it need not read it either.
            plan.files_unchanged += item.kind != "dir"
        else:
            plan.files_replaced.append(item.path)
            plan.bytes_to_write += size
        plan.bytes_staged += size
    plan.current_bytes = sum(i.st_size for i in now.values() if stat.S_ISREG(i.st_mode))
    if not if_empty:
        plan.files_removed = sorted(p for p in now if p not in recorded)
    changed = plan.files_written or plan.files_replaced or plan.files_removed
    if changed:
        plan.action = "restore-missing" if if_empty else "restore"
    else:
        plan.reason = "nothing missing" if if_empty else "already identical to the backup"
    if if_empty:
        plan.bytes_staged = plan.bytes_to_write
    return plan


def overlap_problem(paths: SafePaths, tree: Path) -> str | None:
    """check_paths skips a tree that is not backed up (BACKUP_INCLUDE_LOGS=false); a restore
    that replaces it (from a backup that kept it), and the undo copy of it, need the rule."""
    logs = tree
    others = [paths.backup_dir, paths.storage_dir, paths.uploads_dir]
    others += [paths.cache_db, paths.analytics_db, *filter(None, [paths.qdrant_path])]
    for other in others:
        if is_within(other, logs) or is_within(logs, other):
            return (
                f"BACKUP_LOGS_DIR {logs} overlaps {other}: the logs tree cannot be replaced "
                "as a whole; point BACKUP_LOGS_DIR at its own folder, or leave out logs"
            )
    return None


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
        written += copy_checked(source_root, item, target, meter)
        files += 1
    for item in entries:
        if item.kind == "symlink":
            place_symlink(staging, item, warnings)
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
            place_symlink(target, item, warnings)
            continue
        final = join_inside(target, item.path)
        final.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
        part = final.with_name(f".{final.name}.restore-{os.getpid()}")
        part.unlink(missing_ok=True)
        try:
            written += copy_checked(source_root, item, part, meter)
            fsync_file(part)
            part.rename(final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        files += 1
    return Applied(files, written, warnings)
