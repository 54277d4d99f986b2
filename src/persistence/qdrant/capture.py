"""One collection of a single-node server into the backup: snapshot, exact count, layout.

Shared by the backup component and the start-up snapshots. The journal lives in the backup
root; opening a server through `open_server` first deletes what earlier runs left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from persistence.core.errors import QdrantError
from persistence.core.settings import BackupSettings
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.creation import sweep_orphans
from persistence.qdrant.journal import SnapshotJournal
from persistence.qdrant.snapshots import fetch_snapshot
from persistence.qdrant.uploads import strict_name_problem
from persistence.store.manifest import FileRecord, QdrantCollectionRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapturedCollection:
    record: QdrantCollectionRecord
    file: FileRecord
    warning: str | None


@dataclass(frozen=True)
class ServerSession:
    client: QdrantRestClient
    journal: SnapshotJournal | None
    orphans_removed: list[str] = field(default_factory=lambda: [])
    warnings: list[str] = field(default_factory=lambda: [])


def journal_for(settings: BackupSettings) -> SnapshotJournal | None:
    """The journal in the backup root; None when there is no backup root to hold it yet."""
    root = settings.resolved().backup_dir
    return SnapshotJournal(root) if root.is_dir() else None


@contextmanager
def open_server(settings: BackupSettings, url: str) -> Generator[ServerSession]:
    """A client for `url`, after deleting the snapshots earlier runs left on that server."""
    journal = journal_for(settings)
    with QdrantRestClient(
        url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    ) as client:
        removed: list[str] = []
        warnings: list[str] = []
        if journal is not None:
            try:
                swept = sweep_orphans(client, journal, settings.qdrant_snapshot_deadline)
            except QdrantError as exc:
                warnings.append(f"leftover snapshots not checked: {exc.message}")
            else:
                removed, warnings = swept.removed, list(swept.warnings)
        yield ServerSession(client, journal, removed, warnings)


def strict_name_warnings(names: list[str]) -> list[str]:
    """Collections Qdrant >= 1.5 would not let us restore under the same name."""
    return [problem for name in names if (problem := strict_name_problem(name)) is not None]


def capture_collection(
    session: ServerSession,
    settings: BackupSettings,
    collection: str,
    target_dir: Path,
    on_chunk: Callable[[int], None] | None = None,
) -> CapturedCollection:
    fetched = fetch_snapshot(
        session.client,
        collection,
        target_dir / collection,
        poll_for=settings.qdrant_snapshot_deadline,
        deadline_seconds=settings.qdrant_download_deadline,
        delete_server_copy=settings.qdrant_delete_server_snapshot,
        on_chunk=on_chunk,
        journal=session.journal,
    )
    downloaded, info = fetched.downloaded, fetched.info
    relative = f"{collection}/{fetched.snapshot.name}"
    record = QdrantCollectionRecord(
        name=collection,
        snapshot_name=fetched.snapshot.name,
        file=relative,
        size=downloaded.size,
        sha256=downloaded.sha256,
        server_checksum=downloaded.server_checksum,
        points_count=fetched.exact_count,
        points_count_exact=fetched.exact_count is not None,
        vectors_config=info.vectors_config,
        shard_number=info.shard_number,
        replication_factor=info.replication_factor,
        collection_config=info.config,
        payload_schema=info.payload_schema,
        server_snapshot_deleted=fetched.server_copy_deleted,
    )
    file = FileRecord(path=relative, size=downloaded.size, sha256=downloaded.sha256)
    return CapturedCollection(record=record, file=file, warning=fetched.warning)
