"""Backing up the collections of a Qdrant cluster, one shard snapshot per shard.

A collection snapshot holds only the shards local to the node that made it, so each shard is
snapshotted on a node where it is local and Active (`POST /collections/{c}/shards/{id}/
snapshots`), downloaded verified, and deleted there. The manifest keeps the layout needed to
recreate the collection (config, shard number, replication factor, shard keys, payload
indexes) and each shard file with its sha256 and points count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from persistence.core.settings import BackupSettings
from persistence.qdrant.creation import OrphanSweep, sweep_orphans
from persistence.qdrant.journal import SnapshotJournal
from persistence.qdrant.names import validate_collection_name
from persistence.qdrant.nodes import QdrantNodeClient, place_shards
from persistence.qdrant.snapshots import fetch_snapshot
from persistence.store.manifest import (
    FileRecord,
    QdrantClusterCollectionRecord,
    QdrantShardRecord,
)


@dataclass(frozen=True)
class ClusterCapture:
    collections: list[QdrantClusterCollectionRecord]
    files: list[FileRecord]
    warnings: list[str] = field(default_factory=lambda: [])
    orphans_removed: list[str] = field(default_factory=lambda: [])


@dataclass(frozen=True)
class _Collection:
    record: QdrantClusterCollectionRecord
    files: list[FileRecord]


def sweep_nodes(
    nodes: list[QdrantNodeClient], journal: SnapshotJournal | None, deadline: float
) -> OrphanSweep:
    """What earlier runs left on any node, deleted."""
    total = OrphanSweep()
    if journal is None:
        return total
    for node in nodes:
        swept = sweep_orphans(node, journal, deadline)
        total.removed.extend(swept.removed)
        total.warnings.extend(swept.warnings)
    return total


def capture_cluster(
    nodes: list[QdrantNodeClient],
    settings: BackupSettings,
    target_dir: Path,
    *,
    journal: SnapshotJournal | None,
    on_chunk: Callable[[int], None] | None = None,
) -> ClusterCapture:
    names = settings.collection_names() or nodes[0].list_collections()
    records: list[QdrantClusterCollectionRecord] = []
    files: list[FileRecord] = []
    for name in names:
        validate_collection_name(name)
        captured = _one_collection(nodes, settings, name, target_dir, journal, on_chunk)
        records.append(captured.record)
        files.extend(captured.files)
    warnings = [] if names else ["the Qdrant cluster has no collections"]
    return ClusterCapture(collections=records, files=files, warnings=warnings)


def _one_collection(
    nodes: list[QdrantNodeClient],
    settings: BackupSettings,
    collection: str,
    target_dir: Path,
    journal: SnapshotJournal | None,
    on_chunk: Callable[[int], None] | None,
) -> _Collection:
    placements = place_shards(nodes, collection)
    shards: list[QdrantShardRecord] = []
    files: list[FileRecord] = []
    for placement in placements:
        host = placement.hosts[0]
        fetched = fetch_snapshot(
            host,
            collection,
            target_dir / collection,
            poll_for=settings.qdrant_snapshot_deadline,
            deadline_seconds=settings.qdrant_download_deadline,
            delete_server_copy=True,
            on_chunk=on_chunk,
            journal=journal,
            shard=placement.shard_id,
        )
        got = fetched.downloaded
        relative = f"{collection}/{fetched.snapshot.name}"
        shards.append(
            QdrantShardRecord(
                shard_id=placement.shard_id,
                file=relative,
                size=got.size,
                sha256=got.sha256,
                points_count=placement.points_count,
                shard_key=placement.shard_key,
                node=host.shown_url,
            )
        )
        files.append(FileRecord(path=relative, size=got.size, sha256=got.sha256))
    # Read once every shard is saved, as close to the snapshots as the cluster allows.
    info = nodes[0].collection_info(collection)
    exact = nodes[0].count_points(collection)
    keys = [p.shard_key for p in placements if p.shard_key is not None]
    record = QdrantClusterCollectionRecord(
        name=collection,
        points_count=exact,
        vectors_config=info.vectors_config,
        shard_number=info.shard_number or len(placements),
        replication_factor=info.replication_factor,
        collection_config=info.config,
        payload_schema=info.payload_schema,
        shard_keys=list({str(k): k for k in keys}.values()),
        shards=shards,
    )
    return _Collection(record=record, files=files)
