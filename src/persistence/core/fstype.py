"""Which filesystem holds a path, for the one durability rule that depends on it.

syncfs(2) on ext4, XFS, btrfs and f2fs commits the journal, which holds directory entries too:
after it every file and folder written below the mount is durable, and fsyncing each folder
again is wasted work. FUSE filesystems (before Linux 5.15 syncfs did not reach the FUSE
server at all), NFS, CIFS and anything unknown keep the per-folder fsync. tmpfs has nothing to
make durable.
"""

from __future__ import annotations

import os
from pathlib import Path

SYNCFS_COVERS_DIRECTORIES = frozenset({"ext4", "ext3", "xfs", "btrfs", "f2fs", "tmpfs"})
# Local filesystems whose kernel sets a file's ctime at every write and lets no one but root set
# it back. sshfs reports the mtime as ctime (SFTP has none), which the file's owner can set.
CTIME_KEPT_BY_KERNEL = frozenset(
    {"ext4", "ext3", "ext2", "xfs", "btrfs", "f2fs", "zfs", "tmpfs", "overlay"}
)
MOUNTINFO = Path("/proc/self/mountinfo")


def filesystem_type(path: Path) -> str | None:
    """The type of the mount holding `path` (longest mount point prefix), or None."""
    try:
        lines = MOUNTINFO.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)  # a plain string compare below
    best, best_type = "", None
    for line in lines:
        fields = line.split(" ")
        if " - " not in line or len(fields) < 5:
            continue
        mount_point = fields[4].replace("\\040", " ")
        fs_type = line.split(" - ", 1)[1].split(" ")[0]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fs_type
    return best_type


def syncfs_covers_directories(path: Path) -> bool:
    return filesystem_type(path) in SYNCFS_COVERS_DIRECTORIES


def ctime_kept_by_kernel(path: Path) -> bool:
    return filesystem_type(path) in CTIME_KEPT_BY_KERNEL
