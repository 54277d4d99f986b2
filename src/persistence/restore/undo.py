"""Saving the current state aside before a restore, as a real backup named pre-restore_<ts>.

It is captured by the very components and staging/commit machinery of create-backup, so it
has a signed manifest, verify-backup checks it, and `restore-backup pre-restore_<ts>` undoes
the restore. Retention only ever considers backup_* folders, so it never deletes these.

It holds every file component the plan changes whatever the include flags say (a restore
that replaces the logs tree must be undoable even with BACKUP_INCLUDE_LOGS=false). A live
database that cannot be read consistently (damaged: the commonest reason to restore) is kept
as a raw byte copy instead of refusing the restore; a database held by a running app is not.
"""

from __future__ import annotations

import socket
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from persistence import __version__
from persistence.components.base import BackupComponent, CaptureContext
from persistence.components.databases import DatabaseComponent, database_record
from persistence.components.names import (
    DATABASE_COMPONENTS,
    FILE_COMPONENTS,
    QDRANT_COMPONENT,
)
from persistence.components.registry import build_components, qdrant_component, source_of
from persistence.components.trees import TreeComponent
from persistence.core.errors import BackupError, ComponentError, describe_os_error
from persistence.core.fsio import (
    PRIVATE_FILE_MODE,
    copy_and_hash,
    fsync_file,
    hash_file,
    make_private_dir,
)
from persistence.core.paths import SafePaths, join_inside
from persistence.core.progress import ProgressCallback, ProgressEvent, ProgressStage
from persistence.core.settings import BackupSettings
from persistence.restore.models import RestorePlan
from persistence.store.catalog import PRE_RESTORE_PREFIX, new_backup_id
from persistence.store.manifest import ComponentRecord, Manifest
from persistence.store.staging import commit, open_staging, remove_tree

RAW_COPY_METHOD = "raw-copy"
SQLITE_JOURNALS = ("-wal", "-shm", "-journal")
DUCKDB_JOURNALS = (".wal",)


@dataclass(frozen=True)
class SavedState:
    """The pre-restore backup's id and what the restore's result must say about it."""

    undo_id: str
    warnings: list[str] = field(default_factory=lambda: [])


def _components(
    settings: BackupSettings, paths: SafePaths, plan: RestorePlan
) -> list[BackupComponent]:
    touched = {c.name for c in plan.components if c.changes}
    # Built here rather than by build_components: the include flags (BACKUP_INCLUDE_LOGS)
    # choose what a backup keeps, but the restore replaces whatever the plan touches.
    chosen: list[BackupComponent] = [
        DatabaseComponent(name, source_of(paths, name))
        if name in DATABASE_COMPONENTS
        else TreeComponent(name, source_of(paths, name))
        for name in FILE_COMPONENTS
        if name in touched
    ]
    qdrant = plan.component(QDRANT_COMPONENT)
    if qdrant is None or not qdrant.changes:
        return chosen
    if settings.qdrant_url:
        # Only the collections about to be replaced: the ones that do not exist yet have
        # nothing to save (undo leaves a collection it did not know about in place).
        replaced = [c.name for c in qdrant.collections if c.action == "replace"]
        if replaced:
            narrowed = settings.model_copy(update={"qdrant_collections": ",".join(replaced)})
            # A cluster's collections are saved shard by shard (ClusterComponent).
            chosen.append(qdrant_component(narrowed, None, skip=False))
    else:
        chosen += [
            c
            for c in build_components(settings, paths, skip_qdrant=False)
            if c.name == QDRANT_COMPONENT
        ]
    return chosen


