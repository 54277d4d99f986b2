"""Helpers for engine tests that need to age or tamper with finished backups."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from persistence import service
from persistence.store.manifest import (
    MANIFEST_NAME,
    SIDECAR_NAME,
    load_manifest,
    manifest_bytes,
    sidecar_text,
)

if TYPE_CHECKING:
    from tests.conftest import AppState


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


def two_backups(app_state: AppState) -> list[str]:
    """Two backups made by the real create, oldest first: their ids."""
    ids: list[str] = []
    for _ in range(2):
        created = service.create_backup(app_state.settings, prune=False)
        assert created.ok, created.error
        ids.append(created.backup_id or "")
    return ids
