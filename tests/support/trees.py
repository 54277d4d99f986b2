"""Compare folder trees before and after a run."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tree_digest(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under root: content hash, symlink target or 'dir', with mode and mtime.

    Entries whose relative path starts with one of `skip` are left out.
    """
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if skip and relative.startswith(skip):
            continue
        info = path.lstat()
        if path.is_symlink():
            what = f"link:{os.readlink(path)}"
        elif path.is_dir():
            what = "dir"
        else:
            what = hashlib.sha256(path.read_bytes()).hexdigest()
        # The manifest keeps mtimes as float seconds: compare them to the millisecond.
        found[relative] = f"{what} mode={info.st_mode:o} mtime={info.st_mtime_ns // 1_000_000}"
    return found
