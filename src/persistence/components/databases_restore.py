"""Restoring a database, checking a database copy, and the undo copy of a damaged one.

A database component holds exactly one file; its journals never come along, and the journals
of the database it replaces must not survive the swap.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from persistence.components.base import CaptureContext
from persistence.components.compressed import content_sha256, content_size
from persistence.components.database_content import same_content
from persistence.components.database_copy import (
    DatabaseKind,
    database_record,
    detect_kind,
    is_duckdb_error,
)
from persistence.components.db_fingerprint import DUCKDB_JOURNALS, source_fingerprint
from persistence.components.files import (
    DEFAULT_ROOT_MODE,
    SQLITE_JOURNALS,
    Applied,
    checked_files,
    copy_checked,
)
from persistence.components.models import ComponentPlan
from persistence.core.codec import readable_original
from persistence.core.errors import BackupError, ComponentError
from persistence.core.fsio import (
    PRIVATE_FILE_MODE,
    copy_and_hash,
    fsync_file,
    hash_file,
    make_private_dir,
    remove_any,
)
from persistence.core.journal_swap import staged_name, swap_in
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress
from persistence.store.manifest import ComponentRecord, FileRecord

RAW_COPY_METHOD = "raw-copy"


def db_sidecars(target: Path, kind: DatabaseKind | None) -> list[Path]:
    """The journals beside `target` for a database of `kind`; every kind's when not known."""
    if kind is DatabaseKind.SQLITE:
        suffixes = SQLITE_JOURNALS
    elif kind is DatabaseKind.DUCKDB:
        suffixes = DUCKDB_JOURNALS
    else:  # empty, or an unknown header (a raw undo copy): no journal of the old file may stay
        suffixes = (*SQLITE_JOURNALS, *DUCKDB_JOURNALS)
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
    if exists and item.source_fingerprint and source_fingerprint(target) == item.source_fingerprint:
        plan.reason = "unchanged since the backup (same file and journals, not rewritten)"
        return plan
    if exists and target.is_file() and hash_file(target).sha256 == content_sha256(item):
        plan.reason = "already identical to the backup"
        return plan
    if exists and target.is_file() and not if_empty and _same_content(backup_file, item, target):
        plan.reason = "same tables and rows as the backup (only the file's bytes differ)"
        return plan
    plan.action = "restore-missing" if if_empty else "restore"
    (plan.files_replaced if exists else plan.files_written).append(target.name)
    # What the restore writes: a compressed copy's original bytes, not the stored frame.
    plan.bytes_to_write = plan.bytes_staged = plan.bytes_changed = content_size(item)
    plan.current_bytes = target.stat().st_size if exists and target.is_file() else 0
    try:
        kind = kind_of_copy(backup_file)
    except OSError:
        kind = None
    plan.files_removed = [p.name for p in db_sidecars(target, kind) if p.exists()]
    return plan


def _same_content(backup_file: Path, item: FileRecord, target: Path) -> bool:
    """Same tables and rows; a compressed copy is compared through a decompressed temporary
    copy (one that does not decompress differs)."""
    try:
        with readable_original(backup_file, item.codec) as (plain, _):
            return same_content(plain, target)
    except OSError:
        return False


def restore_database(
    source_root: Path, item: FileRecord, target: Path, meter: ComponentProgress
) -> Applied:
    """Stage the copy beside the live file, then swap it in with `journal_swap.swap_in`: the
    old journals are renamed aside before the rename and deleted after it, and a run killed
    anywhere in between is completed or undone by the next run (see `journal_swap`). The old
    database is also in the pre-restore copy taken before anything was touched."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=DEFAULT_ROOT_MODE)
    part = staged_name(target, os.getpid())
    part.unlink(missing_ok=True)
    try:
        size = copy_checked(source_root, item, part, meter)
        fsync_file(part)
        # Every kind's journals: the OLD file's kind is not known, and none of them may stay.
        removed = swap_in(part, target, db_sidecars(target, None))
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Applied(1, size, removed=removed)


def check_database(path: Path) -> str | None:
    """SQLite: `PRAGMA integrity_check`; DuckDB: opens and lists its tables."""
    try:
        kind = detect_kind(path)
    except BackupError as exc:
        return exc.message
    if kind is DatabaseKind.SQLITE:
        try:
            # immutable=1: no lock, no journal, nothing written beside the backup's copy.
            con = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                rows = con.execute("PRAGMA integrity_check").fetchall()
            finally:
                con.close()
        except sqlite3.Error as exc:
            return f"SQLite cannot read it: {exc}"
        if rows != [("ok",)]:
            return f"SQLite integrity_check: {'; '.join(str(r[0]) for r in rows[:5])}"
    elif kind is DatabaseKind.DUCKDB:
        import duckdb  # heavy: loaded only when a DuckDB file is checked

        try:
            con = duckdb.connect(str(path), read_only=True)
            try:
                con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            finally:
                con.close()
        except duckdb.Error as exc:
            return f"DuckDB cannot open it: {exc}"
    return None


def unreadable(source: Path, exc: ComponentError) -> bool:
    """The file is there but cannot be read consistently: damage, not a running app."""
    if not source.is_file():
        return False
    cause = exc.__cause__
    if is_duckdb_error(cause, io_only=True) and "lock" in str(cause).lower():
        return False  # DuckDB allows no reader beside a writer: the app is running
    busy = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    # sqlite_errorcode is the extended code (SQLITE_BUSY_SNAPSHOT...): compare its primary.
    return not (isinstance(cause, sqlite3.Error) and (cause.sqlite_errorcode & 0xFF) in busy)


def raw_copy(name: str, source: Path, ctx: CaptureContext, reason: str) -> ComponentRecord:
    """The main file byte for byte, hashed: a database component holds exactly one file, so
    its journals cannot come along (the warning names those that were there)."""
    remove_any(ctx.target_dir)  # what the failed consistent copy left
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
        f"{name}: UNDO COPY NOT CONSISTENT: {source} could not be read consistently "
        f"({reason}), so the pre-restore copy holds a raw copy of its bytes{left}; "
        "verify-backup will likely fail it, and undoing this restore needs --force and puts "
        "back the same damaged bytes"
    )
    return database_record(name, source, target.name, copied, RAW_COPY_METHOD, [warning])


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
