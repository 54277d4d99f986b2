"""Restoring a file tree: the plan (what differs from the backup) and the patch.

A restore writes only the files that differ from the backup into the existing tree and removes
what the backup does not hold; `--if-empty` writes only what is missing.
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
from persistence.core.fsio import fsync_file, remove_any, sync_filesystem
from persistence.core.paths import SafePaths, is_within, join_inside
from persistence.core.progress import ComponentProgress
from persistence.core.walk import utf8_name
from persistence.store.manifest import ComponentRecord, FileRecord


def _never_recorded(now: dict[str, os.stat_result]) -> set[str]:
    """Live entries no backup can hold (a name that is not UTF-8: create skips it) and the
    folders above them: removing "what the backup does not hold" must not delete them."""
    kept: set[str] = set()
    for path in now:
        if not utf8_name(path):
            kept.add(path)
            parts = path.split("/")
            kept.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return kept


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
        if info is None and if_empty and _under_a_non_folder(now, item.path):
            # --if-empty never replaces what is present, not even a file where a folder was.
            plan.warnings.append(f"{item.path} not restored: its folder is not a folder now")
            continue
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
        kept = _never_recorded(now)
        plan.files_removed = sorted(p for p in now if p not in recorded and p not in kept)
        unnamed = [p for p in now if not utf8_name(p)]
        if unnamed:
            plan.warnings.append(
                f"{len(unnamed)} entries whose names are not UTF-8 (no backup holds them) "
                "left alone"
            )
    changed = plan.files_written or plan.files_replaced or plan.files_removed
    if changed:
        plan.action = "restore-missing" if if_empty else "restore"
    else:
        plan.reason = "nothing missing" if if_empty else "already identical to the backup"
    # Only the files that differ are written (each staged beside itself, then renamed).
    plan.bytes_changed = plan.bytes_staged = plan.bytes_to_write
    return plan


def _under_a_non_folder(now: dict[str, os.stat_result], relative: str) -> bool:
    parts = relative.split("/")
    for depth in range(1, len(parts)):
        info = now.get("/".join(parts[:depth]))
        if info is not None and not stat.S_ISDIR(info.st_mode):
            return True
    return False


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


def patch_tree(
    source_root: Path,
    entries: list[FileRecord],
    plan: ComponentPlan,
    target: Path,
    meter: ComponentProgress,
) -> Applied:
    """Write only what the plan found different, remove what the backup does not hold, and
    leave every unchanged file alone (not read, not rewritten, not undo-copied).

    Each written file is staged beside its place and renamed over it, so no file is ever seen
    half-written; a crash midway leaves some files restored and others not (the pre-restore
    copy holds the state before, and running the restore again finishes it).
    """
    target.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    for relative in sorted(plan.files_removed, key=lambda p: p.count("/"), reverse=True):
        remove_any(join_inside(target, relative))
    folders = {e.path for e in entries if e.kind == "dir"}
    changed = {*plan.files_written, *plan.files_replaced} - folders
    not_files = {e.path for e in entries if e.kind != "file"}
    for relative in plan.files_replaced:
        path = join_inside(target, relative)
        if path.is_symlink() or path.is_dir() or relative in not_files:
            remove_any(path)  # an entry of another kind than the one the backup has there
    for item in entries:
        if item.kind == "dir":
            join_inside(target, item.path).mkdir(
                parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE
            )
    applied = restore_missing(source_root, entries, changed, target, meter)
    for item in sorted(
        (e for e in entries if e.kind == "dir"), key=lambda e: e.path.count("/"), reverse=True
    ):
        folder = join_inside(target, item.path)
        folder.chmod(item.mode & DIR_MODE_MASK)
        os.utime(folder, (item.mtime, item.mtime))
    sync_filesystem(target)
    # The plan already skipped symlinks that would lead outside the tree: say so here too.
    return Applied(applied.files, applied.bytes, [*plan.warnings, *applied.warnings])
