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
from persistence.qdrant.capture import (
    CapturedCollection,
    capture_collection,
    open_server,
    strict_name_warnings,
)
from persistence.qdrant.names import validate_collection_name
from persistence.store.manifest import ComponentRecord, ComponentStatus, QdrantRecord

logger = logging.getLogger(__name__)

COMPONENT_NAME = QDRANT_COMPONENT
METHOD_SNAPSHOT = "server-snapshot"


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
        make_qdrant_dir(ctx.target_dir, None)
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
