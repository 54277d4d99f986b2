"""The offline checks of one backup: every recorded byte, nothing extra, databases, archives.

Read-only: nothing here writes into the backup (SQLite is opened immutable, DuckDB read-only).
Every path comes from the manifest and is validated before it is used, so a tampered manifest
is reported as a problem instead of making us read outside the backup.
"""

from __future__ import annotations

import sqlite3
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from persistence.components.databases import DatabaseKind, detect_kind
from persistence.components.names import (
    DATABASE_COMPONENTS,
    KNOWN_COMPONENTS,
    QDRANT_COMPONENT,
)
from persistence.core.codec import readable_original
from persistence.core.errors import BackupError
from persistence.core.fsio import hash_file, walk_tree
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress, ProgressCallback
from persistence.store.manifest import (
    MANIFEST_NAME,
    SIDECAR_NAME,
    ComponentRecord,
    ComponentStatus,
    FileRecord,
)

_READ_CHUNK = 1024 * 1024


@dataclass
class Findings:
    """What the checks of one component found; `failed` maps a path to its problem."""

    problems: list[str] = field(default_factory=lambda: [])
    failed: dict[str, str] = field(default_factory=lambda: {})
    notes: list[str] = field(default_factory=lambda: [])
    files_checked: int = 0

    def fail_file(self, path: str, problem: str) -> None:
        self.failed.setdefault(path, problem)
        self.problems.append(f"{path}: {problem}")


def unexpected_top_level(backup_path: Path, records: list[ComponentRecord]) -> list[str]:
    """Entries at the backup's root that no component and no manifest file explains."""
    expected = {MANIFEST_NAME, SIDECAR_NAME, *(r.name for r in records)}
    return sorted(entry.name for entry in backup_path.iterdir() if entry.name not in expected)


def check_component(
    backup_path: Path, record: ComponentRecord, progress: ProgressCallback
) -> Findings:
    """Presence, size and hash of every recorded file; no extra file; the content checks."""
    found = Findings()
    if record.name not in KNOWN_COMPONENTS:
        found.problems.append(f"unknown component {record.name!r} in the manifest")
        return found
    folder = backup_path / record.name
    if record.status is not ComponentStatus.CAPTURED:
        if folder.exists() or folder.is_symlink():
            found.problems.append(f"{record.name} is {record.status.value} but has a folder")
        return found
    if folder.is_symlink() or not folder.is_dir():
        if record.files:
            found.problems.append(f"the folder {record.name}/ is missing or not a folder")
        return found
    _check_records(folder, record, found, progress)
    if not found.problems:
        _check_contents(folder, record, found)
    return found


def _check_records(
    folder: Path, record: ComponentRecord, found: Findings, progress: ProgressCallback
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
    _check_extras(folder, record, found)


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


def _check_extras(folder: Path, record: ComponentRecord, found: Findings) -> None:
    recorded = {f.path for f in record.files if f.kind != "symlink"}
    parents = {"/".join(p.split("/")[:i]) for p in recorded for i in range(1, p.count("/") + 1)}
    # Trees record every folder; the other components create folders they do not record.
    strict_dirs = record.name not in (QDRANT_COMPONENT, *DATABASE_COMPONENTS)
    for entry in walk_tree(folder):
        if entry.relative in recorded:
            continue
        if stat.S_ISDIR(entry.info.st_mode) and (entry.relative in parents or not strict_dirs):
            continue
        found.fail_file(entry.relative, "extra: not in the manifest")


def _check_contents(folder: Path, record: ComponentRecord, found: Findings) -> None:
    if record.name in DATABASE_COMPONENTS:
        for item in record.files:
            problem = _check_original(folder / item.path, item, check_database)
            if problem:
                found.fail_file(item.path, problem)
    elif record.name == QDRANT_COMPONENT and record.qdrant is not None:
        files = {f.path: f for f in record.files}
        for collection in record.qdrant.collections:
            listed = files.get(collection.file)
            if listed is None or listed.sha256 != collection.sha256:
                found.fail_file(collection.file, "snapshot not listed with the same sha256")
                continue
            problem = _check_original(folder / collection.file, listed, check_archive)
            if problem:
                found.fail_file(collection.file, problem)


def _check_original(
    path: Path, item: FileRecord, check: Callable[[Path], str | None]
) -> str | None:
    """Run a content check on the original bytes; a compressed copy must decompress to the
    size and sha256 recorded for its original first."""
    try:
        with readable_original(path, item.codec) as (plain, original):
            if original is not None and (
                original.size != item.original_size or original.sha256 != item.original_sha256
            ):
                return "decompresses to bytes that differ from the recorded original sha256"
            return check(plain)
    except OSError as exc:
        return f"cannot decompress it: {exc}"


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
        try:
            con = duckdb.connect(str(path), read_only=True)
            try:
                con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            finally:
                con.close()
        except duckdb.Error as exc:
            return f"DuckDB cannot open it: {exc}"
    return None


def check_archive(path: Path) -> str | None:
    """Read a snapshot tar end to end, nested segment tars included."""
    try:
        with tarfile.open(path, "r:") as archive:
            for member in archive:
                if member.name.startswith("/") or ".." in member.name.split("/"):
                    return f"unsafe member {member.name!r} in the archive"
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    return f"member {member.name} cannot be read"
                if member.name.endswith(".tar"):
                    with tarfile.open(fileobj=handle, mode="r:") as nested:
                        for inner in nested:
                            inner_handle = nested.extractfile(inner) if inner.isfile() else None
                            while inner_handle is not None and inner_handle.read(_READ_CHUNK):
                                pass
                else:
                    while handle.read(_READ_CHUNK):
                        pass
    except (tarfile.TarError, EOFError, OSError) as exc:
        return f"the archive does not read end to end: {exc}"
    return None
