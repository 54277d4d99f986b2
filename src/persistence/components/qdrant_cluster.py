"""The Qdrant component for a cluster: QDRANT_URL lists every node's REST URL.

Each shard is snapshotted on a node where it is local and active (qdrant/cluster_capture.py);
a node that is down fails the run, and whatever was already snapshotted is deleted from the
nodes (nothing half-made is left on a server, nothing half-written in the backup).
"""

from __future__ import annotations

from dataclasses import dataclass

from persistence.components.base import CaptureContext
from persistence.components.names import QDRANT_COMPONENT
from persistence.components.qdrant import ThrottledProgress
from persistence.core.fsio import make_private_dir
from persistence.core.progress import ComponentProgress
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
        make_private_dir(ctx.target_dir)
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
        total = sum(f.size for f in captured.files)
        progress.finish(f"{len(names)} collection(s), {len(captured.files)} shard file(s)")
        return ComponentRecord(
            name=self.name,
            status=ComponentStatus.CAPTURED,
            source=", ".join(shown),
            method=METHOD_SHARDS,
            bytes=total,
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