def save_current_state(
    settings: BackupSettings, paths: SafePaths, plan: RestorePlan, progress: ProgressCallback
) -> SavedState:
    """Capture every component the plan changes into pre-restore_<ts>."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    undo_id = new_backup_id(paths.backup_dir, prefix=PRE_RESTORE_PREFIX)
    progress(ProgressEvent(ProgressStage.MESSAGE, message=f"saving the current state as {undo_id}"))
    staging = open_staging(paths.backup_dir, undo_id)
    try:
        records: list[ComponentRecord] = []
        for component in _components(settings, paths, plan):
            ctx = CaptureContext(target_dir=staging / component.name, progress=progress)
            try:
                records.append(_capture(component, ctx))
            except OSError as exc:
                raise ComponentError(describe_os_error(exc, component.name)) from exc
        manifest = Manifest(
            tool_version=__version__,
            backup_id=undo_id,
            host=socket.gethostname(),
            started_at=started,
            finished_at=datetime.now(UTC),
            duration_seconds=time.monotonic() - clock,
            settings=settings.redacted(),
            components=records,
            warnings=[w for r in records for w in r.warnings],
        )
        commit(staging, paths.backup_dir / undo_id, manifest)
    except BackupError as exc:
        remove_tree(staging)
        raise ComponentError(
            f"cannot save the current state before restoring, so nothing was restored: "
            f"{exc.message}"
        ) from None
    except BaseException:
        remove_tree(staging)
        raise
    return SavedState(
        undo_id, [w for r in records if r.method == RAW_COPY_METHOD for w in r.warnings]
    )


def _capture(component: BackupComponent, ctx: CaptureContext) -> ComponentRecord:
    try:
        return component.capture(ctx)
    except ComponentError as exc:
        if not isinstance(component, DatabaseComponent) or not _unreadable(component, exc):
            raise
        return _raw_copy(component, ctx, exc.message)


def _unreadable(component: DatabaseComponent, exc: ComponentError) -> bool:
    """The file is there but cannot be read consistently: damage, not a running app."""
    if not component.source.is_file():
        return False
    cause = exc.__cause__
    if isinstance(cause, duckdb.IOException) and "lock" in str(cause).lower():
        return False  # DuckDB allows no reader beside a writer: the app is running
    busy = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    # sqlite_errorcode is the extended code (SQLITE_BUSY_SNAPSHOT...): compare its primary.
    return not (isinstance(cause, sqlite3.Error) and (cause.sqlite_errorcode & 0xFF) in busy)


def _raw_copy(component: DatabaseComponent, ctx: CaptureContext, reason: str) -> ComponentRecord:
    """The main file byte for byte, hashed: a database component holds exactly one file, so
    its journals cannot come along (the warning names those that were there)."""
    source = component.source
    remove_tree(ctx.target_dir)  # what the failed consistent copy left
    make_private_dir(ctx.target_dir)
    target = ctx.target_dir / source.name
    copied = copy_and_hash(source, target)
    target.chmod(PRIVATE_FILE_MODE)
    fsync_file(target)
    journals = [
        source.name + s
        for s in (*SQLITE_JOURNALS, *DUCKDB_JOURNALS)
        if source.with_name(source.name + s).exists()
    ]
    left = f"; its journals ({', '.join(journals)}) were NOT kept" if journals else ""
    warning = (
        f"{component.name}: UNDO COPY NOT CONSISTENT: {source} could not be read consistently "
        f"({reason}), so the pre-restore copy holds a raw copy of its bytes{left}; "
        "verify-backup will likely fail it, and undoing this restore needs --force and puts "
        "back the same damaged bytes"
    )
    return database_record(component.name, source, target.name, copied, RAW_COPY_METHOD, [warning])


def raw_copy_intact(folder: Path, record: ComponentRecord) -> bool:
    """A raw undo copy whose bytes are exactly those recorded: failing the database check is
    what it is, not damage, so a forced restore puts it back (every byte is hashed again)."""
    if record.method != RAW_COPY_METHOD or len(record.files) != 1:
        return False
    item = record.files[0]
    try:
        path = join_inside(folder, item.path)
        info = path.lstat()
    except (BackupError, OSError):
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != item.size:
        return False
    return hash_file(path).sha256 == item.sha256
