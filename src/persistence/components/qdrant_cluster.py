"""The Qdrant cluster kind: QDRANT_URL lists every node's REST URL, one snapshot per shard.

Each shard is snapshotted on a node where it is local and active (qdrant/cluster_capture.py);
a node that is down fails the run, and whatever was already snapshotted is deleted from the
nodes (nothing half-made is left on a server, nothing half-written in the backup). Checks
count each shard file offline; a restore recreates the layout and uploads each shard to a
node that hosts it (qdrant_cluster_restore.py).
"""

from __future__ import annotations

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
from persistence.components.qdrant_cluster_restore import plan_cluster, restore_cluster
from persistence.components.qdrant_server_checks import deep_check_cluster
from persistence.components.qdrant_skipped import make_qdrant_dir, not_in_backup
from persistence.core.progress import ComponentProgress, ThrottledProgress
from persistence.core.settings import BackupSettings
from persistence.qdrant.capture import journal_for, strict_name_warnings
from persistence.qdrant.cluster_capture import capture_cluster, sweep_nodes
from persistence.qdrant.nodes import open_nodes
from persistence.store.manifest import ComponentRecord, ComponentStatus, QdrantRecord

METHOD_SHARDS = "cluster-shard-snapshots"


@dataclass(frozen=True)
class ClusterComponent:
    settings: BackupSettings
    name: str = QDRANT_COMPONENT

    def capture(self, ctx: CaptureContext) -> ComponentRecord:
        settings = self.settings
        urls = settings.qdrant_urls()
        progress = ComponentProgress(component=self.name, callback=ctx.progress)
        progress.start(f"Qdrant cluster of {len(urls)} node(s)")
        make_qdrant_dir(ctx.target_dir, None)
        journal = journal_for(settings)
        with open_nodes(
            urls, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
        ) as nodes:
            swept = sweep_nodes(nodes, journal, settings.qdrant_snapshot_deadline)
            version = nodes[0].server_version()
            reporter = ThrottledProgress(progress)
            captured = capture_cluster(
                nodes, settings, ctx.target_dir, journal=journal, on_chunk=reporter
            )
            reporter.flush()
            shown = [node.shown_url for node in nodes]
        names = [c.name for c in captured.collections]
        warnings = [*swept.warnings, *captured.warnings, *strict_name_warnings(names)]
        progress.finish(f"{len(names)} collection(s), {len(captured.files)} shard file(s)")
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=", ".join(shown),
            method=METHOD_SHARDS,
            bytes=sum(f.size for f in captured.files),
            file_count=len(captured.files),
            files=captured.files,
            warnings=warnings,
            qdrant=QdrantRecord(
                mode="cluster",
                url=shown[0],
                nodes=shown,
                server_version=version,
                cluster_collections=captured.collections,
                orphans_removed=swept.removed,
            ),
        )

    def check(self, folder: Path, record: ComponentRecord, ctx: CheckContext) -> Findings:
        found = check_files(folder, record, ctx.progress, strict_dirs=False)
        qdrant = record.qdrant
        if found.problems or record.status is not ComponentStatus.CAPTURED or qdrant is None:
            return found
        if ctx.deep:
            deep_check_cluster(folder, qdrant.cluster_collections, found)
        if ctx.drill:
            found.notes.append("no drill for a cluster backup: restore it into a spare cluster")
        return found

    def plan_restore(
        self, folder: Path, record: ComponentRecord | None, ctx: PlanContext
    ) -> ComponentPlan:
        if record is None or record.status is not ComponentStatus.CAPTURED:
            return not_in_backup(self.name, record)
        plan = ComponentPlan(name=self.name, action="leave")
        return plan_cluster(ctx.settings, folder, record, plan, force=ctx.force)

    def apply_restore(
        self, folder: Path, record: ComponentRecord, step: ComponentPlan, ctx: ApplyContext
    ) -> ComponentRestoreResult:
        meter = restore_meter(step, ctx.progress, files_total=len(record.files))
        result = restore_cluster(ctx.settings, folder, record, step, meter)
        meter.finish()
        return result

    def save_before_restore(
        self, step: ComponentPlan, ctx: CaptureContext
    ) -> ComponentRecord | None:
        replaced = [c.name for c in step.collections if c.action == "replace"]
        if not replaced:
            return None
        narrowed = self.settings.model_copy(update={"qdrant_collections": ",".join(replaced)})
        return ClusterComponent(settings=narrowed).capture(ctx)

    def damage_is_expected(self, folder: Path, record: ComponentRecord) -> bool:
        del folder, record
        return False
