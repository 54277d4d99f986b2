"""The few Qdrant REST shapes a backup reads, as small pydantic models.

qdrant-client's generated models describe the same shapes, but importing them costs about
65 MiB of memory and a second of start-up; a backup needs a handful of fields. The tests
check that the stand-in's answers parse with both these models and qdrant-client's, and
validate them against the official openapi.json, so these cannot drift silently.
Unknown fields are ignored: newer servers add fields.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue

T = TypeVar("T")


class QdrantModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(QdrantModel, Generic[T]):
    """`{"result": ..., "status": "ok", "time": ...}`; `result` is absent on 202 answers."""

    result: T | None = None
    status: str | None = None
    time: float | None = None


class ErrorStatus(QdrantModel):
    error: str | None = None


class ErrorResponse(QdrantModel):
    """`{"status": {"error": "..."}, "time": ...}`."""

    status: ErrorStatus | None = None
    time: float | None = None


class VersionInfo(QdrantModel):
    title: str
    version: str
    commit: str | None = None


class SnapshotDescription(QdrantModel):
    name: str
    creation_time: str | None = None
    size: int
    checksum: str | None = None


class CollectionDescription(QdrantModel):
    name: str


class CollectionsResponse(QdrantModel):
    collections: list[CollectionDescription]


class CollectionParams(QdrantModel):
    vectors: JsonValue = None
    shard_number: int | None = None
    replication_factor: int | None = None


class CollectionConfig(QdrantModel):
    params: CollectionParams


class CollectionInfo(QdrantModel):
    points_count: int | None = None  # approximate, as the spec says
    config: CollectionConfig


class RawCollectionInfo(QdrantModel):
    """The same answer, its config and payload indexes kept whole for the manifest."""

    config: JsonValue = None
    payload_schema: JsonValue = None


class CountResult(QdrantModel):
    count: int


class ClusterStatus(QdrantModel):
    """`{"status": "disabled"}` or `{"status": "enabled", "peers": {...}, ...}`."""

    status: str
    peers: dict[str, JsonValue] | None = None


class LocalShard(QdrantModel):
    shard_id: int
    points_count: int | None = None
    state: str
    shard_key: JsonValue = None


class RemoteShard(QdrantModel):
    shard_id: int
    peer_id: int
    state: str
    shard_key: JsonValue = None


class CollectionClusterInfo(QdrantModel):
    """`GET /collections/{c}/cluster`: the shards of the node asked, and the others'."""

    peer_id: int
    shard_count: int
    local_shards: list[LocalShard]
    remote_shards: list[RemoteShard]
