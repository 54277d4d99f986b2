"""A real HTTP server that answers like Qdrant 1.19's REST API for the calls a backup makes.

It is a stand-in, not a mock: clients talk to it over TCP with their real HTTP stacks. The
shapes follow openapi.json (tests validate them against the spec and qdrant-client's models);
the behaviour follows SNAPSHOTS.md. State, faults and the request log are in state.py, the
HTTP plumbing in protocol.py, upload/recover in restore_routes.py, downloads in downloads.py,
cluster mode in cluster*.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.qdrant_standin.cluster_routes import ClusterRoutes
from tests.qdrant_standin.downloads import DownloadRoutes
from tests.qdrant_standin.protocol import StandinServer, collection_info, describe
from tests.qdrant_standin.restore_routes import RestoreRoutes
from tests.qdrant_standin.state import (
    Fault,
    RequestRecord,
    StandinCollection,
    StandinState,
    StoredSnapshot,
)

CHUNK = 64 * 1024


class _Handler(RestoreRoutes, ClusterRoutes, DownloadRoutes):
    # --- routes -------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], fault: Fault | None) -> None:
        if self.state.cluster is not None and path != "/":
            self._cluster_route(self.state.cluster, method, query)
            return
        creating = method == "POST" and path.endswith("/snapshots")
        if fault is not None and fault.delay_seconds and not creating:
            self.state.stop_event.wait(fault.delay_seconds)
        if path == "/" and method == "GET":
            info = {
                "title": "qdrant - vector search engine",
                "version": self.state.version,
                "commit": "4ab6d2ee0f6c718667e553b1055f3e944fef025f",
            }
            self._send(200, json.dumps(info).encode(), "application/json")
        elif path == "/collections" and method == "GET":
            with self.state.lock:
                names = [{"name": name} for name in self.state.collections]
            self._ok({"collections": names})
        elif path == "/cluster" and method == "GET":
            self._ok(self._cluster())
        elif (route := collection_route(self.segments)) is None:
            self._error(404, f"Not found: no route for {method} {path}")
        else:
            self._collection_routes(method, route, query, fault)

    def _collection_routes(
        self, method: str, route: tuple[str, str, str], query: dict[str, str], fault: Fault | None
    ) -> None:
        kind, name, snapshot = route
        if kind in ("upload", "recover"):
            if (method, kind) == ("POST", "upload"):
                self._upload(name, query, fault)
            elif (method, kind) == ("PUT", "recover"):
                self._recover_location(name, query)
            else:
                self._error(405, "Method Not Allowed")
        elif kind == "snapshots":
            if method == "POST":
                self._create_snapshot(name, query, fault)
            elif method == "GET" and (c := self._collection(name)):
                s3 = self.state.s3_storage
                with self.state.lock:
                    listed = [describe(s, s3=s3) for s in c.snapshots.values()]
                self._ok(listed)
        elif kind == "snapshot":
            if method == "GET":
                self._download(name, snapshot, fault)
            elif method == "DELETE":
                self._delete_snapshot(name, snapshot, query)
        elif kind == "count":
            if method == "POST" and (c := self._collection(name)):
                # `POST /collections/{c}/points/count` with `exact: true` counts for real.
                self._ok({"count": c.points_count})
        elif method == "GET" and (c := self._collection(name)):
            self._ok(collection_info(c, self.state.info_offset))
        elif method == "PUT":
            self._create_collection(name)
        elif method == "DELETE":
            self._delete_collection(name)

    def _cluster(self) -> dict[str, object]:
        state = self.state
        if state.peer_count <= 1:
            return {"status": "disabled"}
        peers = {
            str(state.peer_id + i): {"uri": f"http://qdrant-{i}:6335/"}
            for i in range(state.peer_count)
        }
        return {
            "status": "enabled",
            "peer_id": state.peer_id,
            "peers": peers,
            "raft_info": {
                "term": 3,
                "commit": 42,
                "pending_operations": 0,
                "leader": state.peer_id,
                "role": "Leader",
                "is_voter": True,
            },
            "consensus_thread_status": {
                "consensus_thread_status": "working",
                "last_update": "2026-11-21T10:00:00.000000Z",
            },
            "message_send_failures": {},
        }

    def _create_collection(self, name: str) -> None:
        try:
            config = json.loads(self.body or b"{}")
            dim = int(config["vectors"]["size"])
            shards = int(config.get("shard_number", 1))
        except (ValueError, KeyError, TypeError):
            self._error(400, "Bad request: Wrong input: vectors config is required")
            return
        from tests.qdrant_standin.archive import build_archive

        with self.state.lock:
            if name in self.state.collections:
                self._error(400, f"Bad request: Wrong input: Collection `{name}` already exists!")
                return
            self.state.add_collection(name, archive=build_archive(0, dim, shards))
        self._ok(True)

    def _delete_collection(self, name: str) -> None:
        with self.state.lock:
            removed = self.state.collections.pop(name, None)
        if removed is not None:
            for snap in removed.snapshots.values():
                snap.path.unlink(missing_ok=True)
        self._ok(removed is not None)

    def _create_snapshot(self, name: str, query: dict[str, str], fault: Fault | None) -> None:
        collection = self._collection(name)
        if collection is None or collection.archive is None:
            return
        # The name is fixed when the create starts, at one-second resolution
        # (`lib/collection/src/collection/snapshots.rs`); a create in the same second as a
        # running one gets the same name and replaces it (`snapshots_manager.rs`).
        stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        snap_name = f"{name}-{self.state.peer_id}-{stamp:%Y-%m-%d-%H-%M-%S}.snapshot"
        if fault is not None and fault.snapshot_name is not None:
            snap_name = fault.snapshot_name
        with self.state.lock:
            running = self.state.creates_running.get(snap_name, 0)
            if running:
                self.state.same_second_collisions += 1
            self.state.creates_running[snap_name] = running + 1

        def work() -> StoredSnapshot:
            try:
                if fault is not None and fault.delay_seconds:
                    self.state.stop_event.wait(fault.delay_seconds)
                return self._write_snapshot(collection, snap_name, stamp, fault)
            finally:
                with self.state.lock:
                    self.state.creates_running[snap_name] -= 1

        proxy = fault.proxy_status if fault is not None else None
        if query.get("wait", "true") == "false" or proxy is not None:
            # The create runs in a spawned task (`src/actix/helpers.rs`): 202 at once, or a
            # proxy's 502/504 while the server behind it goes on.
            threading.Thread(target=work, daemon=True).start()
            if proxy is not None:
                self._error(proxy, "Gateway Timeout", plain=True)
            else:
                self._accepted()
            return
        snapshot = work()
        self._ok(describe(snapshot, s3=self.state.s3_storage))

    def _write_snapshot(
        self, collection: StandinCollection, snap_name: str, stamp: datetime, fault: Fault | None
    ) -> StoredSnapshot:
        if fault is not None and fault.points_before_snapshot is not None:
            from tests.qdrant_standin.archive import build_archive

            written = build_archive(fault.points_before_snapshot, collection.dim, collection.shards)
            with self.state.lock:
                collection.archive, collection.points_count = written, written.points_count
                self.state.known_archives[written.sha256] = written
        with self.state.lock:
            archive = collection.archive
            assert archive is not None
            stored = self.state.snapshot_dir / f"{uuid.uuid4().hex}.snapshot"
            try:
                os.link(archive.path, stored)
            except OSError:
                shutil.copyfile(archive.path, stored)
            checksum = "0" * 64 if fault is not None and fault.wrong_checksum else archive.sha256
            snapshot = StoredSnapshot(snap_name, stored, archive.size, checksum, stamp.isoformat())
            replaced = collection.snapshots.get(snap_name)
            collection.snapshots[snap_name] = snapshot
        if replaced is not None:
            replaced.path.unlink(missing_ok=True)
        return snapshot

    def _snapshot(self, collection: str, name: str) -> StoredSnapshot | None:
        found = self._collection(collection)
        if found is None:
            return None
        with self.state.lock:
            snapshot = found.snapshots.get(name)
        if snapshot is None:
            self._error(404, f"Not found: Snapshot {name} not found")
        return snapshot

    def _delete_snapshot(self, collection: str, name: str, query: dict[str, str]) -> None:
        snapshot = self._snapshot(collection, name)
        if snapshot is None:
            return
        with self.state.lock:
            self.state.collections[collection].snapshots.pop(name, None)
        snapshot.path.unlink(missing_ok=True)
        if query.get("wait", "true") == "false":
            self._accepted()
        else:
            self._ok(True)


def collection_route(segments: list[str]) -> tuple[str, str, str] | None:
    """Route a `/collections/...` path from its DECODED segments, as Qdrant does.

    Returns (kind, collection, snapshot) with kind one of collection, count, snapshots,
    upload, recover, snapshot; None for anything else. Routing on segments (not on the decoded path)
    keeps `docs%23v2` one collection `docs#v2`, and `a%2Fb` one segment `a/b`.
    """
    if len(segments) < 2 or segments[0] != "collections" or not segments[1]:
        return None
    name, rest = segments[1], segments[2:]
    if not rest:
        return ("collection", name, "")
    if rest == ["points", "count"]:
        return ("count", name, "")
    if rest[0] != "snapshots":
        return None
    if len(rest) == 1:
        return ("snapshots", name, "")
    if len(rest) == 2 and rest[1]:
        if rest[1] in ("upload", "recover"):
            return (rest[1], name, "")
        return ("snapshot", name, rest[1])
    return None


class QdrantStandin:
    """The running stand-in: `.url`, `.state` (collections, faults, keys), `.requests`."""

    def __init__(self, workdir: Path) -> None:
        snapshot_dir = workdir / "snapshots"
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        self.state = StandinState(snapshot_dir)
        self._server = StandinServer(self.state, _Handler)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> QdrantStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down as a node does: no new connections, and the open ones are cut."""
        self.state.stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        with self.state.lock:
            for sock in self.state.open_sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    # Shortcuts so tests read naturally.
    @property
    def requests(self) -> list[RequestRecord]:
        return self.state.requests

    def add_collection(self, name: str, **kwargs: object) -> StandinCollection:
        return self.state.add_collection(name, **kwargs)  # type: ignore[arg-type]  # forwarded as-is

    def inject(self, fault: Fault) -> Fault:
        return self.state.inject(fault)

    def fail(self, method: str, path: str, status: int, error: str, times: int = 1) -> Fault:
        return self.inject(Fault(method, path, status=status, error=error, times=times))

    def set_keys(self, *, write: str | None, read: str | None = None) -> None:
        self.state.write_key, self.state.read_key = write, read

    def snapshot_names(self, collection: str) -> list[str]:
        return self.state.snapshot_names(collection)

    def all_snapshot_names(self) -> dict[str, list[str]]:
        return self.state.all_snapshot_names()

    def archive_bytes(self, collection: str) -> bytes:
        with self.state.lock:
            archive = self.state.collections[collection].archive
        assert archive is not None
        return archive.path.read_bytes()
