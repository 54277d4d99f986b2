"""The restore plan: what would be written, replaced and removed, and whether it fits.

Building a plan only reads: the data root, the backup and (for Qdrant) the server's lists.
Targets always come from the CURRENT settings; the manifest's `source` is never used, and every
manifest path is validated before it is compared with anything.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from persistence.components.databases import DatabaseKind, detect_kind
from persistence.components.names import (
    DATABASE_COMPONENTS,
    FILE_COMPONENTS,
    KNOWN_COMPONENTS,
    QDRANT_COMPONENT,
)
from persistence.components.registry import source_of
from persistence.core.errors import BackupError, ConfigError, VerificationError
from persistence.core.fsio import hash_file, walk_tree
from persistence.core.paths import SafePaths, is_within, safe_relative
from persistence.core.settings import BackupSettings
from persistence.restore.models import ComponentPlan, RestorePlan, SpaceCheck
from persistence.restore.qdrant_restore import plan_qdrant
from persistence.store.catalog import PRE_RESTORE_PREFIX, CompleteBackup
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord

SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
DUCKDB_SIDECARS = (".wal",)


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


def _same(root: Path, item: FileRecord, info: os.stat_result) -> bool:
    path = root.joinpath(*Path(item.path).parts)
    if item.kind == "symlink":
        return stat.S_ISLNK(info.st_mode) and str(path.readlink()) == item.link_target
    if item.kind == "dir":
        return stat.S_ISDIR(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or info.st_size != item.size:
        return False
    return hash_file(path).sha256 == item.sha256


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
        elif if_empty or _same(target, item, info):
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


def db_sidecars(target: Path, kind: DatabaseKind | None) -> list[Path]:
    """The journals beside `target` for a database of `kind`; every kind's when not known."""
    if kind is DatabaseKind.SQLITE:
        suffixes = SQLITE_SIDECARS
    elif kind is DatabaseKind.DUCKDB:
        suffixes = DUCKDB_SIDECARS
    else:  # empty, or an unknown header (a raw undo copy): no journal of the old file may stay
        suffixes = (*SQLITE_SIDECARS, *DUCKDB_SIDECARS)
    return [target.with_name(target.name + suffix) for suffix in suffixes]


def kind_of_copy(path: Path) -> DatabaseKind | None:
    """The kind of a database copy; None for an unknown header (a raw undo copy)."""
    try:
        return detect_kind(path)
    except BackupError:
        return None


def plan_database(
    record: ComponentRecord, backup_file: Path, target: Path, *, if_empty: bool
) -> ComponentPlan:
    files = checked_files(record)
    plan = ComponentPlan(name=record.name, action="leave", target=str(target))
    if len(files) != 1 or files[0].kind != "file" or "/" in files[0].path:
        plan.problems.append("a database component must hold exactly one file")
        return plan
    item = files[0]
    exists = target.exists() or target.is_symlink()
    if exists and if_empty:
        plan.reason = "the database exists"
        return plan
    if exists and target.is_file() and hash_file(target).sha256 == item.sha256:
        plan.reason = "already identical to the backup"
        return plan
    plan.action = "restore-missing" if if_empty else "restore"
    (plan.files_replaced if exists else plan.files_written).append(target.name)
    plan.bytes_to_write = plan.bytes_staged = item.size
    plan.current_bytes = target.stat().st_size if exists and target.is_file() else 0
    try:
        kind = kind_of_copy(backup_file)
    except OSError:
        kind = None
    plan.files_removed = [p.name for p in db_sidecars(target, kind) if p.exists()]
    return plan


def removable_sidecars(target: Path) -> list[Path]:
    suffixes = (*SQLITE_SIDECARS, *DUCKDB_SIDECARS)
    found = [target.with_name(target.name + suffix) for suffix in suffixes]
    return [p for p in found if p.exists() or p.is_symlink()]


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


def _logs_overlap(paths: SafePaths) -> str | None:
    """check_paths skips the logs folder when BACKUP_INCLUDE_LOGS=false; a restore that
    replaces it (from a backup that kept logs), and the undo copy of it, need the same rule."""
    logs = paths.logs_dir
    others = [paths.backup_dir, paths.storage_dir, paths.uploads_dir]
    others += [paths.cache_db, paths.analytics_db, *filter(None, [paths.qdrant_path])]
    for other in others:
        if is_within(other, logs) or is_within(logs, other):
            return (
                f"BACKUP_LOGS_DIR {logs} overlaps {other}: the logs tree cannot be replaced "
                "as a whole; point BACKUP_LOGS_DIR at its own folder, or leave out logs"
            )
    return None


