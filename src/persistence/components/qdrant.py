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
from persistence.qdrant.capture import (
    CapturedCollection,
    capture_collection,
    open_server,
    strict_name_warnings,
)
from persistence.qdrant.embedded import copy_embedded
from persistence.qdrant.names import validate_collection_name
from persistence.store.manifest import ComponentRecord, ComponentStatus, QdrantRecord

logger = logging.getLogger(__name__)

COMPONENT_NAME = QDRANT_COMPONENT
METHOD_SNAPSHOT = "server-snapshot"
METHOD_EMBEDDED = "embedded-copy"
# Progress events are throttled to one per this many bytes: a 1 GiB download would otherwise
# emit one event per network read.
PROGRESS_STEP = 4 * 1024 * 1024


class ThrottledProgress:
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
    """Snapshot every selected collection of a single-node server, one after the other.

    Opening the server first deletes what earlier runs left there (the snapshot journal).
    """

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
        with open_server(settings, settings.qdrant_url) as session:
            client = session.client
            warnings.extend(session.warnings)
            version = client.server_version()
            unknown = client.require_single_node(
                "this backup could not be restored: list every node's REST URL in QDRANT_URL "
                "(comma-separated) to back up a cluster shard by shard"
            )
            warnings.extend([unknown] if unknown else [])
            names = settings.collection_names() or client.list_collections()
            for name in names:
                validate_collection_name(name)
            warnings.extend(strict_name_warnings(names))
            if not names:
                warnings.append("the Qdrant server has no collections")
            reporter = ThrottledProgress(progress)
            captured: list[CapturedCollection] = []
            for name in names:
                one = capture_collection(session, settings, name, ctx.target_dir, reporter)
                reporter.flush(f"{name}: {one.file.size} bytes")
                captured.append(one)
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
                orphans_removed=session.orphans_removed,
            ),
        )


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
        reporter = ThrottledProgress(progress)
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
