"""Each sealed backup's regular files as (inode, size) pairs, remembered between listings.

Counting the root's bytes after a backup was added or removed then walks only the backups it
has not seen (a create adds one), not every backup again: the walk of all of them grew with
the number kept times the files in each. Binary (uint64 pairs after a JSON header line), read
only when the remembered totals (store.footprint) do not match the backups present.
"""

from __future__ import annotations

import contextlib
import json
import sys
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, NonNegativeInt, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.errors import VerificationError
from persistence.store.manifest_io import read_capped

INODE_MAPS_NAME = ".footprint-inodes.bin"
_MAGIC = b"app-backup inode maps 1\n"
_MAX_BYTES = 512 * 1024 * 1024  # 16 bytes a file: millions of files across the backups kept
_PAIR_BYTES = 16

# (backup id, identity): the identity is the manifest's sha256 and the backup folder's device
# and inode (store.footprint), so a backup re-made or copied back under its id is another one.
MapKey = tuple[str, str]


class _Stored(BaseModel):
    backup_id: str
    identity: str
    files: NonNegativeInt


class _Header(BaseModel):
    byteorder: Literal["little", "big"]
    backups: list[_Stored]


def new_map() -> array[int]:
    """inode, size, inode, size, ... of one backup's regular files."""
    return array("Q")


def load_maps(backup_dir: Path) -> dict[MapKey, array[int]]:
    """The remembered maps ({} when there are none, or they are unreadable or planted)."""
    try:
        data, _ = read_capped(backup_dir / INODE_MAPS_NAME, _MAX_BYTES, "inode maps")
        if not data.startswith(_MAGIC):
            return {}
        header_end = data.index(b"\n", len(_MAGIC))
        header = _Header.model_validate_json(data[len(_MAGIC) : header_end])
    except (VerificationError, ValidationError, ValueError):
        return {}
    body = memoryview(data)[header_end + 1 :]
    if header.byteorder != sys.byteorder:
        return {}  # a root carried over from another machine: walked again
    if len(body) != _PAIR_BYTES * sum(b.files for b in header.backups):
        return {}
    maps: dict[MapKey, array[int]] = {}
    offset = 0
    for stored in header.backups:
        pairs = new_map()
        pairs.frombytes(body[offset : offset + _PAIR_BYTES * stored.files])
        offset += _PAIR_BYTES * stored.files
        maps[(stored.backup_id, stored.identity)] = pairs
    return maps


def save_maps(backup_dir: Path, maps: Mapping[MapKey, array[int]]) -> None:
    """Best effort: a read-only or full backup disk only walks again next time."""
    header = {
        "byteorder": sys.byteorder,
        "backups": [
            {"backup_id": i, "identity": s, "files": len(p) // 2} for (i, s), p in maps.items()
        ],
    }
    parts = [_MAGIC, json.dumps(header).encode(), b"\n", *(p.tobytes() for p in maps.values())]
    with contextlib.suppress(OSError):
        write_atomic(backup_dir / INODE_MAPS_NAME, b"".join(parts))
