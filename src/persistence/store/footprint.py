"""What the backup root takes on disk, and what deleting each backup would free.

Both come from one walk of every file's inode: an unchanged file is one inode shared by every
backup that holds it (hard links), so the root's real size counts each inode once, and a
backup's own bytes are its files that have no other link.

Sealed backups do not change, so the walk of them is remembered by the set of backups it
counted (their ids, manifest hashes and folders) in `.footprint-cache.json`: a listing after
the first walks nothing of theirs (at 5,200 files a backup, that walk was a tenth of
`list-backups`); when the set changes, only backups not seen before are walked
(store.inode_maps). Anything else in the root (a staging folder, a broken backup, `lost+found`,
the tool's own files) is walked at every listing; when a file there has another link (a create
in progress links the newest backup's files), the whole root is walked afresh and nothing is
remembered. A file changed inside a sealed backup behind the tool's back (which verify reports
as damage) or linked from outside the root is counted anew only once the set of backups
changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, NonNegativeInt, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.errors import VerificationError
from persistence.store.catalog import DELETING_PREFIX, STAGING_PREFIX
from persistence.store.inode_maps import MapKey, load_maps, new_map, save_maps
from persistence.store.manifest_io import read_capped

FOOTPRINT_CACHE_NAME = ".footprint-cache.json"
_MAX_CACHE_BYTES = 4 * 1024 * 1024


class Footprint(BaseModel):
    model_config = ConfigDict(frozen=True)

    disk_bytes: NonNegativeInt  # each inode once
    unique_bytes: dict[str, NonNegativeInt]  # per backup id: its files with no other link


class _Remembered(BaseModel):
    sealed_set: str  # digest of the sealed backups' ids and manifest hashes
    footprint: Footprint


@dataclass(frozen=True)
class _Folder:
    owner: str | None  # the backup id whose unique bytes these files are, if any
    files: Callable[[], Iterable[os.DirEntry[str]]]  # a fresh pass over them at each call


def root_footprint(backup_dir: Path, sealed: Mapping[str, str]) -> Footprint:
    """`sealed` maps each complete backup's id to its manifest's sha256 (as a scan read it)."""
    present = _top_entries(backup_dir)
    sealed_dirs = {e.name: e for e in present if e.name in sealed and _is_folder(e)}
    others = [e for e in present if e.name not in sealed_dirs]
    extra = _unshared_size(others)
    if extra is None:  # something outside the sealed backups shares their inodes
        return _count([*_folders_of(sealed_dirs), _Folder(None, lambda: _files_below(others))])
    identities = _identities(sealed_dirs, sealed)
    key = _sealed_set_digest(identities)
    remembered = _load(backup_dir)
    if remembered is not None and remembered.sealed_set == key:
        counted = remembered.footprint
    else:
        walked = _count_sealed(backup_dir, identities)
        if walked is None:  # the folder listing's inode numbers are not the files' (FUSE)
            return _with_extra(_count(_folders_of(sealed_dirs), stat_every_file=True), extra)
        counted = walked.footprint
        # A create, restore or prune running beside this walk may have linked, unlinked or
        # renamed aside the backups' files meanwhile (its staging folder there before or made
        # since): what was counted is right for now but maybe not for the set of backups.
        busy = any(e.name.startswith((STAGING_PREFIX, DELETING_PREFIX)) for e in others)
        if not busy and {e.name for e in _top_entries(backup_dir)} == {e.name for e in present}:
            if walked.maps_changed:
                save_maps(backup_dir, walked.maps)
            _save(backup_dir, _Remembered(sealed_set=key, footprint=counted))
    return _with_extra(counted, extra)


@dataclass(frozen=True)
class _Walked:
    footprint: Footprint
    maps: dict[MapKey, array[int]]  # the present backups' inode maps
    maps_changed: bool  # a backup was walked, or one remembered is gone


def _count_sealed(backup_dir: Path, identities: Mapping[str, str]) -> _Walked | None:
    """The sealed backups' totals from their inode maps, walking only those not remembered;
    unique bytes are those of files no other sealed backup holds. None when a walk finds the
    folder listing's inode numbers unreliable."""
    remembered = load_maps(backup_dir)
    maps = {key: remembered[key] for key in identities.items() if key in remembered}
    known_sizes: dict[int, int] = {}
    for pairs in maps.values():
        known_sizes.update(_pairs(pairs))
    for key in sorted(set(identities.items()) - set(maps)):
        walked = _walk_map(backup_dir / key[0], known_sizes)
        if walked is None:
            return None
        maps[key] = walked
    return _Walked(_tally(maps), maps, set(maps) != set(remembered))


def _with_extra(counted: Footprint, extra: int) -> Footprint:
    return Footprint(disk_bytes=counted.disk_bytes + extra, unique_bytes=counted.unique_bytes)


def _walk_map(folder: Path, known_sizes: dict[int, int]) -> array[int] | None:
    """inode and size of every regular file below `folder`, stat'ing only inodes not met yet
    (an unchanged file is linked from the previous backup); None if a stat shows the folder
    listing's inode numbers are not the files' own."""
    pairs = new_map()
    for entry in _regular_file_entries(folder):
        inode = entry.inode()
        size = known_sizes.get(inode)
        if size is None:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # deleted between the listing and its stat
                continue
            if info.st_ino != inode:
                return None
            size = known_sizes[inode] = info.st_size
        pairs.extend((inode, size))
    return pairs


