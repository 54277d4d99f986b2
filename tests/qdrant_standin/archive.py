"""Builds collection snapshot archives in Qdrant's layout, with real segments from qdrant-edge.

Layout (see /work/shared/qdrant/SNAPSHOTS.md): at the root `version.info`, `config.json`,
`payload_index.json`; one folder per shard `N/` with `replica_state.json`,
`shard_config.json`, clock files, `segments/<uuid>.tar` (each segment's files under
`snapshot/files/`) and `wal/`. The edge engine preallocates 32 MiB files that are mostly
holes, so the archives are written by GNU tar with `--sparse` (as Qdrant's own may contain
sparse members): a 20-point collection gives an archive of a few tens of KiB.

Archives are built once per process (lru_cache) under a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeVectorParams,
    Point,
    UpdateOperation,
)

QDRANT_VERSION = "1.19.0"


@dataclass(frozen=True)
class BuiltArchive:
    path: Path
    sha256: str
    size: int
    points_count: int
    shard_counts: tuple[int, ...]
    dim: int


@functools.cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="qdrant-standin-archives-"))
    atexit.register(shutil.rmtree, root, True)
    return root


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def collection_config(dim: int, shards: int) -> dict[str, object]:
    """What Qdrant stores as config.json (and reports as CollectionInfo.config)."""
    return {
        "params": {
            "vectors": {"size": dim, "distance": "Cosine"},
            "shard_number": shards,
            "replication_factor": 1,
            "write_consistency_factor": 1,
            "on_disk_payload": True,
        },
        "hnsw_config": {
            "m": 16,
            "ef_construct": 100,
            "full_scan_threshold": 10000,
            "max_indexing_threads": 0,
            "on_disk": False,
        },
        "optimizer_config": {
            "deleted_threshold": 0.2,
            "vacuum_min_vector_number": 1000,
            "default_segment_number": 0,
            "max_segment_size": None,
            "indexing_threshold": 10000,
            "flush_interval_sec": 5,
            "max_optimization_threads": None,
        },
        "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0, "wal_retain_closed": 1},
        "quantization_config": None,
    }


def _tar(archive: Path, cwd: Path, members: list[str]) -> None:
    subprocess.run(
        ["tar", "--sparse", "--format=gnu", "-cf", str(archive), "-C", str(cwd), *members],
        check=True,
        capture_output=True,
    )


def _build_shard(work: Path, shard_dir: Path, ids: list[int], dim: int, corrupt: bool) -> int:
    edge_dir = work / "edge"
    shard = EdgeShard.create(
        str(edge_dir), EdgeConfig(vectors=EdgeVectorParams(size=dim, distance=Distance.Cosine))
    )
    try:
        if ids:
            points = [
                Point(
                    id=i,
                    vector=[((i * 7 + k) % 13) / 13.0 + 0.01 for k in range(dim)],
                    payload={"n": i, "text": f"point {i}"},
                )
                for i in ids
            ]
            shard.update(UpdateOperation.upsert_points(points))
        shard.flush()
        counted = shard.count(CountRequest(exact=True))
    finally:
        shard.close()
    (shard_dir / "segments").mkdir(parents=True)
    for segment in sorted((edge_dir / "segments").iterdir()):
        staged = work / f"seg-{segment.name}"
        (staged / "snapshot").mkdir(parents=True)
        segment.rename(staged / "snapshot" / "files")
        if corrupt:
            # Garbage where the segment state belongs: loading this segment must fail.
            (staged / "snapshot" / "files" / "segment.json").write_bytes(b"\x00garbage{")
            corrupt = False
        _tar(shard_dir / "segments" / f"{segment.name}.tar", staged, ["snapshot"])
    (edge_dir / "wal").rename(shard_dir / "wal")
    (shard_dir / "replica_state.json").write_text(
        json.dumps({"peers": {"1": "Active"}, "this_peer_id": 1}), encoding="utf-8"
    )
    (shard_dir / "shard_config.json").write_text(json.dumps({"type": "Local"}), encoding="utf-8")
    (shard_dir / "newest_clocks.json").write_text(json.dumps({"clocks": []}), encoding="utf-8")
    return counted


def build_archive(
    points: int = 20, dim: int = 4, shards: int = 1, corrupt: bool = False
) -> BuiltArchive:
    """A collection snapshot with `points` points spread over `shards` shards (cached)."""
    # One cache key per shape, whatever the call form: the file on disk is per shape too.
    return _build_archive(points, dim, shards, corrupt)


@functools.cache
def _build_archive(points: int, dim: int, shards: int, corrupt: bool) -> BuiltArchive:
    key = f"p{points}-d{dim}-s{shards}{'-corrupt' if corrupt else ''}"
    work = _root() / key
    layout = work / "layout"
    layout.mkdir(parents=True)
    (layout / "version.info").write_text(QDRANT_VERSION, encoding="utf-8")
    (layout / "config.json").write_text(
        json.dumps(collection_config(dim, shards)), encoding="utf-8"
    )
    (layout / "payload_index.json").write_text(json.dumps({"schema": {}}), encoding="utf-8")
    counts: list[int] = []
    for shard in range(shards):
        ids = [i for i in range(1, points + 1) if i % shards == shard]
        counts.append(
            _build_shard(
                work / f"build-{shard}", layout / str(shard), ids, dim, corrupt and shard == 0
            )
        )
    archive = work / f"{key}.snapshot"
    _tar(
        archive,
        layout,
        ["version.info", "config.json", "payload_index.json", *[str(s) for s in range(shards)]],
    )
    shutil.rmtree(layout)
    for shard in range(shards):
        shutil.rmtree(work / f"build-{shard}", ignore_errors=True)
    return BuiltArchive(
        path=archive,
        sha256=sha256_file(archive),
        size=archive.stat().st_size,
        points_count=sum(counts),
        shard_counts=tuple(counts),
        dim=dim,
    )


def build_big_file(path: Path, size: int) -> BuiltArchive:
    """A `size`-byte sparse file with real bytes at both ends, and its real sha256.

    For the download benchmark: what matters there is the byte count and an honest checksum,
    not that the engine can read it.
    """
    with path.open("wb") as handle:
        handle.write(b"qdrant-standin big snapshot\n" * 1024)
        handle.truncate(size)
        handle.seek(size - 4096)
        handle.write(os.urandom(4096))
    return BuiltArchive(
        path=path, sha256=sha256_file(path), size=size, points_count=0, shard_counts=(0,), dim=4
    )
