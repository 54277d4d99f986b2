"""Cluster mode of the Qdrant stand-in: several nodes sharing one cluster view.

Each node is a full stand-in (its own port, its own peer id); the collections live in the
shared `ClusterView`, each shard placed on `replication_factor` peers. What a node answers
follows the server (qdrant/qdrant v1.19.0):
- `GET /collections/{c}/cluster` lists the shards local to the node asked and the remote
  ones with their peers (`CollectionClusterInfo` in openapi.json);
- shard snapshot routes answer 400 `Shard {id} is not a local or queue proxy shard` for a
  shard that is not local (`lib/collection/src/shards/shard_holder/mod.rs`);
- shard snapshots are named `{collection}-shard-{id}-{YYYY-MM-DD-HH-MM-SS}.snapshot`
  (same file) and hold one shard's files at the archive root;
- peer URIs in `/cluster` are internal p2p addresses, not REST URLs.
"""

from __future__ import annotations

from pathlib import Path

from tests.qdrant_standin.cluster_state import (
    ClusterCollection,
    ClusterShard,
    ClusterView,
    shard_archive,
)
from tests.qdrant_standin.server import QdrantStandin


class StandinCluster:
    """`nodes` stand-ins (peer ids 101, 102, ...) that share one `view`."""

    def __init__(self, workdir: Path, nodes: int = 3) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        peers = [101 + i for i in range(nodes)]
        self.view = ClusterView(peers=peers, workdir=workdir)
        self.nodes: list[QdrantStandin] = []
        for index, peer in enumerate(peers):
            node = QdrantStandin(workdir / f"node-{index}")
            node.state.peer_id = peer
            node.state.cluster = self.view
            self.nodes.append(node.start())

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def add_collection(
        self, name: str, *, shard_points: list[int], dim: int = 4, replication: int = 1
    ) -> ClusterCollection:
        shards = {
            shard_id: ClusterShard(
                shard_id,
                self.view.place(shard_id, replication),
                shard_archive(points, dim, self.view.workdir),
            )
            for shard_id, points in enumerate(shard_points)
        }
        collection = ClusterCollection(name, dim, replication, shards)
        with self.view.lock:
            self.view.collections[name] = collection
            for shard in shards.values():
                self.view.known[shard.data.sha256] = shard.data
        return collection

    def snapshot_count(self) -> int:
        with self.view.lock:
            return sum(
                len(s.snapshots) for c in self.view.collections.values() for s in c.shards.values()
            )

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
