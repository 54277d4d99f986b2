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
)
from persistence.qdrant.capture import open_server
from persistence.qdrant.cluster_restore import deep_check_shards
from persistence.qdrant.drill import drill_snapshot
from persistence.qdrant.names import validate_collection_name
from persistence.store.manifest import (
    ComponentRecord,
    QdrantClusterCollectionRecord,
    QdrantCollectionRecord,
)

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
    if len(settings.qdrant_urls()) > 1:
        found.problems.append("drill could not run: a drill needs a single-node server")
        return
    with open_server(settings, settings.qdrant_url) as session:
        client = session.client
        try:
            unknown = client.require_single_node("a drill needs a single-node server")
        except QdrantError as exc:
            found.problems.append(f"drill could not run: {exc.message}")
            return
        found.notes.extend([unknown] if unknown else [])
        for collection in collections:
            _drill_one(client, folder, collection, found)


def _drill_one(
    client: QdrantRestClient, folder: Path, collection: QdrantCollectionRecord, found: Findings
) -> None:
    try:
        snapshot = join_inside(folder, collection.file)
        scratch = scratch_name(collection.name, set(client.list_collections()))
    except BackupError as exc:
        found.fail_file(collection.file, f"drill: {exc.message}")
        return
    outcome = drill_snapshot(client, snapshot, collection, scratch)
    found.notes.extend(f"drill {collection.name}: {note}" for note in outcome.notes)
    for leftover in outcome.leftovers:
        found.problems.append(f"drill {collection.name}: could not remove {leftover}")
    if outcome.failure is not None or outcome.points is None:
        found.fail_file(collection.file, f"drill: {outcome.failure}")
        return
    expected = collection.points_count
    if expected is not None and outcome.points != expected:
        found.fail_file(
            collection.file,
            f"drill: the server recovered {outcome.points} points (exact count), {expected} "
            f"recorded at backup time ({_LIVE_COUNT})",
        )
    else:
        found.notes.append(
            f"drill {collection.name}: recovered {outcome.points} points on the server"
        )


def deep_check_cluster(
    folder: Path, collections: list[QdrantClusterCollectionRecord], found: Findings
) -> None:
    """Count every shard file of a cluster backup offline, shard by shard."""
    for collection in collections:
        checks = deep_check_shards(folder, collection)
        for check in checks:
            if check.problem is not None:
                found.fail_file(check.file, f"deep check: {check.problem}")
        total = sum(c.counted or 0 for c in checks)
        shards = ", ".join(f"shard {c.shard_id}: {c.counted}" for c in checks)
        found.notes.append(f"{collection.name}: {total} points counted offline ({shards})")


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
