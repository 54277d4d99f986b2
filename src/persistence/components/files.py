"""What every file-based kind (databases, trees, embedded Qdrant) shares.

Verify: presence, size and hash of every recorded file, and nothing extra. Restore: manifest
entries validated before any use, the live state compared with them, and files copied out of
the backup with their hash checked on the way (a backup changed after verification is caught
before it lands), staged beside the target so that the last step is a rename.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from persistence.components.base import PlanContext
from persistence.components.compressed import content_sha256, content_size
from persistence.components.db_fingerprint import DUCKDB_JOURNALS
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.core.codec import decompress_file
from persistence.core.errors import BackupError, ComponentError, VerificationError
from persistence.core.fsio import copy_and_hash, fsync_dir, hash_file, remove_any
from persistence.core.paths import is_within, join_inside, safe_relative
from persistence.core.progress import ComponentProgress, ProgressCallback
from persistence.core.walk import walk_tree
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord
from persistence.store.reuse import Identity

DEFAULT_ROOT_MODE = 0o700
SQLITE_JOURNALS = ("-wal", "-shm", "-journal")


def check_files(
    folder: Path, record: ComponentRecord, progress: ProgressCallback, *, strict_dirs: bool
) -> Findings:
    """Presence, size and hash of every recorded file, and no extra file.

    `strict_dirs`: the kind records every folder it copies (trees do; the others create
    folders they do not record), so an unrecorded folder is extra.
    """
    found = Findings()
    if record.status is not ComponentStatus.CAPTURED:
        if folder.exists() or folder.is_symlink():
            found.problems.append(f"{record.name} is {record.status.value} but has a folder")
        return found
    if folder.is_symlink() or not folder.is_dir():
        if record.files:
            found.problems.append(f"the folder {record.name}/ is missing or not a folder")
        return found
    _check_records(folder, record, found, progress, strict_dirs)
    return found


def _check_records(
    folder: Path,
    record: ComponentRecord,
    found: Findings,
    progress: ProgressCallback,
    strict_dirs: bool,
) -> None:
    regular = [f for f in record.files if f.kind == "file"]
    meter = ComponentProgress(
        record.name, progress, bytes_total=sum(f.size for f in regular), files_total=len(regular)
    )
    meter.start("verifying")
    seen: set[str] = set()
    not_dirs: set[str] = set()  # symlinks and files: nothing may be recorded below them
    for item in record.files:
        if item.path in seen:
            found.fail_file(item.path, "recorded twice in the manifest")
            continue
        seen.add(item.path)
        try:
            target = join_inside(folder, item.path)
        except BackupError as exc:
            found.fail_file(item.path, exc.message)
            continue
        ancestors = {"/".join(item.path.split("/")[:i]) for i in range(1, item.path.count("/") + 1)}
        if ancestors & not_dirs:
            found.fail_file(item.path, "recorded below a file or symlink")
            continue
        if item.kind != "dir":
            not_dirs.add(item.path)
        if item.kind == "symlink":
            if not item.link_target:
                found.fail_file(item.path, "symlink without a target in the manifest")
            continue  # symlinks live only in the manifest
        _check_one(target, item.path, item.kind, item.size, item.sha256, found, meter)
    meter.finish()
    _check_extras(folder, record, found, strict_dirs)


def _check_one(
    target: Path,
    relative: str,
    kind: str,
    size: int,
    sha256: str | None,
    found: Findings,
    meter: ComponentProgress,
) -> None:
    try:
        info = target.lstat()
    except FileNotFoundError:
        found.fail_file(relative, "missing")
        return
    if kind == "dir":
        if not stat.S_ISDIR(info.st_mode):
            found.fail_file(relative, "should be a folder")
        return
    if not stat.S_ISREG(info.st_mode):
        found.fail_file(relative, "is not a regular file")
        return
    if info.st_size != size:
        found.fail_file(relative, f"size {info.st_size} bytes, recorded {size}")
        return
    copied = hash_file(target, on_chunk=lambda n: meter.advance(bytes_done=n))
    meter.advance(files_done=1)
    found.files_checked += 1
    if copied.sha256 != sha256:
        found.fail_file(relative, "content differs from the recorded sha256")


def _check_extras(
    folder: Path, record: ComponentRecord, found: Findings, strict_dirs: bool
) -> None:
    recorded = {f.path for f in record.files if f.kind != "symlink"}
    parents = {"/".join(p.split("/")[:i]) for p in recorded for i in range(1, p.count("/") + 1)}
    for entry in walk_tree(folder):
        if entry.relative in recorded:
            continue
        if stat.S_ISDIR(entry.info.st_mode) and (entry.relative in parents or not strict_dirs):
            continue
        found.fail_file(entry.relative, "extra: not in the manifest")


def checked_files(record: ComponentRecord) -> list[FileRecord]:
    """The component's entries after validating every path; a bad one refuses the backup."""
    seen: set[str] = set()
    for item in record.files:
        try:
            safe_relative(item.path)
        except BackupError as exc:
            raise VerificationError(
                f"{record.name}: {exc.message}; refusing to restore from this manifest"
            ) from None
        if item.path in seen:
            raise VerificationError(f"{record.name}: {item.path!r} is recorded twice")
        seen.add(item.path)
    return sorted(record.files, key=lambda f: f.path)


