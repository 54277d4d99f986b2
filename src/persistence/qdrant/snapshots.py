"""Snapshot life cycle on a server: create (or find after a timeout), stream, verify, delete."""

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
from persistence.qdrant.client import (
    CollectionInfo,
    QdrantRestClient,
    QdrantTimeout,
    SnapshotInfo,
    SnapshotPriority,
)
from persistence.qdrant.names import validate_snapshot_name

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.25


@dataclass(frozen=True)
class DownloadedSnapshot:
    path: Path
    size: int
    sha256: str
    server_checksum: str | None


@dataclass(frozen=True)
class UploadResult:
    """What an upload left behind: the server's copy of the uploaded file is deleted if seen."""

    deleted_copy: str | None
    warning: str | None


def create_snapshot(client: QdrantRestClient, collection: str, *, poll_for: float) -> SnapshotInfo:
    """Create one snapshot; if the create times out, find the new one in the list instead.

    Retrying a create that timed out would leave a duplicate on the server (the first create
    still finishes there), so we remember what existed before and wait for exactly one newcomer.
    """
    before = {snap.name for snap in client.list_snapshots(collection)}
    try:
        created = client.create_snapshot(collection)
    except QdrantTimeout:
        logger.info("qdrant: create for '%s' timed out; waiting for it in the list", collection)
        created = _wait_for_new(client, collection, before, poll_for)
    validate_snapshot_name(collection, created.name)
    return created


def _wait_for_new(
    client: QdrantRestClient, collection: str, before: set[str], poll_for: float
) -> SnapshotInfo:
    deadline = time.monotonic() + poll_for
    prefix = f"{collection}-"
    while True:
        fresh = [
            snap
            for snap in client.list_snapshots(collection)
            if snap.name not in before and snap.name.startswith(prefix)
        ]
        if fresh:
            # Names end with a UTC timestamp, so the newest sorts last.
            return max(fresh, key=lambda snap: (snap.creation_time or "", snap.name))
        if time.monotonic() >= deadline:
            raise QdrantError(
                f"Qdrant collection '{collection}': the snapshot create timed out and no new "
                f"snapshot appeared within {poll_for:g} s more; raise QDRANT_TIMEOUT (if one "
                "appears later it stays on the server: delete it there)"
            )
        time.sleep(POLL_INTERVAL)


def download_snapshot(
    client: QdrantRestClient,
    collection: str,
    snapshot: SnapshotInfo,
    target: Path,
    *,
    deadline_seconds: float,
    on_chunk: Callable[[int], None] | None = None,
) -> DownloadedSnapshot:
    """Stream the snapshot to `<target>.part` in fixed chunks, verify it, rename into place.

    Memory stays bounded by the chunk size whatever the snapshot size. Any failure removes the
    `.part` file and raises QdrantError naming the collection.
    """
    name = validate_snapshot_name(collection, snapshot.name)
    part = target.with_name(target.name + ".part")
    started = time.monotonic()
    digest = hashlib.sha256()
    size = 0
    # A stall must not outlive the total deadline, so no single read may wait longer than it.
    read_timeout = min(client.timeout, deadline_seconds)
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise QdrantError(
            f"Qdrant collection '{collection}': cannot write {part}: {exc.strerror}"
        ) from None
    try:
        try:
            with client.stream_snapshot(collection, name, read_timeout=read_timeout) as response:
                # No fixed chunk_size here: each network read (at most httpcore's 64 KiB) is
                # written at once, so memory stays bounded and the deadline is checked even
                # when a stalling server trickles a few bytes at a time.
                for chunk in response.iter_bytes():
                    digest.update(chunk)
                    write_all(fd, chunk, part)
                    size += len(chunk)
                    if on_chunk is not None:
                        on_chunk(len(chunk))
                    if time.monotonic() - started > deadline_seconds:
                        raise QdrantError(
                            f"Qdrant collection '{collection}': download of {name} passed its "
                            f"deadline of {deadline_seconds:g} s after {size} bytes "
                            "(QDRANT_DOWNLOAD_DEADLINE)"
                        )
            os.fsync(fd)
        finally:
            os.close(fd)
        _check(collection, name, snapshot, size, digest.hexdigest())
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
        path=target, size=size, sha256=digest.hexdigest(), server_checksum=snapshot.checksum
    )


