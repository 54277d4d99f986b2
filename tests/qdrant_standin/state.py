"""State, faults and the request log of the Qdrant stand-in (the HTTP side is in server.py)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.qdrant_standin.archive import BuiltArchive, build_archive

if TYPE_CHECKING:
    from tests.qdrant_standin.cluster_state import ClusterView


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next `times` requests matching method + path.

    `path` is a regular expression matched in full against the URL path (no query string),
    e.g. r"/collections/docs/snapshots/.*".
    """

    method: str
    path: str
    status: int | None = None  # answer with this status and Qdrant's error envelope
    error: str = "Service internal error: injected failure"
    plain_text: bool = False  # error body as text/plain, as Qdrant's auth layer sends it
    truncate_after: int | None = None  # announce the full length, close after K body bytes
    stall_after: int | None = None  # send K body bytes, then stall for stall_seconds
    stall_seconds: float = 0.0
    # Do the work only after this delay. For a create, the snapshot's name is fixed before
    # the delay and the create finishes even if the client gave up meanwhile, as Qdrant's
    # spawned create task does (`src/actix/helpers.rs`, `time_or_accept`).
    delay_seconds: float = 0.0
    # A reverse proxy in front: answer this status (502/504) at once while the server behind
    # it goes on with the request (a create still finishes).
    proxy_status: int | None = None
    # Close the connection without any answer (a keep-alive connection dropped under it).
    drop_connection: bool = False
    # Run this first (e.g. stop another node: a node going down in the middle of a run).
    before: Callable[[], None] | None = None
    wrong_checksum: bool = False  # create: report a checksum that does not match the bytes
    # create: report (and list) the snapshot under this name; upload: the server keeps the
    # uploaded file under this name instead of the uploaded file name (not listed unless it
    # ends with .snapshot, as on Qdrant)
    snapshot_name: str | None = None
    # create: writes land just before the snapshot is taken: the collection then holds this
    # many points (a freshly built archive of the same shape), and so does the snapshot
    points_before_snapshot: int | None = None
    # upload: meanwhile another client creates a snapshot of the collection with this
    # name (a real one, with its checksum)
    other_snapshot: str | None = None
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method.upper() == method.upper() and re.fullmatch(self.path, path) is not None


@dataclass
class StoredSnapshot:
    name: str
    path: Path  # the stand-in's own safe file name, whatever `name` says
    size: int
    checksum: str | None
    creation_time: str


@dataclass
class StandinCollection:
    name: str
    dim: int
    shards: int
    points_count: int  # the exact count (`POST /collections/{c}/points/count`)
    archive: BuiltArchive | None
    snapshots: dict[str, StoredSnapshot] = field(default_factory=lambda: {})
    # What collection info reports as points_count when it differs from the exact count:
    # the spec calls it approximate, and the optimizer runs right after a recovery.
    info_points: int | None = None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    status: int


class StandinState:
    """Everything the stand-in knows; every access goes through `lock`."""

    def __init__(self, snapshot_dir: Path) -> None:
        self.lock = threading.RLock()
        self.stop_event = threading.Event()
        self.snapshot_dir = snapshot_dir
        self.collections: dict[str, StandinCollection] = {}
        self.faults: list[Fault] = []
        self.requests: list[RequestRecord] = []
        self.write_key: str | None = None
        self.read_key: str | None = None
        # (user, password) a reverse proxy in front of the server demands as basic auth.
        self.basic_auth: tuple[str, str] | None = None
        self.peer_count = 1
        self.peer_id = 5473838211472834
        self.gzip_when_allowed = True
        self.version = "1.19.0"
        # sha256 -> archive built by the stand-in, to know the points of an uploaded file.
        self.known_archives: dict[str, BuiltArchive] = {}
        # key -> the collections it may touch: a collection-scoped JWT (403 on /cluster).
        self.scoped_keys: dict[str, set[str]] = {}
        # `snapshots_config.snapshots_storage: s3`: listings carry no checksum and uploads
        # stay on local disk, out of the listing.
        self.s3_storage = False
        # `service.http_keep_alive_timeout_sec` (`src/settings.rs`, default 5): an idle
        # connection is closed; a request that arrives in the last `idle_race` seconds before
        # that meets a connection being closed and gets no answer.
        self.idle_close_seconds = 5.0
        self.idle_race = 1.0
        # Uploaded files a failed recovery left on disk for a collection that does not exist
        # (`<snapshots>/<collection>/<file>`), by collection.
        self.stray_uploads: dict[str, list[str]] = {}
        # How many creates started in the same second as a still-running create of the same
        # collection (the later one overwrites the earlier: `snapshots_manager.rs`).
        self.same_second_collisions = 0
        self.creates_running: dict[str, int] = {}
        self.connections = 0  # TCP connections accepted
        # Added to every collection's info count (not to the exact count): an optimizer at
        # work after a recovery makes the approximate count drift.
        self.info_offset = 0
        self.open_sockets: list[socket.socket] = []  # closed when the node goes down
        self.cluster: ClusterView | None = None  # cluster mode: the view shared by all nodes

    def add_collection(
        self,
        name: str,
        *,
        points: int = 20,
        dim: int = 4,
        shards: int = 1,
        archive: BuiltArchive | None = None,
    ) -> StandinCollection:
        """Add a collection directly (no name validation: hostile names are allowed here)."""
        built = archive if archive is not None else build_archive(points, dim, shards)
        collection = StandinCollection(
            name=name,
            dim=built.dim,
            shards=len(built.shard_counts),
            points_count=built.points_count,
            archive=built,
        )
        with self.lock:
            self.known_archives[built.sha256] = built
            self.collections[name] = collection
        return collection

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def snapshot_names(self, collection: str) -> list[str]:
        with self.lock:
            found = self.collections.get(collection)
            return sorted(found.snapshots) if found else []

    def all_snapshot_names(self) -> dict[str, list[str]]:
        with self.lock:
            return {name: sorted(c.snapshots) for name, c in self.collections.items()}

    def uploads_to(self, path_regex: str) -> list[RequestRecord]:
        """Snapshot uploads that carried a file (not the body-less access probes)."""
        return [r for r in self.requests_to("POST", path_regex) if r.query]

    def requests_to(self, method: str, path_regex: str) -> list[RequestRecord]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r.method == method and re.fullmatch(path_regex, r.path) is not None
            ]
