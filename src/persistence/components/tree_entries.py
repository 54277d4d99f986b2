"""Which entries of a walked tree a manifest can record, and the warnings for the others."""

from __future__ import annotations

import stat

from persistence.core.walk import TreeEntry, printable, utf8_name


def _link_target(entry: TreeEntry) -> str:
    if not stat.S_ISLNK(entry.info.st_mode):
        return ""
    try:
        return str(entry.path.readlink())
    except OSError:  # gone since the walk: the copy says so
        return ""


def recordable_entries(entries: list[TreeEntry], warnings: list[str]) -> list[TreeEntry]:
    """The entries a manifest can name: a name (or a link target) that is not UTF-8 is skipped
    with one warning (for a folder, none more for what is inside it), never the whole run."""
    kept: list[TreeEntry] = []
    for entry in entries:
        if utf8_name(entry.relative) and utf8_name(_link_target(entry)):
            kept.append(entry)
            continue
        parent = entry.relative.rpartition("/")[0]
        if utf8_name(parent):
            warnings.append(
                f"{printable(entry.location)}: the name or link target is not UTF-8 and cannot "
                "be recorded: skipped (rename it to back it up)"
            )
    return kept


def not_regular_warning(entry: TreeEntry) -> str:
    return f"{entry.path} is not a regular file (fifo, socket or device): skipped"