def _pairs(pairs: array[int]) -> Iterator[tuple[int, int]]:
    values = iter(pairs)
    return zip(values, values, strict=False)


def _tally(maps: Mapping[MapKey, array[int]]) -> Footprint:
    sizes: dict[int, int] = {}
    holders: dict[int, int] = {}
    for pairs in maps.values():
        for inode, size in _pairs(pairs):
            sizes[inode] = size
            holders[inode] = holders.get(inode, 0) + 1
    unique = {
        backup_id: sum(size for inode, size in _pairs(pairs) if holders[inode] == 1)
        for (backup_id, _), pairs in maps.items()
    }
    return Footprint(disk_bytes=sum(sizes.values()), unique_bytes=unique)


def disk_bytes(folder: Path) -> int:
    """Bytes the regular files below `folder` take, each shared inode counted once (0 when
    there is no such folder yet)."""
    return _count([_Folder(None, lambda: _regular_file_entries(folder))]).disk_bytes


def unshared_bytes(folder: Path) -> int:
    """Bytes of the regular files below `folder` that have no other hard link."""
    return _count([_Folder("", lambda: _regular_file_entries(folder))]).unique_bytes[""]


def _top_entries(backup_dir: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(backup_dir) as entries:
            return list(entries)
    except OSError:  # no root yet
        return []


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _folders_of(sealed_dirs: Mapping[str, os.DirEntry[str]]) -> list[_Folder]:
    return [
        _Folder(name, lambda path=Path(entry.path): _regular_file_entries(path))
        for name, entry in sorted(sealed_dirs.items())
    ]


def _files_below(entries: list[os.DirEntry[str]]) -> Iterator[os.DirEntry[str]]:
    """The regular files among `entries` and below those that are folders."""
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):
                yield entry
            elif entry.is_dir(follow_symlinks=False):
                yield from _regular_file_entries(Path(entry.path))
        except OSError:  # gone between the listing and its type check
            continue


def _unshared_size(entries: list[os.DirEntry[str]]) -> int | None:
    """Bytes of the files among and below `entries`, or None when one has another link."""
    total = 0
    for entry in _files_below(entries):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:  # deleted meanwhile
            continue
        if info.st_nlink > 1:
            return None
        total += info.st_size
    return total


def _count(folders: list[_Folder], *, stat_every_file: bool = False) -> Footprint:
    """One pass: each inode's size once, and each owner's files that have no other link.

    The folder listing's inode numbers (d_ino) spare a stat per linked file; where they are
    not the files' own (sshfs lists every file as FUSE_UNKNOWN_INO) every file is stat'ed."""
    sizes: dict[int, int] = {}
    unique: dict[str, int] = {}
    for folder in folders:
        own = 0
        for entry in folder.files():
            inode = entry.inode()
            if inode in sizes and not stat_every_file:
                continue  # counted already, and shared: unique to nobody
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # deleted between the listing and its stat
                continue
            if info.st_ino != inode and not stat_every_file:
                return _count(folders, stat_every_file=True)
            if info.st_ino not in sizes and info.st_nlink == 1:
                own += info.st_size
            sizes[info.st_ino] = info.st_size
        if folder.owner is not None:
            unique[folder.owner] = own
    return Footprint(disk_bytes=sum(sizes.values()), unique_bytes=unique)


def _regular_file_entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Every regular file below `folder`, links not followed. scandir's entry types save a
    stat per folder and its C-built paths a join per file (every listing walks every backup)."""
    pending = [str(folder)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                found = list(entries)
        except OSError:  # pruned meanwhile, or not ours to read (a disk's lost+found): skipped
            continue
        for entry in found:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry
            except OSError:  # deleted between the listing and its type check
                continue


def _identities(
    sealed_dirs: Mapping[str, os.DirEntry[str]], sealed: Mapping[str, str]
) -> dict[str, str]:
    """Each backup's manifest sha256 and its folder's device and inode: a root copied without
    its hard links (or a backup put back from a copy) holds the same backups but other bytes
    on disk, and other inode numbers."""
    found: dict[str, str] = {}
    for name, entry in sealed_dirs.items():
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:  # gone meanwhile: this set is not the next listing's
            continue
        found[name] = f"{sealed[name]} {info.st_dev}:{info.st_ino}"
    return found


def _sealed_set_digest(identities: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name, identity in sorted(identities.items()):
        digest.update(f"{name} {identity}\n".encode())
    return digest.hexdigest()


def _load(backup_dir: Path) -> _Remembered | None:
    try:
        data, _ = read_capped(backup_dir / FOOTPRINT_CACHE_NAME, _MAX_CACHE_BYTES, "footprint")
        return _Remembered.model_validate_json(data)
    except (VerificationError, ValidationError):
        return None  # missing, unreadable or planted: walk again


def _save(backup_dir: Path, remembered: _Remembered) -> None:
    with contextlib.suppress(OSError):  # read-only or full: the next listing walks again
        write_atomic(backup_dir / FOOTPRINT_CACHE_NAME, remembered.model_dump_json().encode())
