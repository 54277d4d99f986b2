"""Restore some or all files of a backup somewhere, without touching anything else.

`--target DIR`: the backup's folders (`DIR/<component>/...`) are written into an empty or new
DIR; nothing outside it is touched, no undo copy is needed (nothing is overwritten), and Qdrant
is skipped unless a prefix is given, when each collection is recovered as `<prefix><name>`
(a collection of that name must not exist yet).

`--path` without a target: the selected files of file trees are put back where the CURRENT
settings keep them, but only files that are missing: a file that exists with other content is
left alone and reported (get the backup's version with --target), so no undo copy is needed.

Every file is checked against its recorded hash as it is copied; a mismatch removes the
written copy and fails the run (exit 4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from persistence.browse.listing import matches, normalized_filter
from persistence.components.compressed import content_sha256, content_size
from persistence.components.files import symlink_stays_inside
from persistence.components.names import DATABASE_COMPONENTS, QDRANT_COMPONENT
from persistence.components.registry import source_of
from persistence.core.codec import ZSTD_SUFFIX, decompress_file
from persistence.core.errors import ConfigError, VerificationError
from persistence.core.fsio import (
    NotRegularFile,
    copy_and_hash,
    hash_file,
    hash_regular,
    make_private_dir,
)
from persistence.core.paths import SafePaths, is_within, join_inside
from persistence.core.settings import BackupSettings
from persistence.restore.extract_models import FileRestoreResult
from persistence.restore.extract_qdrant import recover_with_prefix
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentStatus, FileRecord


@dataclass(frozen=True)
class Request:
    target: Path | None  # None: in place
    filters: list[str]
    qdrant_prefix: str | None
    dry_run: bool


def check_target(target: Path, paths: SafePaths) -> Path:
    """The real target folder: new or empty, not in the backup root, not in the app's data."""
    real = Path(os.path.realpath(target))
    if real.exists() and (not real.is_dir() or any(real.iterdir())):
        raise ConfigError(
            f"--target {target} must be a new or empty folder: nothing is overwritten"
        )
    if is_within(real, paths.backup_dir) or is_within(paths.backup_dir, real):
        raise ConfigError(f"--target {target} overlaps the backup root {paths.backup_dir}")
    sources = [
        paths.storage_dir,
        paths.uploads_dir,
        paths.logs_dir,
        paths.cache_db,
        paths.analytics_db,
    ]
    for source in sources:
        if is_within(real, source) or is_within(source, real):
            raise ConfigError(f"--target {target} overlaps the app's data at {source}")
    return real


def restore_files(
    settings: BackupSettings, paths: SafePaths, backup: CompleteBackup, request: Request
) -> FileRestoreResult:
    filters = [f for f in (normalized_filter(p) for p in request.filters) if f is not None]
    if len(filters) < len(request.filters):  # '', '.' or '/': an unset variable, most likely
        raise ConfigError("--path '' names no file: name COMPONENT/PATH, or leave --path out")
    _every_filter_matched(backup, filters)  # before anything is written
    target = check_target(request.target, paths) if request.target is not None else None
    result = FileRestoreResult(
        ok=True,
        backup_id=backup.backup_id,
        target=str(target) if target else None,
        paths=filters,
        dry_run=request.dry_run,
    )
    selected = 0
    damaged: list[str] = []  # the other files are still restored; the run fails (exit 4)
    for record in backup.manifest.components:
        if record.status is not ComponentStatus.CAPTURED or record.name == QDRANT_COMPONENT:
            continue
        chosen = [f for f in record.files if _wanted(_names(record.name, f), filters)]
        selected += len(chosen)
        if chosen and target is None and record.name in DATABASE_COMPONENTS:
            raise ConfigError(
                f"{record.name} is a database: restore it whole (--only {record.name}), "
                "or into another folder with --target"
            )
        root = _destination(target, paths, record.name)
        for entry in chosen:
            if not _one(backup, record.name, entry, root, request, result):
                damaged.append(f"{record.name}/{entry.path}")
    selected += _qdrant(settings, backup, target, request, filters, result)
    if filters and not selected:
        raise ConfigError(
            f"nothing in {backup.backup_id} matches {', '.join(filters)}; see ls-backup"
        )
    if damaged:
        _fail_for_damage(result, damaged, backup.backup_id)
    return result


def _fail_for_damage(result: FileRestoreResult, damaged: list[str], backup_id: str) -> None:
    """The other files are restored (or would be); the run fails as a damaged backup does."""
    others = len(result.written)
    result.ok = False
    result.exit_code = int(VerificationError.exit_code)
    result.error = f"{', '.join(damaged)} in {backup_id} does not match its recorded hash: " + (
        f"it would not be restored ({others} other files would be)"
        if result.dry_run
        else f"not restored ({others} other files were)"
    )


def _every_filter_matched(backup: CompleteBackup, filters: list[str]) -> None:
    known = [
        name for r in backup.manifest.components for f in r.files for name in _names(r.name, f)
    ]
    known += [
        f"{QDRANT_COMPONENT}/{c.name}"
        for r in backup.manifest.components
        if r.qdrant is not None
        for c in r.qdrant.collections
    ]
    for wanted in filters:
        if not any(matches(path, wanted) for path in known):
            raise ConfigError(f"nothing in {backup.backup_id} matches {wanted}; see ls-backup")


def _names(component: str, entry: FileRecord) -> list[str]:
    """What `--path` may call an entry: its name in the backup and, for a compressed copy, the
    name it is restored under (`cache_db/cache.db` as well as `cache_db/cache.db.zst`)."""
    stored = f"{component}/{entry.path}"
    if entry.codec is None:
        return [stored]
    return [stored, stored.removesuffix(ZSTD_SUFFIX)]


