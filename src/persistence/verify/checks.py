"""Checks of a backup as a whole (each component checks itself: `Component.check`)."""

from __future__ import annotations

from pathlib import Path

from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, ComponentRecord


def unexpected_top_level(backup_path: Path, records: list[ComponentRecord]) -> list[str]:
    """Entries at the backup's root that no component and no manifest file explains."""
    expected = {MANIFEST_NAME, SIDECAR_NAME, *(r.name for r in records)}
    return sorted(entry.name for entry in backup_path.iterdir() if entry.name not in expected)
