"""Qdrant capture: server snapshots over REST, or a consistent copy of an embedded folder.

Public entry points for the other engines:
- `QdrantRestClient`, `upload_snapshot`, `minor_version_gap` for restore and drills;
- `count_points_offline` for the offline deep check of a snapshot file;
- `restore_embedded` to put an embedded folder back under the client's lock.
"""

from __future__ import annotations

from persistence.qdrant.client import (
    CollectionInfo,
    QdrantRestClient,
    QdrantTimeout,
    SnapshotInfo,
)
from persistence.qdrant.creation import create_snapshot, sweep_orphans
from persistence.qdrant.embedded import client_lock, copy_embedded, restore_embedded
from persistence.qdrant.journal import SnapshotJournal
from persistence.qdrant.offline import (
    OfflineCount,
    ShardCount,
    SnapshotCorruptError,
    count_points_offline,
)
from persistence.qdrant.snapshots import DownloadedSnapshot, download_snapshot
from persistence.qdrant.uploads import QdrantUploadError, UploadResult, upload_snapshot
from persistence.qdrant.versions import minor_version_gap

__all__ = [
    "CollectionInfo",
    "DownloadedSnapshot",
    "OfflineCount",
    "QdrantRestClient",
    "QdrantTimeout",
    "QdrantUploadError",
    "ShardCount",
    "SnapshotCorruptError",
    "SnapshotInfo",
    "SnapshotJournal",
    "UploadResult",
    "client_lock",
    "copy_embedded",
    "count_points_offline",
    "create_snapshot",
    "download_snapshot",
    "minor_version_gap",
    "restore_embedded",
    "sweep_orphans",
    "upload_snapshot",
]
