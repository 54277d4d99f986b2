"""Path safety: every place the tool reads or writes must lie inside the allowed roots.

Checked before anything is written, so a bad setting costs nothing but an error line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from persistence.core.errors import ConfigError, PathSafetyError
from persistence.core.settings import BackupSettings, ResolvedPaths


@dataclass(frozen=True)
class SafePaths:
    """Resolved, checked locations for one run (symlinks along the way already resolved)."""

    data_dir: Path
    backup_dir: Path
    cache_db: Path
    storage_dir: Path
    uploads_dir: Path
    analytics_db: Path
    logs_dir: Path
    include_logs: bool
    qdrant_path: Path | None
    qdrant_snapshot_dir: Path | None
    allowed_roots: tuple[Path, ...]


def is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _checked(label: str, given: Path, roots: tuple[Path, ...]) -> Path:
    real = Path(os.path.realpath(given))
    if any(is_within(real, root) for root in roots):
        return real
    allowed = ", ".join(str(r) for r in roots)
    if given.is_symlink() or real != given.absolute():
        reason = f"{given} resolves to {real} (through '..' or a symlink)"
    else:
        reason = f"{given} is"
    raise PathSafetyError(
        f"{label}: {reason} outside the data root ({allowed}); "
        "move it inside, or allow its folder with BACKUP_ALLOWED_ROOTS"
    )


def check_paths(
    settings: BackupSettings,
    resolved: ResolvedPaths | None = None,
    *,
    data_root_must_exist: bool = True,
) -> SafePaths:
    """Resolve and check every configured path; raise PathSafetyError on the first problem.

    `data_root_must_exist=False` for what only writes into a folder it was explicitly given
    (the start-up snapshot into QDRANT_SNAPSHOT_DIR): the app may not have made its data yet.
    """
    paths = resolved or settings.resolved()
    # Only a data root someone named must exist: a typo must not yield an empty "complete"
    # backup. The embedded default (./data, nothing set) is where a fresh install starts.
    named = "data_dir" in settings.model_fields_set
    check_data_root(paths.data_dir, must_exist=data_root_must_exist and named)
    roots = tuple(Path(os.path.realpath(root)) for root in paths.allowed_roots)
    safe = SafePaths(
        data_dir=roots[0],
        backup_dir=_checked("BACKUP_DIR", paths.backup_dir, roots),
        cache_db=_checked("BACKUP_CACHE_DB", paths.cache_db, roots),
        storage_dir=_checked("BACKUP_STORAGE_DIR", paths.storage_dir, roots),
        uploads_dir=_checked("BACKUP_UPLOADS_DIR", paths.uploads_dir, roots),
        analytics_db=_checked("BACKUP_ANALYTICS_DB", paths.analytics_db, roots),
        logs_dir=_checked("BACKUP_LOGS_DIR", paths.logs_dir, roots),
        include_logs=settings.include_logs,
        qdrant_path=(
            _checked("QDRANT_PATH", paths.qdrant_path, roots) if paths.qdrant_path else None
        ),
        qdrant_snapshot_dir=(
            _checked("QDRANT_SNAPSHOT_DIR", paths.qdrant_snapshot_dir, roots)
            if paths.qdrant_snapshot_dir
            else None
        ),
        allowed_roots=roots,
    )
    _check_no_overlap(safe)
    return safe


def check_data_root(given: Path, *, must_exist: bool = True) -> None:
    """The data root must be an existing folder, and never `/`: every default path hangs off
    it, so a typo or an unset mount would otherwise yield a new empty tree and "complete"
    backups of nothing (or `/backups` on the system disk)."""
    real = Path(os.path.realpath(given))
    if real == Path(real.anchor):
        raise ConfigError(
            f"BACKUP_DATA_DIR {given} is the filesystem root; point BACKUP_DATA_DIR (or "
            "--data-dir) at the app's data folder"
        )
    if not real.exists():
        if not must_exist:
            return
        raise ConfigError(
            f"BACKUP_DATA_DIR {given} does not exist; point BACKUP_DATA_DIR (or --data-dir) at "
            "the app's data folder, create it, or run sample-data to try the tool"
        )
    if not real.is_dir():
        raise ConfigError(
            f"BACKUP_DATA_DIR {given} is not a folder; point BACKUP_DATA_DIR (or --data-dir) at "
            "the app's data folder"
        )


def _check_no_overlap(safe: SafePaths) -> None:
    trees = {
        "BACKUP_STORAGE_DIR": safe.storage_dir,
        "BACKUP_UPLOADS_DIR": safe.uploads_dir,
    }
    if safe.include_logs:
        trees["BACKUP_LOGS_DIR"] = safe.logs_dir
    if safe.qdrant_path is not None:
        trees["QDRANT_PATH"] = safe.qdrant_path
    for label, tree in trees.items():
        if is_within(safe.backup_dir, tree):
            raise PathSafetyError(
                f"BACKUP_DIR {safe.backup_dir} lies inside {label} {tree}: every backup would "
                "copy the earlier ones; put the backup root elsewhere"
            )
        if is_within(tree, safe.backup_dir):
            raise PathSafetyError(
                f"{label} {tree} lies inside the backup root {safe.backup_dir}; "
                "keep sources and backups apart"
            )
    _check_sources_apart(
        trees, {"BACKUP_CACHE_DB": safe.cache_db, "BACKUP_ANALYTICS_DB": safe.analytics_db}
    )
    if safe.backup_dir == safe.data_dir:
        raise PathSafetyError(
            f"BACKUP_DIR {safe.backup_dir} is the data root itself; use a folder inside it"
        )


def _check_sources_apart(trees: dict[str, Path], databases: dict[str, Path]) -> None:
    """No source inside another: a restore swaps whole trees and would take the inner one along,
    and a live database inside a tree would be copied as a plain, inconsistent file."""
    labels = list(trees)
    for index, outer in enumerate(labels):
        for inner in labels[index + 1 :]:
            if is_within(trees[inner], trees[outer]) or is_within(trees[outer], trees[inner]):
                raise PathSafetyError(
                    f"{inner} {trees[inner]} and {outer} {trees[outer]} overlap; "
                    "every tree must be a separate folder"
                )
    for db_label, database in databases.items():
        for tree_label, tree in trees.items():
            if is_within(database, tree):
                raise PathSafetyError(
                    f"{db_label} {database} lies inside {tree_label} {tree}: it would be copied "
                    "as a plain file while the app writes it; keep databases outside the trees"
                )


def safe_relative(path: str) -> PurePosixPath:
    """Validate a relative path read from a manifest: no absolute paths, no '..', no NUL."""
    return PurePosixPath(*safe_parts(path))


def safe_parts(path: str) -> list[str]:
    """The names of a relative path read from a manifest, checked as `safe_relative` says.

    Plain string checks (no PurePosixPath per entry): a backup of thousands of files checks
    every one of them. Refused: empty, absolute, NUL or backslash, and any empty, "." or ".."
    name (so "a//b", "a/./b" and "a/" too: a path the tool never writes).
    """
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise PathSafetyError(f"unsafe path in manifest: {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise PathSafetyError(f"unsafe path in manifest: {path!r}")
    return parts


def join_inside(root: Path, relative: str) -> Path:
    """`root / relative` after checking that no symlink on the way leads outside `root`."""
    target = root.joinpath(*safe_relative(relative).parts)
    parent_real = Path(os.path.realpath(target.parent))
    if not is_within(parent_real, Path(os.path.realpath(root))):
        raise PathSafetyError(f"{relative!r} would be written outside {root} (through a symlink)")
    return target


class InsideRoot:
    """`join_inside` for many entries below one root: each folder's symlink check (a realpath)
    is done once, not once per file (thousands of files share a few folders)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_str = str(root)
        self._checked: set[str] = set()  # relative folders whose realpath was checked

    def join(self, relative: str) -> Path:
        return Path(self.join_str(relative))

    def join_str(self, relative: str) -> str:
        """`join` as a string (no Path per file on the linking path of a big tree)."""
        safe_parts(relative)
        folder = relative.rpartition("/")[0]
        if folder not in self._checked:
            join_inside(self.root, relative)
            self._checked.add(folder)
        return f"{self._root_str}/{relative}"  # relative is checked: no '/' ahead, no '..'