@dataclass(frozen=True)
class FetchedSnapshot:
    info: CollectionInfo  # read right after the create, before the (slow) download
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
) -> FetchedSnapshot:
    """Create a snapshot, stream it verified into `folder`, and delete the server's copy.

    What we created never stays on the server after a failure, whatever the setting says.
    """
    snapshot = create_snapshot(client, collection, poll_for=poll_for)
    try:
        # Read right after the snapshot exists: read before the create, writes in between
        # would make it disagree with the snapshot. Still the live collection's count.
        info = client.collection_info(collection)
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
        )
    except QdrantError as exc:
        problem = delete_quietly(client, collection, snapshot.name)
        if problem is None:
            raise
        raise QdrantError(f"{exc.message}; also, the {problem}") from None
    except BaseException:
        delete_quietly(client, collection, snapshot.name)
        raise
    warning: str | None = None
    if delete_server_copy:
        problem = delete_quietly(client, collection, snapshot.name)
        if problem is not None:
            warning = f"Qdrant collection '{collection}': {problem}"
            logger.warning("%s", warning)
    return FetchedSnapshot(
        info=info,
        snapshot=snapshot,
        downloaded=downloaded,
        server_copy_deleted=delete_server_copy and warning is None,
        warning=warning,
    )


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


def delete_quietly(client: QdrantRestClient, collection: str, name: str) -> str | None:
    """Delete a server-side snapshot; return a warning instead of raising when that fails."""
    try:
        client.delete_snapshot(collection, name)
    except QdrantError as exc:
        return f"server-side snapshot {name} was not deleted: {exc.message}"
    return None


def upload_snapshot(
    client: QdrantRestClient,
    collection: str,
    file_path: Path,
    sha256: str,
    priority: SnapshotPriority = "snapshot",
) -> UploadResult:
    """Restore `collection` from a local snapshot file, then delete the copy the server keeps.

    The server verifies `sha256` before recovering (400 on mismatch) and keeps the uploaded file
    in its snapshot list under the uploaded file's name, which would slowly fill its disk. Only
    a new entry that is provably ours is deleted: the uploaded name with our size, or our
    checksum with our size. Any other new entry may be another client's snapshot made at the
    same time: it is left alone and named in the warning.
    """
    size = file_path.stat().st_size
    before: set[str] = set()
    if collection in client.list_collections():
        before = {snap.name for snap in client.list_snapshots(collection)}
    client.upload_snapshot_file(collection, file_path, sha256, priority)
    fresh = [snap for snap in client.list_snapshots(collection) if snap.name not in before]
    ours = [snap for snap in fresh if _is_our_upload(snap, file_path.name, size, sha256)]
    if not ours:
        if not fresh:
            return UploadResult(deleted_copy=None, warning=None)
        names = ", ".join(sorted(snap.name for snap in fresh))
        return UploadResult(
            deleted_copy=None,
            warning=(
                f"the uploaded copy of {file_path.name} was not found in the server's snapshot "
                f"list; new snapshot(s) {names} appeared meanwhile but do not match the "
                "uploaded file, so they were left on the server (delete them there if they "
                "are this restore's copy)"
            ),
        )
    victim = next((snap for snap in ours if snap.name == file_path.name), ours[0])
    warning = delete_quietly(client, collection, victim.name)
    return UploadResult(deleted_copy=None if warning else victim.name, warning=warning)


def _is_our_upload(snap: SnapshotInfo, file_name: str, size: int, sha256: str) -> bool:
    if snap.size != size:
        return False
    return snap.name == file_name or (snap.checksum is not None and snap.checksum == sha256)
