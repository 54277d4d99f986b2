"""What verify checks in a Qdrant server snapshot: the archive reads end to end, and on
request an offline count (--deep) and a trial restore on a server (--drill).

--deep opens every shard with the real engine offline; it cannot see points that were only in
the write-ahead log when the snapshot was taken (`EdgeShard.load` does not replay the WAL).
--drill restores each snapshot into a scratch collection on the configured server, which does
replay the WAL, and removes the scratch collection and the uploaded copy afterwards.
"""

from __future__ import annotations

import secrets
import tarfile
import tempfile
from pathlib import Path

from persistence.components.models import Findings
from persistence.core.errors import BackupError, QdrantError
from persistence.core.paths import join_inside
from persistence.core.settings import BackupSettings
from persistence.qdrant import (
    QdrantRestClient,
    count_points_offline,
    upload_snapshot,
)
from persistence.qdrant.names import validate_collection_name
from persistence.store.manifest import ComponentRecord, QdrantCollectionRecord

SCRATCH_PREFIX = "verify-drill-"
# Qdrant caps collection names at 255 bytes; leave room for the prefix and the suffix.
_SCRATCH_BASE_MAX = 200
# Where the recorded count comes from: a mismatch may be writes racing the snapshot, not damage.
_LIVE_COUNT = (
    "that count was read from the live collection right after its snapshot was made, so "
    "writes at that moment can make it differ from the snapshot"
)


def deep_check(folder: Path, collections: list[QdrantCollectionRecord], found: Findings) -> None:
    """Count every snapshot's points offline and compare with the count at backup time."""
    for collection in collections:
        try:
            snapshot = join_inside(folder, collection.file)
            with tempfile.TemporaryDirectory(prefix="verify-deep-") as work:
                counted = count_points_offline(snapshot, Path(work))
        except BackupError as exc:
            found.fail_file(collection.file, f"deep check: {exc.message}")
            continue
        shards = ", ".join(f"shard {s.shard}: {s.points}" for s in counted.shards)
        found.notes.append(
            f"{collection.name}: {counted.total} points counted offline ({shards}); "
            f"caveat: {counted.caveat}"
        )
        expected = collection.points_count
        if expected is not None and counted.total != expected:
            found.fail_file(
                collection.file,
                f"deep check: {counted.total} points counted offline, {expected} recorded at "
                f"backup time ({_LIVE_COUNT}; points still only in the WAL are not counted "
                "offline: a --drill on a server replays the WAL)",
            )


def scratch_name(collection: str, existing: set[str]) -> str:
    """A collection name no real collection has: prefix, original name, random suffix."""
    base = collection[:_SCRATCH_BASE_MAX]
    name = validate_collection_name(f"{SCRATCH_PREFIX}{base}-{secrets.token_hex(6)}")
    if name in existing:
        # 48 random bits colliding means someone made this name on purpose: do not touch it.
        raise QdrantError(f"scratch collection {name} already exists on the server; not touching")
    return name


def drill_collections(
    settings: BackupSettings,
    folder: Path,
    collections: list[QdrantCollectionRecord],
    found: Findings,
) -> None:
    """Recover each snapshot into a scratch collection, count its points, remove everything."""
    assert settings.qdrant_url is not None
    with QdrantRestClient(
        settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
    ) as client:
        try:
            client.require_single_node("a drill needs a single-node server")
        except QdrantError as exc:
            found.problems.append(f"drill could not run: {exc.message}")
            return
        for collection in collections:
            _drill_one(client, folder, collection, found)


def _drill_one(
    client: QdrantRestClient, folder: Path, collection: QdrantCollectionRecord, found: Findings
) -> None:
    scratch: str | None = None
    try:
        snapshot = join_inside(folder, collection.file)
        scratch = scratch_name(collection.name, set(client.list_collections()))
        uploaded = upload_snapshot(client, scratch, snapshot, collection.sha256, "snapshot")
        if uploaded.warning:
            found.notes.append(f"drill {collection.name}: {uploaded.warning}")
        points = client.collection_info(scratch).points_count
    except BackupError as exc:
        found.fail_file(collection.file, f"drill: {exc.message}")
        points = None
    finally:
        if scratch is not None:
            _remove_scratch(client, scratch, collection.name, found)
    if points is None:
        return
    expected = collection.points_count
    if expected is not None and points != expected:
        found.fail_file(
            collection.file,
            f"drill: the server recovered {points} points, {expected} recorded at backup "
            f"time ({_LIVE_COUNT})",
        )
    else:
        found.notes.append(f"drill {collection.name}: recovered {points} points on the server")


def _remove_scratch(client: QdrantRestClient, scratch: str, original: str, found: Findings) -> None:
    try:
        if scratch in client.list_collections():
            client.delete_collection(scratch)
    except QdrantError as exc:
        found.problems.append(
            f"drill {original}: scratch collection {scratch} could not be deleted: {exc.message}"
        )


_READ_CHUNK = 1024 * 1024


def check_archive(path: Path) -> str | None:
    """Read a snapshot tar end to end, nested segment tars included."""
    try:
        with tarfile.open(path, "r:") as archive:
            for member in archive:
                if member.name.startswith("/") or ".." in member.name.split("/"):
                    return f"unsafe member {member.name!r} in the archive"
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    return f"member {member.name} cannot be read"
                if member.name.endswith(".tar"):
                    with tarfile.open(fileobj=handle, mode="r:") as nested:
                        for inner in nested:
                            inner_handle = nested.extractfile(inner) if inner.isfile() else None
                            while inner_handle is not None and inner_handle.read(_READ_CHUNK):
                                pass
                else:
                    while handle.read(_READ_CHUNK):
                        pass
    except (tarfile.TarError, EOFError, OSError) as exc:
        return f"the archive does not read end to end: {exc}"
    return None


def check_archives(folder: Path, record: ComponentRecord, found: Findings) -> None:
    """Every recorded snapshot is listed with the same sha256 and reads end to end."""
    assert record.qdrant is not None
    files = {f.path: f for f in record.files}
    for collection in record.qdrant.collections:
        listed = files.get(collection.file)
        if listed is None or listed.sha256 != collection.sha256:
            found.fail_file(collection.file, "snapshot not listed with the same sha256")
            continue
        problem = check_archive(folder / collection.file)
        if problem:
            found.fail_file(collection.file, problem)