def _wanted(names: list[str], filters: list[str]) -> bool:
    return not filters or any(matches(name, f) for name in names for f in filters)


def _destination(target: Path | None, paths: SafePaths, component: str) -> Path:
    if target is not None:
        return target / component
    return source_of(paths, component)


def _one(
    backup: CompleteBackup,
    component: str,
    entry: FileRecord,
    root: Path,
    request: Request,
    result: FileRestoreResult,
) -> bool:
    """Restore one entry; False when the backup's copy fails its hash (no copy is left)."""
    # A compressed database copy is written as what it decompresses to, under its own name.
    written_path = entry.path.removesuffix(ZSTD_SUFFIX) if entry.codec is not None else entry.path
    size, sha256 = content_size(entry), content_sha256(entry)
    shown = f"{component}/{written_path}"
    blocker = _not_a_folder(root, entry)
    if blocker is not None:
        _left_alone_for_a_blocker(f"{component}/{blocker}", result)
        return True
    destination = join_inside(root, written_path)
    if entry.kind == "dir":
        if not request.dry_run:
            make_private_dir(destination)
        return True
    link = entry.link_target or ""
    if entry.kind == "symlink" and not symlink_stays_inside(root, entry.path, link):
        result.warnings.append(f"symlink {shown} -> {link} leads outside {root}: not restored")
        return True
    if os.path.lexists(destination):
        _compare_existing(destination, entry, shown, sha256, result)
        return True
    source = join_inside(backup.path / component, entry.path)
    if request.dry_run:
        # The preview refuses a damaged copy as the restore would (exit 4), without writing.
        if entry.kind == "file" and not _stored_copy_intact(source, entry):
            return False
        result.written.append(shown)
        result.bytes_written += size
        return True
    make_private_dir(destination.parent)
    if entry.kind == "symlink":
        destination.symlink_to(link)
        result.written.append(shown)
        return True
    return _copy_checked(source, entry, destination, shown, result)


def _left_alone_for_a_blocker(blocked: str, result: FileRestoreResult) -> None:
    """Something of another kind stands where the backup has a folder: it is left alone
    (never replaced, never written or chmod'ed through when it is a link)."""
    if blocked not in result.conflicts:
        result.conflicts.append(blocked)
        result.warnings.append(
            f"{blocked} exists as something other than a folder and was left alone; "
            "get the backup's version with --target"
        )


def _compare_existing(
    destination: Path, entry: FileRecord, shown: str, sha256: str | None, result: FileRestoreResult
) -> None:
    same = entry.kind == "file" and destination.is_file() and not destination.is_symlink()
    if same and hash_file(destination).sha256 == sha256:
        result.unchanged.append(shown)
        return
    result.conflicts.append(shown)
    result.warnings.append(
        f"{shown} exists with other content and was left alone; "
        "get the backup's version with --target"
    )


def _stored_copy_intact(source: Path, entry: FileRecord) -> bool:
    try:
        stored = hash_regular(source)
    except OSError:  # missing, a link, a fifo: damage like a wrong hash
        return False
    return (stored.size, stored.sha256) == (entry.size, entry.sha256)


def _copy_checked(
    source: Path, entry: FileRecord, destination: Path, shown: str, result: FileRestoreResult
) -> bool:
    """Copy (or decompress) one file; False, with no copy left, when it fails its hash."""
    try:
        if entry.codec is not None:
            copied = decompress_file(source, destination)
        else:
            copied = copy_and_hash(source, destination)
    except NotRegularFile:  # a fifo or device in the backup in a file's place: damage
        destination.unlink(missing_ok=True)
        return False
    if copied.sha256 != content_sha256(entry):
        destination.unlink()
        return False
    destination.chmod(entry.mode & 0o7777)
    os.utime(destination, (entry.mtime, entry.mtime))
    result.written.append(shown)
    result.bytes_written += content_size(entry)
    return True


def _not_a_folder(root: Path, entry: FileRecord) -> str | None:
    """The first of the entry's folders (itself, when it is one) that exists in the live tree
    as something other than a real folder (a file, a symlink), or None."""
    parts = entry.path.split("/")
    folders = parts if entry.kind == "dir" else parts[:-1]
    for depth in range(1, len(folders) + 1):
        relative = "/".join(folders[:depth])
        path = root.joinpath(*folders[:depth])
        if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
            return relative
    return None


def _qdrant(
    settings: BackupSettings,
    backup: CompleteBackup,
    target: Path | None,
    request: Request,
    filters: list[str],
    result: FileRestoreResult,
) -> int:
    record = backup.manifest.component(QDRANT_COMPONENT)
    if record is None or record.qdrant is None or record.qdrant.mode != "server":
        return 0
    wanted = [
        c for c in record.qdrant.collections if _wanted([f"{QDRANT_COMPONENT}/{c.name}"], filters)
    ]
    if not wanted:
        return 0
    if target is None:
        raise ConfigError("Qdrant collections are restored with --target and --qdrant-prefix")
    if request.qdrant_prefix is None:
        result.warnings.append(
            "Qdrant skipped: pass --qdrant-prefix P to recover each collection as P<name>"
        )
        return len(wanted)
    recovered = recover_with_prefix(
        settings, backup.path / QDRANT_COMPONENT, wanted, request.qdrant_prefix, request.dry_run
    )
    result.collections.extend(recovered.collections)
    result.warnings.extend(recovered.warnings)
    return len(wanted)
