"""Restoring a collection (or one shard) from a local snapshot file, and cleaning up after.

What Qdrant does with an upload (qdrant/qdrant v1.19.0):
- access is checked before the multipart body is read (`src/common/auth/`,
  `src/actix/api/snapshot_api.rs`): a key without manage access gets a 403 that a client
  still sending a big file often only sees as a reset connection, so we ask first with a
  body-less request;
- the uploaded file is moved into `<snapshots>/<collection>/` before recovering and stays
  there after success AND after a 400 (incompatible config), a 500 or a client timeout
  (`snapshot_api.rs`, `lib/storage/src/content_manager/snapshots/download.rs`): we delete it
  by name whenever the collection exists, and say where it is when it does not;
- the upload route validates collection names strictly: `<>:"\\|?*`, allowed before 1.5,
  are refused with 422 there only (`src/actix/api/mod.rs`, `validation.rs`);
- with S3 snapshot storage uploads stay on local disk and never show in the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from persistence.core.errors import QdrantError
from persistence.qdrant.actions import SnapshotInfo
from persistence.qdrant.client import QdrantRestClient, SnapshotPriority
from persistence.qdrant.snapshots import delete_quietly
from persistence.qdrant.transport import QdrantStatusError

# Characters Qdrant >= 1.5 refuses in collection names on the upload route.
STRICT_NAME_CHARS = frozenset('<>:"\\|?*')


@dataclass(frozen=True)
class UploadResult:
    """What an upload left behind: the server's copy of the uploaded file is deleted if seen."""

    deleted_copy: str | None
    warning: str | None


class QdrantUploadError(QdrantError):
    """An upload failed; `left_on_server` names the file the server may still keep."""

    def __init__(self, message: str, left_on_server: str | None) -> None:
        super().__init__(message)
        self.left_on_server = left_on_server


def strict_name_problem(collection: str) -> str | None:
    """Why Qdrant >= 1.5 would refuse to upload into `collection`, if it would."""
    bad = sorted({char for char in collection if char in STRICT_NAME_CHARS})
    if not bad:
        return None
    return (
        f"collection name '{collection}' contains {' '.join(bad)}, which Qdrant allowed before "
        "1.5 but now refuses on snapshot upload (HTTP 422): it can only be restored under "
        "another name (rename the collection on the server and back it up again)"
    )


@dataclass(frozen=True)
class _Upload:
    path: Path
    size: int
    sha256: str


def upload_snapshot(
    client: QdrantRestClient,
    collection: str,
    file_path: Path,
    sha256: str,
    priority: SnapshotPriority = "snapshot",
    shard: int | None = None,
) -> UploadResult:
    """Restore `collection` (or one shard of it) from a local file; leave nothing behind.

    Only a new list entry that is provably ours is deleted: the uploaded name with our size,
    or our checksum with our size. Another new entry may be another client's snapshot.
    """
    problem = strict_name_problem(collection)
    if problem is not None:
        raise QdrantUploadError(f"Qdrant: cannot restore: {problem}", None)
    client.probe_upload_access(collection, shard)
    upload = _Upload(file_path, file_path.stat().st_size, sha256)
    existed = collection in client.list_collections()
    before: set[str] = set()
    if existed:
        before = {s.name for s in client.list_snapshots(collection, shard)}
    try:
        client.upload_snapshot_file(collection, file_path, sha256, priority, shard)
    except QdrantError as exc:
        if not isinstance(exc, QdrantStatusError):
            # A reset connection: maybe the early 403 of a key without manage access.
            client.probe_upload_access(collection, shard)
        raise _cleaned_failure(client, collection, shard, upload, before, exc) from None
    fresh = [s for s in client.list_snapshots(collection, shard) if s.name not in before]
    ours = [s for s in fresh if _is_ours(s, upload)]
    if not ours:
        if not fresh:
            # Not listed at all (S3 snapshot storage keeps uploads out of the listing).
            return UploadResult(deleted_copy=None, warning=None)
        names = ", ".join(sorted(s.name for s in fresh))
        return UploadResult(
            deleted_copy=None,
            warning=(
                f"the uploaded copy of {file_path.name} was not found in the server's snapshot "
                f"list; new snapshot(s) {names} appeared meanwhile but do not match the "
                "uploaded file, so they were left on the server (delete them there if they "
                "are this restore's copy)"
            ),
        )
    victim = next((s for s in ours if s.name == file_path.name), ours[0])
    warning = delete_quietly(client, collection, victim.name, shard)
    return UploadResult(deleted_copy=None if warning else victim.name, warning=warning)


def _is_ours(snap: SnapshotInfo, upload: _Upload) -> bool:
    if snap.size != upload.size:
        return False
    return snap.name == upload.path.name or snap.checksum == upload.sha256


def _cleaned_failure(
    client: QdrantRestClient,
    collection: str,
    shard: int | None,
    upload: _Upload,
    before: set[str],
    cause: QdrantError,
) -> QdrantUploadError:
    """The upload failed: delete the copy the server kept, or say where it is."""
    where = f"<snapshots folder>/{collection}/{upload.path.name}"
    try:
        exists = collection in client.list_collections()
        listed = client.list_snapshots(collection, shard) if exists else []
    except QdrantError as exc:
        return QdrantUploadError(
            f"{cause.message}; the server may keep the uploaded file as {where} (could not "
            f"check: {exc.message}); delete it on the server",
            where,
        )
    if not exists:
        return QdrantUploadError(
            f"{cause.message}; collection '{collection}' does not exist, so the uploaded file "
            f"the server may keep as {where} cannot be deleted over the API: delete it on the "
            "server's disk",
            where,
        )
    ours = [s for s in listed if s.name not in before and _is_ours(s, upload)]
    for snap in ours:
        problem = delete_quietly(client, collection, snap.name, shard)
        if problem is not None:
            return QdrantUploadError(f"{cause.message}; also, the {problem}", snap.name)
    tail = f"; the uploaded copy {ours[0].name} was deleted from the server" if ours else ""
    return QdrantUploadError(cause.message + tail, None)
