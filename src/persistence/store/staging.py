"""Staging and atomic commit: a backup appears under its final name only when complete."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from persistence.core.atomic import write_atomic
from persistence.core.fsio import fsync_dir, fsync_tree, make_private_dir, sync_filesystem
from persistence.core.fstype import syncfs_covers_directories
from persistence.store.catalog import DELETING_PREFIX, STAGING_PREFIX
from persistence.store.listing_cache import remember_manifest
from persistence.store.manifest import (
    MANIFEST_NAME,
    SIDECAR_NAME,
    Manifest,
    manifest_bytes,
    sidecar_for,
)


def staging_dir_for(backup_dir: Path, backup_id: str) -> Path:
    return backup_dir / f"{STAGING_PREFIX}{backup_id}-{os.getpid()}"


def open_staging(backup_dir: Path, backup_id: str) -> Path:
    staging = staging_dir_for(backup_dir, backup_id)
    staging.mkdir(mode=0o700)
    staging.chmod(0o700)
    return staging


def remove_tree(path: Path) -> None:
    """Delete a folder of ours without following any symlink inside it."""
    if path.is_symlink():
        path.unlink()
        return
    if path.exists():
        shutil.rmtree(path)


def commit(staging: Path, final: Path, manifest: Manifest) -> None:
    """Manifest last, everything fsynced, then one rename makes the backup visible."""
    data = manifest_bytes(manifest)
    digest = hashlib.sha256(data).hexdigest()  # once: for the hash file and the listing cache
    write_atomic(staging / MANIFEST_NAME, data)
    write_atomic(staging / SIDECAR_NAME, sidecar_for(digest).encode())
    sync_filesystem(staging)
    if not syncfs_covers_directories(staging):
        fsync_tree(staging)  # FUSE, NFS, unknown: syncfs may not have reached the folders
    staging.rename(final)
    fsync_dir(final.parent)
    remember_manifest(final, digest, manifest)


def delete_backup_dir(path: Path) -> None:
    """Rename aside first, so a half-deleted backup never looks complete, then delete."""
    doomed = path.with_name(f"{DELETING_PREFIX}{path.name}")
    path.rename(doomed)
    fsync_dir(path.parent)
    remove_tree(doomed)


def remove_leftovers(backup_dir: Path) -> list[str]:
    """Remove what killed runs left (staging and half-deleted folders); call under the lock."""
    removed: list[str] = []
    if not backup_dir.is_dir():
        return removed
    for item in sorted(backup_dir.iterdir()):
        if item.name.startswith((STAGING_PREFIX, DELETING_PREFIX)):
            remove_tree(item)
            removed.append(item.name)
    return removed


def ensure_backup_root(backup_dir: Path) -> None:
    make_private_dir(backup_dir)
