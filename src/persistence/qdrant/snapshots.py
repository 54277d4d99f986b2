"""Snapshot life cycle on a server: create (creation.py), stream, verify, delete."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import QdrantError
from persistence.core.fsio import PRIVATE_FILE_MODE, fsync_dir, make_private_dir, write_all
from persistence.qdrant.actions import CollectionInfo, SnapshotInfo
from persistence.qdrant.client import QdrantRestClient
from persistence.qdrant.creation import CreatePolicy, create_snapshot
from persistence.qdrant.journal import SnapshotJournal
from persistence.qdrant.names import validate_snapshot_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownloadedSnapshot:
    path: Path
    size: int
    sha256: str
    server_checksum: str | None


def download_snapshot(
    client: QdrantRestClient,
    collection: str,
    snapshot: SnapshotInfo,
    target: Path,
    *,
    deadline_seconds: float,
    on_chunk: Callable[[int], None] | None = None,
    shard: int | None = None,
) -> DownloadedSnapshot:
    """Stream the snapshot to `<target>.part` in fixed chunks, verify it, rename into place.

    Memory stays bounded by the chunk size whatever the snapshot size. Any failure removes the
    `.part` file and raises QdrantError naming the collection.
    """
    name = validate_snapshot_name(collection, snapshot.name)
    part = target.with_name(target.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise QdrantError(
            f"Qdrant collection '{collection}': cannot write {part}: {exc.strerror}"
        ) from None
    try:
        try:
            stream = _SnapshotStream(client, collection, name, shard, deadline_seconds)
            received = stream.write_to(fd, part, on_chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        _check(collection, name, snapshot, received.size, received.sha256)
        part.replace(target)
        fsync_dir(target.parent)
    except OSError as exc:
        _remove(part)
        raise QdrantError(
            f"Qdrant collection '{collection}': cannot write {part}: {exc.strerror}"
        ) from None
    except BaseException:
        _remove(part)
        raise
    return DownloadedSnapshot(
        path=target, size=received.size, sha256=received.sha256, server_checksum=snapshot.checksum
    )


@dataclass(frozen=True)
class _Received:
    size: int
    sha256: str


@dataclass(frozen=True)
class _SnapshotStream:
    client: QdrantRestClient
    collection: str
    name: str
    shard: int | None
    deadline_seconds: float

    def write_to(self, fd: int, part: Path, on_chunk: Callable[[int], None] | None) -> _Received:
        started = time.monotonic()
        digest = hashlib.sha256()
        size = 0
        # A stall must not outlive the total deadline, so no single read may wait longer than it.
        read_timeout = min(self.client.timeout, self.deadline_seconds)
        with self.client.stream_snapshot(
            self.collection, self.name, read_timeout=read_timeout, shard=self.shard
        ) as response:
            # No fixed chunk_size here: each network read (at most httpcore's 64 KiB) is
            # written at once, so memory stays bounded and the deadline is checked even
            # when a stalling server trickles a few bytes at a time.
            for chunk in response.iter_bytes():
                digest.update(chunk)
                write_all(fd, chunk, part)
                size += len(chunk)
                if on_chunk is not None:
                    on_chunk(len(chunk))
                if time.monotonic() - started > self.deadline_seconds:
                    raise QdrantError(
                        f"Qdrant collection '{self.collection}': download of {self.name} passed "
                        f"its deadline of {self.deadline_seconds:g} s after {size} bytes "
                        "(QDRANT_DOWNLOAD_DEADLINE)"
                    )
        return _Received(size, digest.hexdigest())


@dataclass(frozen=True)
class FetchedSnapshot:
    info: CollectionInfo  # read right after the create, before the (slow) download
    exact_count: int | None  # POST .../points/count {"exact": true}; None for one shard
    snapshot: SnapshotInfo
    downloaded: DownloadedSnapshot
    server_copy_deleted: bool
    warning: str | None  # why the server copy is still there, when it could not be deleted


def fetch_snapshot(
    client: QdrantRestClient,
    collection: str,
    folder: Path,
    *,
    poll_for: float,
    deadline_seconds: float,
    delete_server_copy: bool,
    on_chunk: Callable[[int], None] | None = None,
    journal: SnapshotJournal | None = None,
    shard: int | None = None,
) -> FetchedSnapshot:
    """Create a snapshot, stream it verified into `folder`, and delete the server's copy.

    `poll_for` is how long a late snapshot may take to appear (QDRANT_SNAPSHOT_DEADLINE).
    What we created never stays on the server after a failure, whatever the setting says;
    the journal entry goes only once nothing is left to clean up.
    """
    created = create_snapshot(client, collection, CreatePolicy(poll_for, journal), shard)
    snapshot = created.info
    validate_snapshot_name(collection, snapshot.name)
    try:
        captured = _count_then_download(
            client,
            collection,
            snapshot,
            folder,
            deadline_seconds=deadline_seconds,
            on_chunk=on_chunk,
            shard=shard,
        )
    except QdrantError as exc:
        problem = delete_quietly(client, collection, snapshot.name, shard)
        _settle(journal, created.journal_id, problem)
        if problem is None:
            raise
        raise QdrantError(f"{exc.message}; also, the {problem}") from None
    except BaseException:
        _settle(
            journal, created.journal_id, delete_quietly(client, collection, snapshot.name, shard)
        )
        raise
    warning: str | None = None
    if delete_server_copy:
        problem = delete_quietly(client, collection, snapshot.name, shard)
        if problem is not None:
            warning = f"Qdrant collection '{collection}': {problem}"
            logger.warning("%s", warning)
    _settle(journal, created.journal_id, warning)
    return FetchedSnapshot(
        info=captured.info,
        exact_count=captured.exact_count,
        snapshot=snapshot,
        downloaded=captured.downloaded,
        server_copy_deleted=delete_server_copy and warning is None,
        warning=warning,
    )


@dataclass(frozen=True)
class _Captured:
    info: CollectionInfo
    exact_count: int | None
    downloaded: DownloadedSnapshot


def _count_then_download(
    client: QdrantRestClient,
    collection: str,
    snapshot: SnapshotInfo,
    folder: Path,
    *,
    deadline_seconds: float,
    on_chunk: Callable[[int], None] | None,
    shard: int | None,
) -> _Captured:
    # Read right after the snapshot exists: read before the create, writes in between
    # would make it disagree with the snapshot. Still the live collection's count, but
    # exact (the info's points_count is an estimate).
    info = client.collection_info(collection)
    exact = client.count_points(collection) if shard is None else None
    try:
        make_private_dir(folder)
    except OSError as exc:
        raise QdrantError(
            f"Qdrant collection '{collection}': cannot create {folder}: {exc.strerror}"
        ) from None
    downloaded = download_snapshot(
        client,
        collection,
        snapshot,
        folder / snapshot.name,
        deadline_seconds=deadline_seconds,
        on_chunk=on_chunk,
        shard=shard,
    )
    return _Captured(info, exact, downloaded)


def _settle(journal: SnapshotJournal | None, entry_id: str | None, problem: str | None) -> None:
    """Forget a journal entry once its snapshot is gone (or kept on purpose)."""
    if journal is not None and entry_id is not None and problem is None:
        journal.forget(entry_id)


def _check(collection: str, name: str, snapshot: SnapshotInfo, size: int, sha256: str) -> None:
    if size != snapshot.size:
        raise QdrantError(
            f"Qdrant collection '{collection}': snapshot {name} is truncated or padded: "
            f"received {size} bytes, the server announced {snapshot.size}"
        )
    if snapshot.checksum is not None and snapshot.checksum != sha256:
        raise QdrantError(
            f"Qdrant collection '{collection}': checksum mismatch for {name}: the server says "
            f"{snapshot.checksum}, the downloaded bytes hash to {sha256}"
        )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def delete_quietly(
    client: QdrantRestClient, collection: str, name: str, shard: int | None = None
) -> str | None:
    """Delete a server-side snapshot; return a warning instead of raising when that fails."""
    try:
        client.delete_snapshot(collection, name, shard)
    except QdrantError as exc:
        return f"server-side snapshot {name} was not deleted: {exc.message}"
    return None
