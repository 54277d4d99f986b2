"""Offline deep check of a collection snapshot with Qdrant's own engine (qdrant-edge-py).

qdrant-edge cannot open a collection snapshot, but it can open one shard of it: each `N/`
folder of the archive is repacked as its own tar, unpacked and loaded by `EdgeShard`, and its
points are counted exactly. A damaged segment fails to load, which is the point of the check.

Caveat (reported in the result): `EdgeShard.load` does not replay the WAL, so points that were
still only in the WAL when the snapshot was taken are not counted.
"""

from __future__ import annotations

import copy
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from persistence.core.errors import QdrantError

WAL_CAVEAT = "points only in the write-ahead log at snapshot time are not counted"


class SnapshotCorruptError(QdrantError):
    """A snapshot archive or one of its segments cannot be read by the Qdrant engine."""


@dataclass(frozen=True)
class ShardCount:
    shard: int
    points: int
    segments: int


@dataclass(frozen=True)
class OfflineCount:
    shards: tuple[ShardCount, ...]
    total: int
    caveat: str = WAL_CAVEAT


def _shard_of(name: str) -> tuple[int, str] | None:
    parts = PurePosixPath(name.removeprefix("./")).parts
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), "/".join(parts[1:])


def _split_shard(archive: tarfile.TarFile, shard: int, out_path: Path) -> int:
    """Copy every member under `shard/` into a new tar without that prefix; count segments."""
    segments = 0
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as out:
        for member in archive:
            located = _shard_of(member.name)
            if located is None or located[0] != shard:
                continue
            inner = located[1]
            if ".." in PurePosixPath(inner).parts or member.issym() or member.islnk():
                raise SnapshotCorruptError(f"unsafe member {member.name!r} in the snapshot")
            clone = copy.copy(member)
            clone.name = inner
            if member.isfile():
                # Sparse members are expanded by extractfile; write them as plain files
                # since tarfile cannot write sparse headers.
                clone.type = tarfile.REGTYPE
                clone.sparse = None
                source = archive.extractfile(member)
                out.addfile(clone, source)
                if inner.startswith("segments/") and inner.endswith(".tar"):
                    segments += 1
            elif member.isdir():
                out.addfile(clone)
    return segments


def count_points_offline(snapshot_path: Path, workdir: Path) -> OfflineCount:
    """Count the points of every shard of a collection snapshot, exactly, with qdrant-edge.

    `workdir` receives one repacked tar and one unpacked shard at a time (about the size of a
    shard with sparse files expanded); it is emptied as it goes. Raises SnapshotCorruptError
    when the archive or a segment cannot be read.
    """
    from qdrant_edge import CountRequest, EdgeShard

    workdir.mkdir(parents=True, exist_ok=True)
    counts: list[ShardCount] = []
    try:
        with tarfile.open(snapshot_path, "r:") as archive:
            shard_ids = sorted(
                {loc[0] for m in archive.getmembers() if (loc := _shard_of(m.name)) is not None}
            )
            if not shard_ids:
                raise SnapshotCorruptError(
                    f"{snapshot_path.name} holds no shard folder: not a Qdrant collection snapshot"
                )
            for shard in shard_ids:
                shard_tar = workdir / f"shard-{shard}.tar"
                unpacked = workdir / f"shard-{shard}"
                try:
                    segments = _split_shard(archive, shard, shard_tar)
                    try:
                        EdgeShard.unpack_snapshot(str(shard_tar), str(unpacked))
                        edge = EdgeShard.load(str(unpacked))
                        try:
                            points = edge.count(CountRequest(exact=True))
                        finally:
                            edge.close()
                    except Exception as exc:  # the engine raises plain Exception
                        raise SnapshotCorruptError(
                            f"{snapshot_path.name}: shard {shard} cannot be loaded by the "
                            f"Qdrant engine: {_short(str(exc))}"
                        ) from None
                    counts.append(ShardCount(shard=shard, points=points, segments=segments))
                finally:
                    shard_tar.unlink(missing_ok=True)
                    shutil.rmtree(unpacked, ignore_errors=True)
    except (tarfile.TarError, EOFError) as exc:
        raise SnapshotCorruptError(f"{snapshot_path.name} is not a readable tar: {exc}") from None
    except OSError as exc:
        raise SnapshotCorruptError(f"cannot read {snapshot_path}: {exc.strerror}") from None
    return OfflineCount(shards=tuple(counts), total=sum(c.points for c in counts))


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 400 else line[:397] + "..."


def count_shard_offline(shard_path: Path, workdir: Path) -> int:
    """Count the points of a shard snapshot (one shard's files at the root) with qdrant-edge."""
    from qdrant_edge import CountRequest, EdgeShard

    unpacked = workdir / "shard"
    try:
        EdgeShard.unpack_snapshot(str(shard_path), str(unpacked))
        edge = EdgeShard.load(str(unpacked))
        try:
            return edge.count(CountRequest(exact=True))
        finally:
            edge.close()
    except Exception as exc:  # the engine raises plain Exception
        raise SnapshotCorruptError(
            f"{shard_path.name} cannot be loaded by the Qdrant engine: {_short(str(exc))}"
        ) from None
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