def symlink_stays_inside(root: Path, relative: str, link_target: str) -> bool:
    """True when a symlink at `root/relative` pointing to `link_target` resolves inside root."""
    base = root.joinpath(*Path(relative).parts[:-1])
    resolved = Path(os.path.normpath(base / link_target))
    return is_within(resolved, root)


def current_tree(root: Path) -> dict[str, os.stat_result]:
    """Every entry below `root`, by POSIX relative path, symlinks not followed."""
    if not root.is_dir():
        return {}
    return {entry.relative: entry.info for entry in walk_tree(root)}


def same_as_recorded(root: Path, item: FileRecord, info: os.stat_result) -> bool:
    path = root.joinpath(*Path(item.path).parts)
    if item.kind == "symlink":
        return stat.S_ISLNK(info.st_mode) and str(path.readlink()) == item.link_target
    if item.kind == "dir":
        return stat.S_ISDIR(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or info.st_size != content_size(item):
        return False
    # Same inode, ctime, mtime and size as when the backup read it: not touched since, so no
    # need to read it (ctime cannot be set from user space). Anything else is hashed.
    if Identity.recorded(item) == Identity.of(info):
        return True
    return hash_file(path).sha256 == content_sha256(item)


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


def copy_checked(
    source_root: Path, item: FileRecord, target: Path, meter: ComponentProgress
) -> int:
    """Copy one recorded file out of the backup, refusing bytes that differ from the manifest."""
    source = join_inside(source_root, item.path)

    def on_chunk(done: int) -> None:
        meter.advance(bytes_done=done)

    if item.codec is None:
        copied = copy_and_hash(source, target, on_chunk=on_chunk)
        expected = (item.size, item.sha256)
    else:  # decompressed on the fly, checked against the original's size and hash
        copied = decompress_file(source, target, on_chunk=on_chunk)
        expected = (item.original_size, item.original_sha256)
    if (copied.size, copied.sha256) != expected:
        target.unlink()
        raise ComponentError(
            f"{meter.component}: {item.path} in the backup no longer matches its manifest "
            "(changed after verification?); nothing of this component was replaced"
        )
    target.chmod(item.mode & FILE_MODE_MASK)
    if item.mtime_ns is not None:
        os.utime(target, ns=(item.mtime_ns, item.mtime_ns))
    else:
        os.utime(target, (item.mtime, item.mtime))
    meter.advance(files_done=1)
    return copied.size


def place_symlink(root: Path, item: FileRecord, warnings: list[str]) -> None:
    target = item.link_target or ""
    if not target or "\x00" in target or not symlink_stays_inside(root, item.path, target):
        warnings.append(f"symlink {item.path} -> {target} leads outside the tree: not restored")
        return
    link = join_inside(root, item.path)
    link.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    link.symlink_to(target)
    os.utime(link, (item.mtime, item.mtime), follow_symlinks=False)


def removable_sidecars(target: Path) -> list[Path]:
    """Every database journal beside `target`, whatever the kind of the file."""
    found = [target.with_name(target.name + s) for s in (*SQLITE_JOURNALS, *DUCKDB_JOURNALS)]
    return [p for p in found if p.exists() or p.is_symlink()]


def plan_uncaptured(
    name: str, record: ComponentRecord | None, target: Path, ctx: PlanContext
) -> ComponentPlan | None:
    """The plan of a file component the backup did not capture; None when it did."""
    if record is not None and record.status is ComponentStatus.CAPTURED:
        return None
    if (
        record is not None
        and record.status is ComponentStatus.ABSENT
        and ctx.undoes_a_restore
        and not ctx.if_empty
    ):
        return plan_removal(name, target)
    status = record.status.value if record is not None else "not recorded"
    reason = f"not in this backup ({status}): left as is"
    return ComponentPlan(name=name, action="leave", reason=reason)


def remove_absent(step: ComponentPlan) -> ComponentRestoreResult:
    """Apply a removal planned by `plan_removal`."""
    assert step.target is not None
    target = Path(step.target)
    remove_target(target, removable_sidecars(target))
    result = ComponentRestoreResult(name=step.name, ok=True, action=step.action)
    result.files_removed = len(step.files_removed)
    return result


def plan_removal(name: str, target: Path) -> ComponentPlan:
    """An undo copy recorded this component as absent: the restore it undoes created it."""
    plan = ComponentPlan(name=name, action="leave", target=str(target))
    if not (target.exists() or target.is_symlink()):
        plan.reason = "absent before the restore it undoes, and absent now"
        return plan
    plan.action = "restore"
    plan.reason = "absent before the restore it undoes: removed"
    if target.is_dir() and not target.is_symlink():
        now = current_tree(target)
        plan.files_removed = sorted(now)
        plan.current_bytes = sum(i.st_size for i in now.values() if stat.S_ISREG(i.st_mode))
    else:
        plan.files_removed = [target.name, *(p.name for p in removable_sidecars(target))]
        plan.current_bytes = target.lstat().st_size
    return plan


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
