"""What killed runs leave in the backup root and beside the data, cleaned by every command.

Called under the backup lock, so no run of this tool on this root is alive: staging and
half-deleted folders, temp files of atomic writes whose writer is gone, and the leftovers of
killed restores (put back or removed, see `recovery`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from persistence.core.atomic import atomic_temp_owner
from persistence.core.paths import SafePaths
from persistence.core.processes import process_alive
from persistence.runs.recovery import recover_interrupted_restores
from persistence.store.staging import remove_leftovers


@dataclass(frozen=True)
class Cleanup:
    """`removed`: folders and files of killed runs; `recovered`: what restore recovery did."""

    removed: list[str] = field(default_factory=lambda: [])
    recovered: list[str] = field(default_factory=lambda: [])


def _remove_stale_temp_files(backup_dir: Path) -> list[str]:
    removed: list[str] = []
    for item in sorted(backup_dir.iterdir()):
        # write_atomic's temps (runs.json, the lock holder file) of writers that were killed
        owner = atomic_temp_owner(item.name)
        if owner is not None and item.is_file() and not process_alive(owner):
            item.unlink()
            removed.append(item.name)
    return removed


def clean_leftovers(paths: SafePaths) -> Cleanup:
    if not paths.backup_dir.is_dir():
        return Cleanup(recovered=recover_interrupted_restores(paths))
    removed = remove_leftovers(paths.backup_dir) + _remove_stale_temp_files(paths.backup_dir)
    return Cleanup(removed=removed, recovered=recover_interrupted_restores(paths))
