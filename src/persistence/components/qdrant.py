"""The Qdrant backup component: server snapshots over REST, or a copy of an embedded folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from persistence.components.base import CaptureContext
from persistence.components.names import QDRANT_COMPONENT
from persistence.core.errors import QdrantError
from persistence.core.fsio import make_private_dir
from persistence.core.progress import ComponentProgress
from persistence.core.settings import BackupSettings, redact_url
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.embedded import copy_embedded
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.snapshots import fetch_snapshot
from persistence.store.manifest import (
    ComponentRecord,
    ComponentStatus,
    FileRecord,
    QdrantCollectionRecord,
    QdrantRecord,
)

logger = logging.getLogger(__name__)

COMPONENT_NAME = QDRANT_COMPONENT
METHOD_SNAPSHOT = "server-snapshot"
METHOD_EMBEDDED = "embedded-copy"
# Progress events are throttled to one per this many bytes: a 1 GiB download would otherwise
# emit one event per network read.
PROGRESS_STEP = 4 * 1024 * 1024


class _ThrottledProgress:
    def __init__(self, progress: ComponentProgress) -> None:
        self._progress = progress
        self._pending = 0

    def __call__(self, size: int) -> None:
        self._pending += size
        if self._pending >= PROGRESS_STEP:
            self.flush()

    def flush(self, message: str = "") -> None:
        if self._pending or message:
            self._progress.advance(bytes_done=self._pending, message=message)
            self._pending = 0


@dataclass(frozen=True)
class _Captured:
    record: QdrantCollectionRecord
    file: FileRecord
    warning: str | None


@dataclass(frozen=True)
class SkippedComponent:
    reason: str
    name: str = COMPONENT_NAME

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        del ctx
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.SKIPPED,
            method=self.reason,
            qdrant=QdrantRecord(mode="not-configured") if self.reason == "not configured" else None,
        )


@dataclass(frozen=True)
class ServerComponent:
    """Snapshot every selected collection of a single-node server, one after the other."""

    settings: BackupSettings
    name: str = COMPONENT_NAME

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        settings = self.settings
        assert settings.qdrant_url is not None
        progress = ComponentProgress(component=self.name, callback=ctx.progress)
        progress.start(f"Qdrant server {redact_url(settings.qdrant_url)}")
        _make_dir(ctx.target_dir, None)
        warnings: list[str] = []
        if settings.qdrant_path is not None:
            warnings.append("QDRANT_PATH is ignored because QDRANT_URL is set")
        with QdrantRestClient(
            settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
        ) as client:
            version = client.server_version()
            client.require_single_node(
                "this backup could not be restored: back up each node separately or use a "
                "single-node server"
            )
            names = settings.collection_names() or client.list_collections()
            for name in names:
                validate_collection_name(name)
            if not names:
                warnings.append("the Qdrant server has no collections")
            reporter = _ThrottledProgress(progress)
            captured = [self._one(client, name, ctx.target_dir, reporter) for name in names]
        warnings.extend(c.warning for c in captured if c.warning)
        total = sum(c.file.size for c in captured)
        progress.finish(f"{len(captured)} Qdrant collection(s), {total} bytes")
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=client.shown_url,
            method=METHOD_SNAPSHOT,
            bytes=total,
            file_count=len(captured),
            files=[c.file for c in captured],
            warnings=warnings,
            qdrant=QdrantRecord(
                mode="server",
                url=client.shown_url,
                server_version=version,
                collections=[c.record for c in captured],
            ),
        )

    def _one(
        self,
        client: QdrantRestClient,
        collection: str,
        target_dir: Path,
        reporter: _ThrottledProgress,
    ) -> _Captured:
        settings = self.settings
        fetched = fetch_snapshot(
            client,
            collection,
            target_dir / collection,
            poll_for=settings.qdrant_timeout,
            deadline_seconds=settings.qdrant_download_deadline,
            delete_server_copy=settings.qdrant_delete_server_snapshot,
            on_chunk=reporter,
        )
        downloaded = fetched.downloaded
        reporter.flush(f"{collection}: {downloaded.size} bytes")
        relative = f"{collection}/{fetched.snapshot.name}"
        record = QdrantCollectionRecord(
            name=collection,
            snapshot_name=fetched.snapshot.name,
            file=relative,
            size=downloaded.size,
            sha256=downloaded.sha256,
            server_checksum=downloaded.server_checksum,
            points_count=fetched.info.points_count,
            vectors_config=fetched.info.vectors_config,
            server_snapshot_deleted=fetched.server_copy_deleted,
        )
        file = FileRecord(path=relative, size=downloaded.size, sha256=downloaded.sha256)
        return _Captured(record=record, file=file, warning=fetched.warning)


@dataclass(frozen=True)
class EmbeddedComponent:
    """Copy a qdrant-client local-mode folder under the client's own lock."""

    folder: Path
    name: str = COMPONENT_NAME

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        if not self.folder.is_dir():
            return ComponentRecord(
                name=self.name,
                status=ComponentStatus.ABSENT,
                source=str(self.folder),
                method=METHOD_EMBEDDED,
                warnings=[f"embedded Qdrant folder {self.folder} does not exist"],
                qdrant=QdrantRecord(mode="embedded"),
            )
        progress = ComponentProgress(component=self.name, callback=ctx.progress)
        progress.start(f"embedded Qdrant {self.folder}")
        reporter = _ThrottledProgress(progress)
        copied = copy_embedded(self.folder, ctx.target_dir, reporter)
        reporter.flush()
        progress.finish(f"{len(copied.files)} file(s), {copied.bytes} bytes")
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=str(self.folder),
            method=METHOD_EMBEDDED,
            bytes=copied.bytes,
            file_count=len(copied.files),
            files=copied.files,
            warnings=copied.warnings,
            qdrant=QdrantRecord(mode="embedded"),
        )


def _make_dir(path: Path, collection: str | None) -> None:
    try:
        make_private_dir(path)
    except OSError as exc:
        where = f"Qdrant collection '{collection}'" if collection else "Qdrant"
        raise QdrantError(f"{where}: cannot create {path}: {exc.strerror}") from None
