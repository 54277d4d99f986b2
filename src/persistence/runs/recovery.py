"""What a killed restore leaves beside its targets, put back or cleaned up.

A restore stages beside each target (same filesystem, so the last step is a rename):
`.restore-<name>-<pid>` (a tree being rebuilt), `.restore-old-<name>-<pid>` (the live tree
renamed aside; between the two renames of a swap it is the ONLY copy of the live tree) and
`.<name>.restore-<pid>` (a database copy). A leftover whose process is gone is recovered: when
the target is missing, the `.restore-old-` tree goes back into place; then the leftovers are
removed. Call it under the backup lock (no restore of ours can be running then).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from persistence.core.fsio import fsync_dir, remove_any
from persistence.core.journal_swap import finish_interrupted_swaps
from persistence.core.paths import SafePaths
from persistence.core.processes import process_alive

# SQLite's and DuckDB's journal suffixes (the same as components.files names them).
DATABASE_JOURNALS = ("-wal", "-shm", "-journal", ".wal")


def recover_interrupted_restores(paths: SafePaths) -> list[str]:
    """Recover the leftovers of killed restores; one sentence per thing done (or left)."""
    targets = [
        paths.storage_dir,
        paths.uploads_dir,
        paths.logs_dir,
        paths.cache_db,
        paths.analytics_db,
        *([paths.qdrant_path] if paths.qdrant_path is not None else []),
    ]
    messages: list[str] = []
    for target in targets:
        messages += _recover(target)
    return messages


def _leftovers(target: Path) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    """(`.restore-old-` trees, every other staging leftover) of `target`, with their pids."""
    name = re.escape(target.name)
    old = re.compile(rf"\.restore-old-{name}-(\d+)")
    others = (re.compile(rf"\.restore-{name}-(\d+)"), re.compile(rf"\.{name}\.restore-(\d+)"))
    olds: list[tuple[Path, int]] = []
    rest: list[tuple[Path, int]] = []
    for entry in sorted(target.parent.iterdir()):
        if found := old.fullmatch(entry.name):
            olds.append((entry, int(found.group(1))))
        elif found := next((m for p in others if (m := p.fullmatch(entry.name))), None):
            rest.append((entry, int(found.group(1))))
    return olds, rest


def _recover(target: Path) -> list[str]:
    if not target.parent.is_dir():
        return []
    # Before the staged copies are removed below: whether one is still there says whether
    # a database swap happened (see journal_swap).
    messages = finish_interrupted_swaps(target, DATABASE_JOURNALS, process_alive)
    olds, rest = _leftovers(target)
    stale: list[tuple[Path, int]] = []
    for path, pid in [*olds, *rest]:
        if process_alive(pid):
            whose = "this process's id" if pid == os.getpid() else f"the id of running {pid}"
            messages.append(
                f"left {path} alone: it carries {whose}; remove it by hand if no restore is running"
            )
        else:
            stale.append((path, pid))
    missing = not (target.exists() or target.is_symlink())
    asides = [(p, pid) for p, pid in stale if (p, pid) in olds and p.is_dir()]
    if missing and asides:
        # Killed between the two renames of a swap: the aside tree is the live one. With
        # several (only if recovery never ran between kills), the last renamed is the newest.
        back, pid = max(asides, key=lambda item: item[0].lstat().st_ctime_ns)
        back.rename(target)
        fsync_dir(target.parent)
        stale.remove((back, pid))
        messages.append(
            f"put back {target} from {back.name}: a restore (pid {pid}) was killed between "
            "renaming the live tree aside and moving the restored one in"
        )
    for path, pid in stale:
        try:
            remove_any(path)
        except OSError as exc:
            messages.append(f"could not remove {path} left by a killed restore: {exc.strerror}")
            continue
        messages.append(f"removed {path}, left by a killed restore (pid {pid})")
    if stale:
        fsync_dir(target.parent)
    return messages
