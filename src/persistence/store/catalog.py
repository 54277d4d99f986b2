"""The backups in a backup root: naming, listing, and finding one by id."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from persistence.core.errors import ConfigError, VerificationError
from persistence.store.listing_cache import ListedManifest, ListingCache
from persistence.store.sealed import SealedManifest, read_sealed, stat_signature

if TYPE_CHECKING:
    from persistence.store.manifest import Manifest

BACKUP_PREFIX = "backup_"
PRE_RESTORE_PREFIX = "pre-restore_"
STAGING_PREFIX = ".staging-"
DELETING_PREFIX = ".deleting-"
_ID_FORMAT = "%Y%m%dT%H%M%S_%fZ"


def new_backup_id(
    backup_dir: Path, prefix: str = BACKUP_PREFIX, now: datetime | None = None
) -> str:
    """`<prefix><UTC timestamp to the microsecond>`: sorts by time, unique within the root."""
    moment = now or datetime.now(UTC)
    while True:
        candidate = prefix + moment.strftime(_ID_FORMAT)
        if not (backup_dir / candidate).exists():
            return candidate
        moment = datetime.fromtimestamp(moment.timestamp() + 1e-6, UTC)


class BackupSummary(BaseModel):
    backup_id: str
    kind: str = "backup"  # "backup", or "pre-restore" for the undo copy a restore saves
    path: str
    created_at: datetime | None
    size_bytes: int
    # What deleting this backup would free: its files no other backup shares (hard links).
    unique_bytes: int | None = None
    valid: bool
    problem: str | None = None
    components: dict[str, str] = {}


@dataclass(frozen=True)
class CompleteBackup:
    backup_id: str
    path: Path
    manifest: Manifest

    @property
    def created_at(self) -> datetime:
        return self.manifest.started_at


@dataclass(frozen=True)
class BrokenBackup:
    backup_id: str
    path: Path
    problem: str


def _load_manifest(path: Path) -> Manifest:
    # The manifest's models are loaded by the first manifest parsed: a listing whose
    # manifests are all remembered (store.listing_cache) parses none.
    from persistence.store.manifest import load_manifest

    return load_manifest(path)


def _parse_sealed(sealed: SealedManifest) -> Manifest:
    from persistence.store.manifest import parse_sealed

    return parse_sealed(sealed)


def _candidate_dirs(backup_dir: Path, prefixes: tuple[str, ...]) -> list[Path]:
    if not backup_dir.is_dir():
        return []
    found: list[Path] = []
    with os.scandir(backup_dir) as listing:
        for item in listing:
            # A symlink is never one of ours: listing it would invite deleting through it.
            if item.name.startswith(prefixes) and item.is_dir(follow_symlinks=False):
                found.append(Path(item.path))
    return sorted(found, key=lambda p: p.name)


@dataclass(frozen=True)
class BackupScan:
    complete: list[CompleteBackup]  # oldest first
    broken: list[BrokenBackup]


def scan_backups(backup_dir: Path, prefixes: tuple[str, ...] = (BACKUP_PREFIX,)) -> BackupScan:
    """Complete backups (valid manifest of this tool, hash checked), oldest first, and the rest."""
    complete: list[CompleteBackup] = []
    broken: list[BrokenBackup] = []
    for path in _candidate_dirs(backup_dir, prefixes):
        try:
            manifest = _load_manifest(path)
        except VerificationError as exc:
            broken.append(BrokenBackup(path.name, path, exc.message))
            continue
        complete.append(CompleteBackup(path.name, path, manifest))
    complete.sort(key=lambda b: (b.created_at, b.backup_id))
    return BackupScan(complete, broken)


@dataclass(frozen=True)
class ListedBackup:
    """A complete backup as a listing shows it (no file records: see `scan_listed`)."""

    backup_id: str
    path: Path
    listed: ListedManifest
    manifest_sha256: str

    @property
    def created_at(self) -> datetime:
        return self.listed.created_at


@dataclass(frozen=True)
class ListedScan:
    complete: list[ListedBackup]  # oldest first
    broken: list[BrokenBackup]


def scan_listed(backup_dir: Path, prefixes: tuple[str, ...] = (BACKUP_PREFIX,)) -> ListedScan:
    """What `scan_backups` finds, for display: every manifest is read and checked against its
    hash as there, but one whose bytes a listing already validated is not validated again."""
    listing_cache = ListingCache(backup_dir)
    complete: list[ListedBackup] = []
    broken: list[BrokenBackup] = []
    for path in _candidate_dirs(backup_dir, prefixes):
        try:
            listed = _listed_backup(path, listing_cache)
        except VerificationError as exc:
            broken.append(BrokenBackup(path.name, path, exc.message))
            continue
        complete.append(listed)
    # Only a scan that saw every backup may forget the entries it did not use.
    listing_cache.save(drop_unused={BACKUP_PREFIX, PRE_RESTORE_PREFIX} <= set(prefixes))
    complete.sort(key=lambda b: (b.created_at, b.backup_id))
    return ListedScan(complete, broken)


def _listed_backup(path: Path, listing_cache: ListingCache) -> ListedBackup:
    """What a listing shows of the backup at `path`: from the cache
    when neither the manifest nor its hash file was touched since a listing last checked them,
    else read and checked against its hash (and validated unless its bytes were seen)."""
    signature = stat_signature(path)
    known = listing_cache.sha256_if_unchanged(path.name, signature)
    listed = listing_cache.get(known) if known else None
    if known and listed:
        return ListedBackup(path.name, path, listed, known)
    sealed = read_sealed(path)
    listing_cache.note_read(path.name, signature, sealed.sha256)
    listed = listing_cache.get(sealed.sha256)
    if listed is None:
        listed = ListedManifest.of(_parse_sealed(sealed))
        listing_cache.put(sealed.sha256, listed)
    return ListedBackup(path.name, path, listed, sealed.sha256)


def _kind(backup_id: str) -> str:
    return "pre-restore" if backup_id.startswith(PRE_RESTORE_PREFIX) else "backup"


def summarize(
    backup: CompleteBackup | ListedBackup | BrokenBackup, *, unique_bytes: int | None = None
) -> BackupSummary:
    """A backup's line in a listing (`unique_bytes`: see store.footprint)."""
    if isinstance(backup, BrokenBackup):
        return BackupSummary(
            backup_id=backup.backup_id,
            kind=_kind(backup.backup_id),
            path=str(backup.path),
            created_at=None,
            size_bytes=0,
            valid=False,
            problem=backup.problem,
        )
    if isinstance(backup, ListedBackup):
        listed = backup.listed
    else:
        listed = ListedManifest.of(backup.manifest)
    return BackupSummary(
        backup_id=backup.backup_id,
        kind=_kind(backup.backup_id),
        path=str(backup.path),
        created_at=listed.created_at,
        size_bytes=listed.total_bytes,
        unique_bytes=unique_bytes,
        valid=True,
        components={name: state.value for name, state in listed.components.items()},
    )


def find_backup(backup_dir: Path, backup_id: str | None, *, latest: bool) -> CompleteBackup:
    """The backup named `backup_id` (a plain name, never a path), or the newest one."""
    prefixes = (BACKUP_PREFIX, PRE_RESTORE_PREFIX)
    if backup_id is not None:
        if not backup_id.startswith(prefixes) or "/" in backup_id or backup_id in (".", ".."):
            raise ConfigError(
                f"{backup_id!r} is not a backup id (expected backup_<timestamp> or "
                "pre-restore_<timestamp>; see list-backups)"
            )
        path = backup_dir / backup_id
        if path.is_symlink() or not path.is_dir():
            raise ConfigError(f"no backup {backup_id} in {backup_dir}; see list-backups")
        return CompleteBackup(backup_id, path, _load_manifest(path))
    if not latest:
        raise ConfigError("name a backup id, or pass --latest")
    complete = scan_backups(backup_dir).complete
    if not complete:
        raise ConfigError(f"no complete backup in {backup_dir}")
    return complete[-1]
