"""Helpers for engine tests that need to age or tamper with finished backups."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from persistence.store.manifest import (
    MANIFEST_NAME,
    SIDECAR_NAME,
    load_manifest,
    manifest_bytes,
    sidecar_text,
)


def backdate(backup: Path, started_at: datetime) -> None:
    """Rewrite a backup as if it had been made at `started_at` (manifest and its hash)."""
    manifest = load_manifest(backup).model_copy(
        update={"started_at": started_at, "finished_at": started_at}
    )
    data = manifest_bytes(manifest)
    (backup / MANIFEST_NAME).write_bytes(data)
    (backup / SIDECAR_NAME).write_text(sidecar_text(data))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
