"""Restoring a cluster backup: same layout, each shard uploaded to a node that hosts it.

The collection is created with the recorded vectors, shard number and replication factor
(an existing one with another layout is refused unless forced: its shards would not match
the files), then every shard file goes to a node where that shard is local
(`POST /collections/{c}/shards/{id}/snapshots/upload?priority=snapshot&checksum=...`), and
the exact total is compared with the recorded one.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import JsonValue

from persistence.core.errors import BackupError, QdrantError
from persistence.core.paths import join_inside
from persistence.qdrant.nodes import QdrantNodeClient, place_shards
from persistence.qdrant.offline import count_shard_offline
from persistence.qdrant.uploads import upload_snapshot
from persistence.store.manifest import QdrantClusterCollectionRecord


@dataclass(frozen=True)
class ShardStep:
    shard_id: int
    file: str
    node: str | None  # where it will go; None until the collection exists


@dataclass(frozen=True)
class ClusterCollectionPlan:
    name: str
    action: str  # "create", "replace" or "refuse"
    reason: str | None
    shards: list[ShardStep]


def layout_difference(
    nodes: list[QdrantNodeClient], record: QdrantClusterCollectionRecord
) -> str | None:
    info = nodes[0].collection_info(record.name)
    differences: list[str] = []
    if info.shard_number != record.shard_number:
        differences.append(f"{info.shard_number} shards, the backup has {record.shard_number}")
    if record.vectors_config is not None and info.vectors_config != record.vectors_config:
        differences.append("other vector parameters")
    if not differences:
        return None
    return f"collection '{record.name}' exists with " + " and ".join(differences)


def plan_cluster_collection(
    nodes: list[QdrantNodeClient], record: QdrantClusterCollectionRecord, *, force: bool
) -> ClusterCollectionPlan:
    exists = record.name in nodes[0].list_collections()
    hosts: dict[int, str] = {}
    reason = None
    action = "create"
    if exists:
        reason = layout_difference(nodes, record)
        action = "refuse" if reason is not None and not force else "replace"
        if reason is None:
            hosts = {p.shard_id: p.hosts[0].shown_url for p in place_shards(nodes, record.name)}
    steps = [ShardStep(s.shard_id, s.file, hosts.get(s.shard_id)) for s in record.shards]
    return ClusterCollectionPlan(record.name, action, reason, steps)


def create_body(record: QdrantClusterCollectionRecord) -> JsonValue:
    body: dict[str, JsonValue] = {
        "vectors": record.vectors_config,
        "shard_number": record.shard_number,
    }
    if record.replication_factor is not None:
        body["replication_factor"] = record.replication_factor
    return body


def restore_cluster_collection(
    nodes: list[QdrantNodeClient],
    folder: Path,
    record: QdrantClusterCollectionRecord,
    *,
    force: bool,
) -> int:
    """Recreate one collection from its shard files; returns the exact count recovered."""
    plan = plan_cluster_collection(nodes, record, force=force)
    if plan.action == "refuse":
        raise QdrantError(f"Qdrant: {plan.reason}; refusing to restore into it (use --force)")
    if record.shard_keys:
        raise QdrantError(
            f"Qdrant collection '{record.name}' uses custom shard keys: restoring it is not "
            "supported yet (create the collection and its shard keys, then upload each shard)"
        )
    if plan.action == "replace" and plan.reason is not None:
        nodes[0].delete_collection(record.name)
    if plan.action == "create" or plan.reason is not None:
        nodes[0].create_collection(record.name, create_body(record))
    placed = {p.shard_id: p for p in place_shards(nodes, record.name)}
    for shard in record.shards:
        placement = placed.get(shard.shard_id)
        if placement is None:
            raise QdrantError(
                f"Qdrant collection '{record.name}': no node hosts shard {shard.shard_id}"
            )
        path = join_inside(folder, shard.file)
        upload_snapshot(
            placement.hosts[0], record.name, path, shard.sha256, "snapshot", shard.shard_id
        )
    points = nodes[0].count_points(record.name)
    if record.points_count is not None and points != record.points_count:
        raise QdrantError(
            f"Qdrant collection '{record.name}' recovered {points} points, the backup recorded "
            f"{record.points_count}"
        )
    return points


@dataclass(frozen=True)
class ShardCheck:
    shard_id: int
    file: str
    counted: int | None
    problem: str | None


def deep_check_shards(folder: Path, record: QdrantClusterCollectionRecord) -> list[ShardCheck]:
    """Count each shard file offline with qdrant-edge and compare with the recorded count."""
    checks: list[ShardCheck] = []
    for shard in record.shards:
        try:
            path = join_inside(folder, shard.file)
            with tempfile.TemporaryDirectory(prefix="verify-shard-") as work:
                counted = count_shard_offline(path, Path(work))
        except BackupError as exc:  # an unsafe path or a shard the engine cannot load
            checks.append(ShardCheck(shard.shard_id, shard.file, None, exc.message))
            continue
        problem = None
        if shard.points_count is not None and counted != shard.points_count:
            problem = (
                f"shard {shard.shard_id}: {counted} points counted offline, "
                f"{shard.points_count} recorded (points only in the WAL are not counted offline)"
            )
        checks.append(ShardCheck(shard.shard_id, shard.file, counted, problem))
    return checks
