"""Qdrant capture: server snapshots over REST, or a consistent copy of an embedded folder.

Public entry points for the other engines:
- `build_component` for the backup run;
- `QdrantRestClient`, `upload_snapshot`, `minor_version_gap` for restore and drills;
- `count_points_offline` for the offline deep check of a snapshot file;
- `restore_embedded` to put an embedded folder back under the client's lock.
"""

from __future__ import annotations

from persistence.components.base import BackupComponent
from persistence.qdrant.client import (
    CollectionInfo,
    QdrantRestClient,
    QdrantTimeout,
    SnapshotInfo,
)
from persistence.qdrant.component import (
    COMPONENT_NAME,
    EmbeddedComponent,
    ServerComponent,
    SkippedComponent,
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
from persistence.settings import BackupSettings, ResolvedPaths

__all__ = [
    "COMPONENT_NAME",
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
    "build_component",
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


def build_component(
    settings: BackupSettings, paths: ResolvedPaths, *, skip: bool
) -> BackupComponent:
    """The Qdrant component for this run: skipped, a server, or an embedded folder."""
    if skip:
        return SkippedComponent(reason="skipped (--no-qdrant)")
    if settings.qdrant_url:
        return ServerComponent(settings=settings)
    if paths.qdrant_path is not None:
        return EmbeddedComponent(folder=paths.qdrant_path)
    return SkippedComponent(reason="not configured")
