"""The nodes of a cluster, as the REST URLs in QDRANT_URL name them.

The peer URIs `/cluster` reports are internal (the p2p port), not REST URLs, so the tool asks
every listed node which shards it holds itself (`GET /collections/{c}/cluster`) and uses, for
each shard, a node where it is local and Active: shard snapshot routes refuse a shard that is
not local with 400 (`lib/collection/src/shards/shard_holder/mod.rs` in qdrant/qdrant).
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from pydantic import JsonValue, SecretStr

from persistence.core.errors import QdrantError
from persistence.qdrant import models
from persistence.qdrant.actions import Action
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.wire import request_path

ACTIVE = "Active"


@dataclass(frozen=True)
class HostedShard:
    shard_id: int
    points_count: int | None
    shard_key: JsonValue


@dataclass(frozen=True)
class NodeShards:
    peer_id: int
    shard_count: int
    active_local: list[HostedShard]


class QdrantNodeClient(QdrantRestClient):
    def collection_shards(self, collection: str) -> NodeShards:
        action = Action.READ_COLLECTION
        response = self._send(
            "GET", request_path("collections", collection, "cluster"), action, collection
        )
        parsed = self._parse(
            response, models.Envelope[models.CollectionClusterInfo], action, collection
        ).result
        if parsed is None:
            raise self._error(action, collection, "the server sent no cluster info")
        return NodeShards(
            peer_id=parsed.peer_id,
            shard_count=parsed.shard_count,
            active_local=[
                HostedShard(s.shard_id, s.points_count, s.shard_key)
                for s in parsed.local_shards
                if s.state == ACTIVE
            ],
        )


@contextmanager
def open_nodes(
    urls: list[str], *, api_key: SecretStr | None, timeout: float
) -> Generator[list[QdrantNodeClient]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(QdrantNodeClient(url, api_key=api_key, timeout=timeout))
            for url in urls
        ]


@dataclass(frozen=True)
class ShardPlacement:
    shard_id: int
    hosts: list[QdrantNodeClient]  # nodes where the shard is local and Active
    points_count: int | None
    shard_key: JsonValue


def place_shards(nodes: list[QdrantNodeClient], collection: str) -> list[ShardPlacement]:
    """Every shard of `collection` with the listed nodes that hold it, or QdrantError."""
    found: dict[int, list[tuple[QdrantNodeClient, HostedShard]]] = {}
    shard_count = 0
    for node in nodes:
        shards = node.collection_shards(collection)
        shard_count = max(shard_count, shards.shard_count)
        for hosted in shards.active_local:
            found.setdefault(hosted.shard_id, []).append((node, hosted))
    missing = [shard for shard in range(shard_count) if shard not in found]
    if missing:
        raise QdrantError(
            f"Qdrant collection '{collection}': shard(s) {', '.join(map(str, missing))} are not "
            "active on any node listed in QDRANT_URL: list every node's REST URL there (and "
            "check that no node is down)"
        )
    return [
        ShardPlacement(
            shard_id=shard,
            hosts=[node for node, _ in found[shard]],
            points_count=found[shard][0][1].points_count,
            shard_key=found[shard][0][1].shard_key,
        )
        for shard in sorted(found)
    ]
