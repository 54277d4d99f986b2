"""Shared state of the stand-in's cluster mode (routes: cluster_routes.py; nodes: cluster.py)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.qdrant_standin.archive import BuiltArchive, build_archive, sha256_file
from tests.qdrant_standin.state import StoredSnapshot


@dataclass(frozen=True)
class ShardArchive:
    path: Path
    sha256: str
    size: int
    points: int


@dataclass
class ClusterShard:
    shard_id: int
    peers: list[int]
    data: ShardArchive
    # (peer id, name) -> snapshot: a shard snapshot stays on the node that made it.
    snapshots: dict[tuple[int, str], StoredSnapshot] = field(default_factory=lambda: {})


@dataclass
class ClusterCollection:
    name: str
    dim: int
    replication_factor: int
    shards: dict[int, ClusterShard]

    @property
    def points(self) -> int:
        return sum(s.data.points for s in self.shards.values())


@dataclass
class ClusterView:
    peers: list[int]
    workdir: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    collections: dict[str, ClusterCollection] = field(default_factory=lambda: {})
    known: dict[str, ShardArchive] = field(default_factory=lambda: {})  # by sha256

    def place(self, shard_id: int, replication: int) -> list[int]:
        count = len(self.peers)
        return [self.peers[(shard_id + r) % count] for r in range(min(replication, count))]


@functools.cache
def shard_archive(points: int, dim: int, workdir: Path) -> ShardArchive:
    """One shard as Qdrant's shard snapshot holds it: the shard's files at the root.

    Unpacked and repacked by GNU tar so the engine's preallocated files stay sparse.
    """
    built: BuiltArchive = build_archive(points, dim, 1)
    out = workdir / f"shard-{points}-{dim}.tar"
    unpacked = workdir / f"shard-{points}-{dim}.d"
    unpacked.mkdir()
    try:
        subprocess.run(["tar", "-xf", str(built.path), "-C", str(unpacked)], check=True)
        members = sorted(p.name for p in (unpacked / "0").iterdir())
        command = ["tar", "--sparse", "--format=gnu", "-cf", str(out), "-C", str(unpacked / "0")]
        subprocess.run([*command, *members], check=True)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    return ShardArchive(out, sha256_file(out), out.stat().st_size, points)
