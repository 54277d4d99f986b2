"""Walking a live tree: every entry with its lstat, and the names a manifest can hold."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeEntry:
    relative: str  # POSIX path below the walked root
    location: str  # the absolute path, as scandir gave it
    info: os.stat_result  # lstat: a symlink is itself, never its target

    @property
    def path(self) -> Path:
        # Made on use: a tree of thousands of unchanged files links them without one.
        return Path(self.location)


def utf8_name(relative: str) -> bool:
    """Whether a path can go into a manifest (JSON, UTF-8): a name of bytes that are not UTF-8
    (a zip extracted with CP437 names) arrives as lone surrogates and cannot."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(relative: str) -> str:
    """A path that is not UTF-8, shown with its odd bytes escaped (\\xe9)."""
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def walk_tree(root: Path, vanished: list[Path] | None = None) -> list[TreeEntry]:
    """Every entry below `root`, sorted by relative path; symlinks are listed, never followed.

    An entry deleted while it is being listed is left out and, if `vanished` is given,
    reported there: a live app may delete files under us.
    """
    entries: list[TreeEntry] = []
    # (folder, its relative path + "/"): names are joined as strings, not through Path, which
    # took most of the walk's time for a tree of thousands of small files.
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as listing:
            for item in listing:
                try:
                    info = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    if vanished is not None:
                        vanished.append(Path(item.path))
                    continue
                relative = prefix + item.name
                entries.append(TreeEntry(relative, item.path, info))
                if stat.S_ISDIR(info.st_mode):
                    stack.append((item.path, relative + "/"))
    entries.sort(key=lambda e: e.relative)
    return entries
