"""Restoring a cluster backup (manifest mode `cluster`): the plan and its application.

The work per collection is in qdrant/cluster_restore.py; this module turns it into the
restore's typed plan (one line per shard and the node it goes to) and result.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from persistence.components.models import (
    CollectionPlan,
    ComponentPlan,
    ComponentRestoreResult,
    ShardPlan,
)
from persistence.core.errors import QdrantError
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress
from persistence.core.settings import BackupSettings
from persistence.qdrant.cluster_restore import plan_cluster_collection, restore_cluster_collection
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.nodes import QdrantNodeClient, open_nodes
from persistence.store.manifest import ComponentRecord, QdrantClusterCollectionRecord

PLACED_ON_CREATE = "(placed by the server when the collection is created)"


def _nodes(settings: BackupSettings) -> AbstractContextManager[list[QdrantNodeClient]]:
    return open_nodes(
        settings.qdrant_urls(), api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    )


def plan_cluster(
    settings: BackupSettings,
    folder: Path,
    record: ComponentRecord,
    plan: ComponentPlan,
    *,
    force: bool,
) -> ComponentPlan:
    assert record.qdrant is not None
    collections = record.qdrant.cluster_collections
    for collection in collections:
        validate_collection_name(collection.name)
        for shard in collection.shards:
            join_inside(folder, shard.file)
    if not settings.qdrant_urls():
        plan.problems.append(
            "the backup holds cluster shard snapshots: set QDRANT_URL to every node's REST URL"
        )
        return plan
    try:
        with _nodes(settings) as nodes:
            plan.target = ", ".join(node.shown_url for node in nodes)
            for collection in collections:
                plan.collections.append(_plan_one(nodes, collection, plan, force=force))
    except QdrantError as exc:
        plan.problems.append(exc.message)
        return plan
    plan.action = "restore"
    plan.bytes_to_write = sum(c.bytes for c in plan.collections)
    return plan


def _plan_one(
    nodes: list[QdrantNodeClient],
    collection: QdrantClusterCollectionRecord,
    plan: ComponentPlan,
    *,
    force: bool,
) -> CollectionPlan:
    step = plan_cluster_collection(nodes, collection, force=force)
    if step.action == "refuse":
        plan.problems.append(f"{step.reason} (--force replaces it)")
    elif step.reason is not None:
        plan.warnings.append(f"{step.reason}: --force drops and recreates it")
    return CollectionPlan(
        name=collection.name,
        action="recover" if step.action == "create" else "replace",
        snapshot_file=f"{len(collection.shards)} shard file(s)",
        bytes=sum(s.size for s in collection.shards),
        points_expected=collection.points_count,
        shards=[
            ShardPlan(shard_id=s.shard_id, file=s.file, node=s.node or PLACED_ON_CREATE)
            for s in step.shards
        ],
    )


def restore_cluster(
    settings: BackupSettings,
    folder: Path,
    record: ComponentRecord,
    plan: ComponentPlan,
    meter: ComponentProgress,
) -> ComponentRestoreResult:
    assert record.qdrant is not None
    result = ComponentRestoreResult(name=record.name, ok=True, action=plan.action)
    by_name = {c.name: c for c in record.qdrant.cluster_collections}
    urls = settings.qdrant_urls()
    with open_nodes(
        urls, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    ) as nodes:
        for step in plan.collections:
            recorded = by_name[step.name]
            meter.advance(message=f"uploading {len(recorded.shards)} shard(s) of {step.name}")
            # The plan refused a differing layout unless --force: what reaches here may replace.
            restore_cluster_collection(nodes, folder, recorded, force=True)
            meter.advance(bytes_done=step.bytes, files_done=len(recorded.shards))
            result.bytes_written += step.bytes
            result.collections_recovered.append(step.name)
    return result
