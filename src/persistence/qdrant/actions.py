"""What each Qdrant request is for, and the typed answers the client hands out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from pydantic import JsonValue


class Action(Enum):
    """What a request was for: its label in messages and what a 403 means for it."""

    SERVER_VERSION = ("read the server version", "read the server (needs read access)")
    CLUSTER = ("read the cluster status", "read the cluster status (needs read access)")
    LIST_COLLECTIONS = ("list collections", "list collections (needs read access)")
    READ_COLLECTION = ("read the collection", "read this collection (needs read access)")
    COUNT_POINTS = ("count the points", "count points (needs read access)")
    CREATE_COLLECTION = ("create the collection", "create collections (needs manage access)")
    CREATE_SNAPSHOT = ("create a snapshot", "create snapshots (needs write access)")
    LIST_SNAPSHOTS = ("list snapshots", "list snapshots (needs read access)")
    DOWNLOAD_SNAPSHOT = ("download the snapshot", "download snapshots (needs read access)")
    DELETE_SNAPSHOT = ("delete the snapshot", "delete snapshots (needs write access)")
    UPLOAD_SNAPSHOT = ("upload the snapshot", "restore snapshots (needs manage access)")
    DELETE_COLLECTION = ("delete the collection", "delete collections (needs manage access)")

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def forbidden_hint(self) -> str:
        return f"this API key may not {self.value[1]}"


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    size: int
    checksum: str | None
    creation_time: str | None


@dataclass(frozen=True)
class SnapshotListing:
    snapshots: list[SnapshotInfo]
    server_now: datetime | None  # the server's clock (its Date header) when it listed them


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    points_count: int | None  # approximate: use count_points for an exact figure
    vectors_config: JsonValue
    shard_number: int | None = None
    replication_factor: int | None = None
    config: JsonValue = None  # the whole config as the server reports it
    payload_schema: JsonValue = None


@dataclass(frozen=True)
class ClusterView:
    """How many peers the server says it has; `warning` when it would not tell us."""

    peers: int | None
    warning: str | None
