"""The routes a stand-in node answers in cluster mode (state: cluster_state.py).

Behaviour modelled on qdrant/qdrant v1.19.0: shard snapshot routes refuse a shard that is not
local with 400 (`lib/collection/src/shards/shard_holder/mod.rs`, `assert_shard_is_local`),
shard snapshot names `{collection}-shard-{id}-{YYYY-MM-DD-HH-MM-SS}.snapshot` (same file),
`/collections/{c}/cluster` as `CollectionClusterInfo` (openapi.json).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import UTC, datetime

from tests.qdrant_standin.archive import collection_config, sha256_file
from tests.qdrant_standin.cluster_state import (
    ClusterCollection,
    ClusterShard,
    ClusterView,
    ShardArchive,
    shard_archive,
)
from tests.qdrant_standin.protocol import BaseQdrantHandler, describe
from tests.qdrant_standin.restore_routes import multipart_file
from tests.qdrant_standin.state import StoredSnapshot


class ClusterRoutes(BaseQdrantHandler):
    def _cluster_route(self, view: ClusterView, method: str, query: dict[str, str]) -> None:
        seg = self.segments
        if seg == ["cluster"]:
            peers = {str(p): {"uri": f"http://qdrant-{p}:6335/"} for p in view.peers}
            self._ok({"status": "enabled", "peer_id": self.state.peer_id, "peers": peers})
        elif seg == ["collections"]:
            with view.lock:
                self._ok({"collections": [{"name": n} for n in view.collections]})
        elif len(seg) >= 2 and seg[0] == "collections":
            self._cluster_collection(view, method, seg[1], seg[2:], query)
        else:
            self._error(404, "Not found")

    def _cluster_collection(
        self, view: ClusterView, method: str, name: str, rest: list[str], query: dict[str, str]
    ) -> None:
        if not rest and method == "PUT":
            self._cluster_create(view, name)
            return
        with view.lock:
            collection = view.collections.get(name)
        if collection is None:
            self._error(404, f"Not found: Collection `{name}` doesn't exist!")
        elif not rest and method == "DELETE":
            with view.lock:
                view.collections.pop(name, None)
            self._ok(True)
        elif not rest:
            self._ok(_info(collection))
        elif rest == ["points", "count"]:
            self._ok({"count": collection.points})
        elif rest == ["cluster"]:
            self._ok(self._cluster_info(collection))
        elif len(rest) >= 3 and rest[0] == "shards" and rest[2] == "snapshots":
            self._shard_route(view, method, collection, rest[1], rest[3:], query)
        else:
            self._error(404, "Not found")

    def _cluster_info(self, collection: ClusterCollection) -> dict[str, object]:
        me = self.state.peer_id
        local = [
            {"shard_id": s.shard_id, "points_count": s.data.points, "state": "Active"}
            for s in collection.shards.values()
            if me in s.peers
        ]
        remote = [
            {"shard_id": s.shard_id, "peer_id": p, "state": "Active"}
            for s in collection.shards.values()
            for p in s.peers
            if p != me
        ]
        return {
            "peer_id": me,
            "shard_count": len(collection.shards),
            "local_shards": local,
            "remote_shards": remote,
            "shard_transfers": [],
        }

    def _cluster_create(self, view: ClusterView, name: str) -> None:
        try:
            body = json.loads(self.body or b"{}")
            dim = int(body["vectors"]["size"])
            count = int(body.get("shard_number", 1))
            replication = int(body.get("replication_factor", 1))
        except (ValueError, KeyError, TypeError):
            self._error(400, "Bad request: Wrong input: vectors config is required")
            return
        empty = shard_archive(0, dim, view.workdir)
        with view.lock:
            if name in view.collections:
                self._error(400, f"Bad request: Wrong input: Collection `{name}` already exists!")
                return
            shards = {i: ClusterShard(i, view.place(i, replication), empty) for i in range(count)}
            view.collections[name] = ClusterCollection(name, dim, replication, shards)
        self._ok(True)

    def _shard_route(
        self,
        view: ClusterView,
        method: str,
        collection: ClusterCollection,
        shard_text: str,
        rest: list[str],
        query: dict[str, str],
    ) -> None:
        shard = collection.shards.get(int(shard_text)) if shard_text.isdigit() else None
        if shard is None:
            self._error(404, f"Not found: Shard {shard_text} does not exist")
            return
        me = self.state.peer_id
        if me not in shard.peers:
            self._error(
                400, f"Bad request: Shard {shard.shard_id} is not a local or queue proxy shard"
            )
            return
        if not rest and method == "POST":
            self._ok(describe(self._shard_snapshot(view, collection.name, shard)))
        elif not rest and method == "GET":
            with view.lock:
                mine = [describe(s) for (p, _), s in shard.snapshots.items() if p == me]
            self._ok(mine)
        elif rest == ["upload"] and method == "POST":
            self._shard_upload(view, shard, query)
        elif len(rest) == 1 and (snap := shard.snapshots.get((me, rest[0]))) is not None:
            if method == "DELETE":
                with view.lock:
                    shard.snapshots.pop((me, rest[0]), None)
                self._ok(True)
            else:
                self._send(200, snap.path.read_bytes(), "application/octet-stream")
        else:
            self._error(404, f"Not found: Snapshot {rest[-1] if rest else ''} not found")

    def _shard_snapshot(
        self, view: ClusterView, collection: str, shard: ClusterShard
    ) -> StoredSnapshot:
        stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        name = f"{collection}-shard-{shard.shard_id}-{stamp:%Y-%m-%d-%H-%M-%S}.snapshot"
        stored = self.state.snapshot_dir / f"{uuid.uuid4().hex}.snapshot"
        shutil.copyfile(shard.data.path, stored)
        snap = StoredSnapshot(name, stored, shard.data.size, shard.data.sha256, stamp.isoformat())
        with view.lock:
            shard.snapshots[(self.state.peer_id, name)] = snap
        return snap

    def _shard_upload(self, view: ClusterView, shard: ClusterShard, query: dict[str, str]) -> None:
        boundary = re.search(r"boundary=\"?([^\";]+)", self.headers_lc.get("content-type", ""))
        part = multipart_file(self.body, boundary[1].encode()) if boundary else None
        if part is None:
            self._error(400, "Bad request: multipart field `snapshot` is required")
            return
        stored = self.state.snapshot_dir / f"{uuid.uuid4().hex}.shard"
        stored.write_bytes(part[1])
        actual = sha256_file(stored)
        wanted = query.get("checksum")
        if wanted is not None and wanted.lower() != actual:
            self._error(400, f"Bad request: Snapshot checksum mismatch: expected {wanted}")
            return
        known = view.known.get(actual)
        if known is None:
            # A shard this cluster did not build: count it with the real engine.
            from persistence.core.errors import BackupError
            from persistence.qdrant.offline import count_shard_offline

            work = stored.with_suffix(".work")
            try:
                points = count_shard_offline(stored, work)
            except BackupError as exc:
                self._error(400, f"Bad request: Invalid snapshot: {exc.message}")
                return
            finally:
                shutil.rmtree(work, ignore_errors=True)
            known = ShardArchive(stored, actual, stored.stat().st_size, points)
            view.known[actual] = known
        with view.lock:
            shard.data = ShardArchive(stored, actual, known.size, known.points)
        self._ok(True)


def _info(collection: ClusterCollection) -> dict[str, object]:
    config = collection_config(collection.dim, len(collection.shards))
    params = config["params"]
    assert isinstance(params, dict)
    params["replication_factor"] = collection.replication_factor
    return {
        "status": "green",
        "optimizer_status": "ok",
        "indexed_vectors_count": 0,
        "points_count": collection.points,
        "segments_count": len(collection.shards),
        "config": config,
        "payload_schema": {},
    }
