"""Incremental backups: an unchanged file is hard-linked from the newest complete backup.

A tree file is "unchanged" when its size, mtime (ns), inode and ctime (ns) all equal what the
previous backup recorded for the same path (Time Machine / rsnapshot style: the backup stays a
plain folder). ctime cannot be set from user space, so a file rewritten and given its old mtime
back is still caught. `rehash` trusts no metadata: it reads the source and links only when the
sha256 matches. A disk that cannot hard-link falls back to copies, with one warning.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from persistence.core.errors import PathSafetyError, VerificationError
from persistence.core.fsio import hash_file
from persistence.core.paths import InsideRoot
from persistence.store.catalog import BACKUP_PREFIX, CompleteBackup, find_backup, scan_listed
from persistence.store.manifest import ComponentStatus, FileRecord

READ_ONLY_FILE_MODE = 0o400

# What link(2) says on a filesystem (or mount) without hard links, or across devices.
NO_LINK_ERRNOS = frozenset(
    {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
)


@dataclass(frozen=True)
class Identity:
    """What a file looked like when it was captured: the rule that says it has not changed."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> Identity:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)

    @classmethod
    def recorded(cls, item: FileRecord) -> Identity | None:
        if item.mtime_ns is None or item.inode is None or item.ctime_ns is None:
            return None
        return cls(item.size, item.mtime_ns, item.inode, item.ctime_ns)


@dataclass
class LinkState:
    """Shared by every component of one run: once linking fails, the run copies."""

    works: bool = True
    warnings: list[str] = field(default_factory=lambda: [])

    def link(self, existing: str | Path, new: str | Path) -> bool:
        if not self.works:
            return False
        try:
            os.link(existing, new, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in NO_LINK_ERRNOS:
                raise
            self.works = False
            self.warnings.append(
                f"the backup disk cannot hard-link ({os.strerror(exc.errno or 0)}): unchanged "
                "files are copied, so every backup takes full space"
            )
            return False
        return True


@dataclass(frozen=True)
class ComponentReuse:
    """The previous backup's files of one component, and how to reuse them."""

    backup_id: str
    folder: Path
    files: dict[str, FileRecord]
    rehash: bool
    state: LinkState
    method: str | None = None
    codec: str | None = None  # how this run stores a database copy (None: plain)

    def previous_copy(self, relative: str) -> Path:
        """The previous backup's copy of `relative`, refused if a symlink leads out of it."""
        return self._previous.join(relative)

    @cached_property
    def _previous(self) -> InsideRoot:
        return InsideRoot(self.folder)

    def link_unchanged(
        self, relative: str, source: str, info: os.stat_result, target: str, mode: int
    ) -> FileRecord | None:
        """Link the previous copy into `target` if `source` has not changed; its record then,
        with the file's metadata now (`mode` as recorded): under `rehash` its mode or mtime may
        differ from what the previous backup saw.

        Paths are strings: this runs once per file of every tree, and Path objects were most
        of its time."""
        before = self.files.get(relative)
        if before is None or before.kind != "file" or before.codec is not None:
            return None
        if self.rehash:
            if before.size != info.st_size or hash_file(Path(source)).sha256 != before.sha256:
                return None
        elif Identity.recorded(before) != Identity.of(info):
            return None
        try:
            previous = self._previous.join_str(relative)
        except PathSafetyError:  # a folder of the previous backup swapped for a link: copy
            return None
        if not _intact(previous, before.size) or not self.state.link(previous, target):
            return None
        return before.model_copy(
            update={
                "linked_from": self.backup_id,
                "mode": mode,
                "mtime": info.st_mtime,
                "mtime_ns": info.st_mtime_ns,
                "inode": info.st_ino,
                "ctime_ns": info.st_ctime_ns,
            }
        )

    def link_untouched_database(
        self, fingerprint: str | None, target_dir: Path
    ) -> FileRecord | None:
        """The previous copy of a database whose file and journals have not been touched since
        it was taken (same fingerprint): linked, not copied again. Never under `rehash`."""
        if fingerprint is None or self.rehash:
            return None
        for item in self.files.values():
            if item.kind == "file" and item.source_fingerprint == fingerprint:
                if item.codec != self.codec:  # compression switched on or off since
                    return None
                previous = self.previous_copy(item.path)
                if not _intact(previous, item.size):
                    return None
                if self.state.link(previous, target_dir / item.path):
                    return item.model_copy(update={"linked_from": self.backup_id})
                return None
        return None

    def link_same_content(self, relative: str, stored: Path, item: FileRecord) -> FileRecord:
        """Replace a fresh copy by a link to the previous one when their bytes are equal."""
        before = self.files.get(relative)
        if (
            before is None
            or before.kind != "file"
            or (before.size, before.sha256, before.codec) != (item.size, item.sha256, item.codec)
        ):
            return item
        previous = self.previous_copy(relative)
        if not _intact(previous, before.size):
            return item
        fresh = stored.with_name(f".{stored.name}.fresh")
        stored.rename(fresh)
        if not self.state.link(previous, stored):
            fresh.rename(stored)
            return item
        fresh.unlink()
        return item.model_copy(update={"linked_from": self.backup_id})


def _intact(previous: str | Path, size: int) -> bool:
    """The previous backup's copy is there, a regular file of the recorded size: a copy lost
    or cut short since (a disk error, a tidying hand) is copied afresh, never linked (and
    never the reason a run fails)."""
    try:
        info = os.lstat(previous)
    except OSError:  # gone, or its folder is no longer a folder
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == size


@dataclass(frozen=True)
class Reuse:
    """Per run: the newest complete backup (if any) to link from."""

    previous: CompleteBackup | None
    rehash: bool
    state: LinkState
    codec: str | None = None  # how this run stores a database copy (None: plain)

    def component(self, name: str) -> ComponentReuse | None:
        if self.previous is None:
            return None
        record = self.previous.manifest.component(name)
        if record is None or record.status is not ComponentStatus.CAPTURED:
            return None
        if (self.previous.path / name).is_symlink():  # a folder swapped for a link: not ours
            return None
        return ComponentReuse(
            backup_id=self.previous.backup_id,
            folder=self.previous.path / name,
            files={f.path: f for f in record.files},
            rehash=self.rehash,
            state=self.state,
            method=record.method,
            codec=self.codec,
        )


def reuse_for(
    backup_dir: Path, *, incremental: bool, rehash: bool, codec: str | None = None
) -> Reuse:
    """What this run may link from: nothing for a full backup, else the newest complete one.

    The listing finds the newest (its cache spares validating every manifest); that one is
    then read and validated in full, as any backup whose files are used."""
    if not incremental:
        return Reuse(None, rehash, LinkState())
    for listed in reversed(scan_listed(backup_dir, (BACKUP_PREFIX,)).complete):
        try:
            newest = find_backup(backup_dir, listed.backup_id, latest=False)
        except VerificationError:  # changed since it was listed: the next newest then
            continue
        return Reuse(newest, rehash, LinkState(), codec)
    return Reuse(None, rehash, LinkState())


def make_read_only(root: Path) -> None:
    """chmod 0400 every regular file below `root` that is not already (links share a mode)."""
    pending = [str(root)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                    if mode != READ_ONLY_FILE_MODE:
                        Path(entry.path).chmod(READ_ONLY_FILE_MODE)
