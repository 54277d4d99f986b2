"""The backups and undo copies in the root with their verification state: `list-backups`.

Kept apart from the status report so that listing loads neither the lock code nor the health
rules (start-up time, issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from persistence.browse.verification import NEVER_VERIFIED, VerifyState, last_verifications
from persistence.core.paths import check_paths
from persistence.core.settings import BackupSettings
from persistence.store.catalog import (
    BACKUP_PREFIX,
    PRE_RESTORE_PREFIX,
    BackupSummary,
    ListedScan,
    find_backup,
    scan_listed,
    summarize,
)
from persistence.store.footprint import Footprint, root_footprint
from persistence.store.manifest_io import read_capped
from persistence.store.runlog import RunRecord, read_runs, verified_at
from persistence.store.sealed import MANIFEST_NAME, MAX_MANIFEST_BYTES


class BackupListing(BackupSummary):
    verified_at: datetime | None = None  # when it last passed
    last_verify: VerifyState = VerifyState.NEVER  # the verdict of its newest verification
    last_verify_at: datetime | None = None


@dataclass(frozen=True)
class ListingReport:
    backups: list[BackupListing]  # oldest first; broken ones at the end
    disk_bytes: int  # what the root really takes: a file linked into several backups once


def listing_report(settings: BackupSettings) -> ListingReport:
    """Every backup and pre-restore copy in the root, and what they take on disk."""
    paths = check_paths(settings)
    scan = scan_all(paths.backup_dir)
    footprint = footprint_of(paths.backup_dir, scan)
    backups = listings_of(scan, read_runs(paths.backup_dir), footprint)
    return ListingReport(backups=backups, disk_bytes=footprint.disk_bytes)


def list_backups(settings: BackupSettings) -> list[BackupListing]:
    """Every backup and pre-restore copy in the root, oldest first; broken ones at the end."""
    return listing_report(settings).backups


def scan_all(backup_dir: Path) -> ListedScan:
    return scan_listed(backup_dir, (BACKUP_PREFIX, PRE_RESTORE_PREFIX))


def footprint_of(backup_dir: Path, scan: ListedScan) -> Footprint:
    return root_footprint(backup_dir, {b.backup_id: b.manifest_sha256 for b in scan.complete})


def listings_of(
    scan: ListedScan, runs: list[RunRecord], footprint: Footprint
) -> list[BackupListing]:
    verified = verified_at(runs)
    verdicts = last_verifications(runs)
    return [
        BackupListing(
            **summarize(b, unique_bytes=footprint.unique_bytes.get(b.backup_id)).model_dump(),
            verified_at=verified.get(b.backup_id),
            last_verify=verdicts.get(b.backup_id, NEVER_VERIFIED).state,
            last_verify_at=verdicts.get(b.backup_id, NEVER_VERIFIED).at,
        )
        for b in [*scan.complete, *scan.broken]
    ]


def manifest_bytes_of(settings: BackupSettings, backup_id: str) -> bytes:
    """The exact bytes of a backup's manifest.json (for download)."""
    backup = find_backup(check_paths(settings).backup_dir, backup_id, latest=False)
    data, _ = read_capped(backup.path / MANIFEST_NAME, MAX_MANIFEST_BYTES, "manifest")
    return data


def backups_disk_bytes(settings: BackupSettings) -> int:
    """What the backup root really takes: a file hard-linked into several backups counts once."""
    return listing_report(settings).disk_bytes
