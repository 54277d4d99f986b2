"""Swapping a database file for another with its journals, safe at every step of a crash.

The old database's journals (`-wal`, `-shm`, `-journal`, DuckDB's `.wal`) must never sit
beside the new file: replayed onto it they show the old rows or corrupt pages. They must not
be deleted while the old file is still live either: they hold its committed transactions.
So the swap is journalled by its file names alone:

1. the new file is staged beside the target as `.<name>.restore-<pid>` (fsynced);
2. each old journal is renamed aside to `.<journal>.restore-aside-<pid>`;
3. the staged file is renamed onto the target (the commit point);
4. the aside journals are deleted.

A crash before step 3 leaves the staged file: the swap did not happen, so the next run puts
the journals back and removes the staged file. A crash after it leaves no staged file: the
swap happened, so the next run deletes the aside journals. Every step is a rename or unlink
followed by an fsync of the folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from persistence.core.fsio import fsync_dir

ASIDE_MARK = ".restore-aside-"


def staged_name(target: Path, pid: int) -> Path:
    return target.with_name(f".{target.name}.restore-{pid}")


def _aside_name(journal: Path, pid: int) -> Path:
    return journal.with_name(f".{journal.name}{ASIDE_MARK}{pid}")


def swap_in(staged: Path, target: Path, journals: list[Path]) -> list[str]:
    """Steps 2-4 for a staged, fsynced file; the names of the old journals it removed."""
    pid = os.getpid()
    present = [j for j in journals if j.exists() or j.is_symlink()]
    asides: list[Path] = []
    for journal in present:
        aside = _aside_name(journal, pid)
        journal.rename(aside)
        asides.append(aside)
    if asides:
        fsync_dir(target.parent)
    staged.rename(target)
    fsync_dir(target.parent)
    for aside in asides:
        aside.unlink()
    if asides:
        fsync_dir(target.parent)
    return [j.name for j in present]


def finish_interrupted_swaps(
    target: Path, journal_suffixes: tuple[str, ...], alive: Callable[[int], bool]
) -> list[str]:
    """Complete or undo the swaps of killed runs on `target`; one sentence per thing done."""
    if not target.parent.is_dir():
        return []
    pattern = re.compile(
        rf"\.({re.escape(target.name)}(?:{'|'.join(map(re.escape, journal_suffixes))}))"
        rf"{re.escape(ASIDE_MARK)}(\d+)"
    )
    messages: list[str] = []
    for entry in sorted(target.parent.iterdir()):
        found = pattern.fullmatch(entry.name)
        if found is None or alive(int(found.group(2))):
            continue
        journal = target.with_name(found.group(1))
        pid = int(found.group(2))
        if staged_name(target, pid).exists() and not journal.exists():
            entry.rename(journal)  # the swap never happened: the old file keeps its journal
            messages.append(
                f"put back {journal.name}: a restore (pid {pid}) was killed before "
                f"it replaced {target.name}"
            )
        else:
            entry.unlink()  # the swap happened: the old journal must never meet the new file
            messages.append(
                f"removed {entry.name}, the old journal of a database a killed "
                f"restore (pid {pid}) had already replaced"
            )
    if messages:
        fsync_dir(target.parent)
    return messages