def _plan_component(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    name: str,
    *,
    if_empty: bool,
    force: bool = False,
) -> ComponentPlan:
    record = backup.manifest.component(name)
    if name == "logs" and not paths.include_logs and record is not None:
        problem = _logs_overlap(paths) if record.status is not ComponentStatus.SKIPPED else None
        if problem:
            return ComponentPlan(name=name, action="leave", problems=[problem])
    if (
        record is not None
        and record.status is ComponentStatus.ABSENT
        and backup.backup_id.startswith(PRE_RESTORE_PREFIX)
        and name != QDRANT_COMPONENT
        and not if_empty
    ):
        return plan_removal(name, source_of(paths, name))
    if record is None or record.status is not ComponentStatus.CAPTURED:
        status = record.status.value if record is not None else "not recorded"
        return ComponentPlan(
            name=name, action="leave", reason=f"not in this backup ({status}): left as is"
        )
    if name == QDRANT_COMPONENT:
        folder = backup.path / name
        return plan_qdrant(settings, paths, folder, record, if_empty=if_empty, force=force)
    target = source_of(paths, name)
    if name in DATABASE_COMPONENTS:
        first = record.files[0].path if record.files else ""
        backup_file = backup.path / name / first
        return plan_database(record, backup_file, target, if_empty=if_empty)
    return plan_tree(record, target, if_empty=if_empty)


def _probe(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def space_checks(
    paths: SafePaths, components: Iterable[ComponentPlan], undo: bool
) -> list[SpaceCheck]:
    """Free space for the staged copies (data side) and the pre-restore copy (backup side).

    A Qdrant server's own disk is not ours to measure (the plan warns instead); saving its
    collections before the restore is estimated by the size of their snapshots in the backup.
    """
    changing = [c for c in components if c.changes]
    staged = sum(c.bytes_staged for c in changing)
    saved = sum(
        c.current_bytes + sum(col.bytes for col in c.collections if col.action == "replace")
        for c in changing
    )
    saved = saved if undo else 0
    data, backups = _probe(paths.data_dir), _probe(paths.backup_dir)
    needs: dict[Path, tuple[str, int]] = {data: ("staged restore", staged)}
    if data.stat().st_dev == backups.stat().st_dev:
        needs[data] = ("staged restore + pre-restore copy", staged + saved)
    else:
        needs[backups] = ("pre-restore copy", saved)
    checks: list[SpaceCheck] = []
    for where, (purpose, needed) in needs.items():
        free = shutil.disk_usage(where).free
        checks.append(
            SpaceCheck(
                path=str(where),
                purpose=purpose,
                needed_bytes=needed,
                free_bytes=free,
                ok=needed <= free,
            )
        )
    return checks


def build_plan(
    settings: BackupSettings,
    paths: SafePaths,
    backup: CompleteBackup,
    *,
    only: list[str] | None,
    if_empty: bool,
    force: bool = False,
) -> RestorePlan:
    unknown = [name for name in only or [] if name not in KNOWN_COMPONENTS]
    if unknown:
        raise ConfigError(
            f"unknown component {unknown[0]!r} for --only; "
            f"choose from {', '.join(KNOWN_COMPONENTS)}"
        )
    components: list[ComponentPlan] = []
    for name in (*FILE_COMPONENTS, QDRANT_COMPONENT):
        if only and name not in only:
            components.append(ComponentPlan(name=name, action="skip", reason="not selected"))
        else:
            components.append(
                _plan_component(settings, paths, backup, name, if_empty=if_empty, force=force)
            )
    nothing = not any(c.changes for c in components)
    undo = not if_empty and not nothing
    space = space_checks(paths, components, undo)
    problems = [f"{c.name}: {p}" for c in components for p in c.problems]
    problems += [
        f"not enough free space at {s.path} for the {s.purpose}: {s.needed_bytes} bytes "
        f"needed, {s.free_bytes} free"
        for s in space
        if not s.ok
    ]
    return RestorePlan(
        backup_id=backup.backup_id,
        backup_path=str(backup.path),
        created_at=backup.created_at.isoformat(),
        if_empty=if_empty,
        only=only,
        components=components,
        bytes_to_write=sum(c.bytes_to_write for c in components),
        space=space,
        warnings=[f"{c.name}: {w}" for c in components for w in c.warnings],
        problems=problems,
        nothing_to_do=nothing,
        undo=(
            "the current state of the restored components is first saved as "
            "pre-restore_<timestamp> in the backup root; undo with "
            "`restore-backup pre-restore_<timestamp>`"
            if undo
            else "nothing is overwritten: no pre-restore copy is needed"
        ),
    )
