"""A backup's manifest as bytes that match their recorded hash, before any validation.

Kept apart from the manifest's models so that a listing, which remembers what it showed of
each manifest by this hash (store.listing_cache), loads no model when nothing changed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import VerificationError
from persistence.store.manifest_io import read_capped

MANIFEST_NAME = "manifest.json"
SIDECAR_NAME = "manifest.json.sha256"
# A manifest lists every file: ~250 bytes each, so 128 MiB is half a million files. Far above
# any real one, far below what exhausts memory (a link to /dev/zero is refused before this).
MAX_MANIFEST_BYTES = 128 * 1024 * 1024
MAX_SIDECAR_BYTES = 4096


def sidecar_text(manifest_data: bytes) -> str:
    return sidecar_for(hashlib.sha256(manifest_data).hexdigest())


def sidecar_for(manifest_sha256: str) -> str:
    return f"{manifest_sha256}  {MANIFEST_NAME}\n"


@dataclass(frozen=True)
class SealedManifest:
    """A manifest's bytes, checked against the hash file beside it, and their sha256."""

    path: Path
    data: bytes
    sha256: str


def stat_signature(backup_path: Path) -> str | None:
    """Device, inode, size, mtime and ctime of the manifest and its hash file (None if either
    cannot be stat'ed). A write to either changes its ctime, which no one but root (through
    the clock or the raw disk) can set back."""
    parts: list[str] = []
    for name in (MANIFEST_NAME, SIDECAR_NAME):
        try:
            info = os.lstat(backup_path / name)
        except OSError:
            return None
        parts.append(
            f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
        )
    return "/".join(parts)


def read_sealed(backup_path: Path, *, check_sidecar: bool = True) -> SealedManifest:
    """The manifest's bytes once they match their recorded hash (VerificationError if not)."""
    manifest_path = backup_path / MANIFEST_NAME
    data, digest = read_capped(manifest_path, MAX_MANIFEST_BYTES, "manifest")
    if check_sidecar:
        sidecar_path = backup_path / SIDECAR_NAME
        try:
            sidecar, _ = read_capped(sidecar_path, MAX_SIDECAR_BYTES, "manifest hash file")
            recorded = sidecar.decode("ascii").split()[0]
        except (VerificationError, UnicodeDecodeError, IndexError) as exc:
            raise VerificationError(f"missing or empty manifest hash file {sidecar_path}") from exc
        if recorded != digest:
            raise VerificationError(
                f"{manifest_path} does not match its recorded hash: the manifest was changed"
            )
    return SealedManifest(manifest_path, data, digest)
