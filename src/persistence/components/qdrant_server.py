"""The Qdrant server kind: one snapshot per collection over REST, on a single node."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from persistence.components.base import (
    ApplyContext,
    CaptureContext,
    CheckContext,
    PlanContext,
    restore_meter,
)
from persistence.components.files import check_files
from persistence.components.models import ComponentPlan, ComponentRestoreResult, Findings
from persistence.components.names import QDRANT_COMPONENT
from persistence.components.qdrant_server_checks import (
    check_archives,
    deep_check,
    drill_collections,
)
from persistence.components.qdrant_server_restore import plan_qdrant, restore_qdrant
from persistence.components.qdrant_skipped import make_qdrant_dir, not_in_backup
from persistence.core.progress import ComponentProgress, ThrottledProgress
from persistence.core.settings import BackupSettings, redact_url
from persistence.qdrant.client import QdrantRestClient
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


@dataclass(frozen=True)
class _Captured:
    record: QdrantCollectionRecord
    file: FileRecord
    warning: str | None


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
        make_qdrant_dir(ctx.target_dir, None)
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
            reporter = ThrottledProgress(progress)
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

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        found = check_files(folder, record, ctx.progress, strict_dirs=False)
        qdrant = record.qdrant
        if found.problems or record.status is not ComponentStatus.CAPTURED or qdrant is None:
            return found
        check_archives(folder, record, found)
        if found.problems:
            return found
        if ctx.deep:
            deep_check(folder, qdrant.collections, found)
        if ctx.drill:
            drill_collections(ctx.settings, folder, qdrant.collections, found)
        return found

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        if record is None or record.status is not ComponentStatus.CAPTURED:
            return not_in_backup(self.name, record)
        return plan_qdrant(ctx.settings, folder, record, if_empty=ctx.if_empty)

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        changing = sum(c.action != "leave" for c in step.collections)
        meter = restore_meter(step, ctx.progress, files_total=changing)
        # A forced restore never uploads a snapshot that failed verification.
        kept = [
            c.model_copy(update={"action": "leave"}) if c.snapshot_file in ctx.damaged else c
            for c in step.collections
        ]
        result = restore_qdrant(
            ctx.settings, folder, record, step.model_copy(update={"collections": kept}), meter
        )
        meter.finish()
        damaged = sorted(ctx.damaged)
        result.warnings += [f"not recovered, damaged in the backup: {p}" for p in damaged]
        return result

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        # Only the collections about to be replaced: the ones that do not exist yet have
        # nothing to save (undo leaves a collection it did not know about in place).
        replaced = [c.name for c in step.collections if c.action == "replace"]
        if not replaced:
            return None
        narrowed = self.settings.model_copy(update={"qdrant_collections": ",".join(replaced)})
        return ServerComponent(settings=narrowed).capture(ctx)

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        del folder, record
        return False

    def _one(
        self,
        client: QdrantRestClient,
        collection: str,
        target_dir: Path,
        reporter: ThrottledProgress,
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
