"""push: upload one complete local backup, resumably, manifest last.

An object already on the remote with the right size and sha256 is not sent again, so a push
killed at any point resumes where it stopped; until the manifest and its sidecar are up, the
remote backup is listed as incomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pydantic import BaseModel

from persistence.core.progress import ComponentProgress, ProgressCallback, ignore_progress
from persistence.offsite.layout import PRUNING_MARKER, BackupObject, backup_base, data_objects
from persistence.remote.base import ObjectInfo, Remote
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME

PUSH_STAGE = "push"


class PushResult(BaseModel):
    backup_id: str
    remote: str
    pushed: bool
    objects_sent: int = 0
    bytes_sent: int = 0
    objects_skipped: int = 0


def push_backup(
    remote: Remote, backup: CompleteBackup, progress: ProgressCallback = ignore_progress
) -> PushResult:
    """Upload `backup` (already loaded, manifest hash checked); raises RemoteError on failure."""
    base = backup_base(backup.backup_id, backup.created_at)
    present = {info.key[len(base) + 1 :]: info for info in remote.list_objects(f"{base}/")}
    manifest_data = (backup.path / MANIFEST_NAME).read_bytes()
    sidecar_data = (backup.path / SIDECAR_NAME).read_bytes()
    commit = [
        BackupObject(name, len(data), hashlib.sha256(data).hexdigest())
        for name, data in ((MANIFEST_NAME, manifest_data), (SIDECAR_NAME, sidecar_data))
    ]
    objects = data_objects(backup.manifest)
    meter = ComponentProgress(
        PUSH_STAGE,
        progress,
        bytes_total=sum(o.size for o in objects + commit),
        files_total=len(objects) + len(commit),
    )
    meter.start(f"pushing {backup.backup_id} to {remote.display}")
    result = PushResult(backup_id=backup.backup_id, remote=remote.display, pushed=False)
    for item in objects:
        key = f"{base}/{item.relative}"
        if _already_there(remote, key, present.get(item.relative), item):
            result.objects_skipped += 1
            meter.advance(bytes_done=item.size, files_done=1)
            continue
        remote.put_file(
            key,
            backup.path / item.relative,
            sha256=item.sha256,
            on_bytes=lambda n: meter.advance(bytes_done=n),
        )
        result.objects_sent += 1
        result.bytes_sent += item.size
        meter.advance(files_done=1)
    # A prune killed half-way left its marker: pushing this backup again means it is wanted.
    # Left in place, the marker would list the pushed backup as "being deleted" and the prune
    # that follows every push would silently finish deleting it.
    if PRUNING_MARKER in present:
        remote.delete(f"{base}/{PRUNING_MARKER}")
    pairs = zip(commit, (manifest_data, sidecar_data), strict=True)
    _commit(remote, base, present, pairs, result, meter)
    meter.finish(f"pushed {backup.backup_id}")
    result.pushed = True
    return result


def _commit(
    remote: Remote,
    base: str,
    present: dict[str, ObjectInfo],
    commit: Iterable[tuple[BackupObject, bytes]],
    result: PushResult,
    meter: ComponentProgress,
) -> None:
    """The commit marker, last: the manifest, then the sidecar that makes it count."""
    for item, data in commit:
        key = f"{base}/{item.relative}"
        if _already_there(remote, key, present.get(item.relative), item):
            result.objects_skipped += 1
        else:
            remote.put_bytes(key, data, sha256=item.sha256)
            result.objects_sent += 1
            result.bytes_sent += item.size
        meter.advance(bytes_done=item.size, files_done=1)  # per object: a kill point each


def _already_there(remote: Remote, key: str, listed: ObjectInfo | None, item: BackupObject) -> bool:
    """Right size and the sha256 stored with it; listings may omit the hash, so stat then."""
    if listed is None or listed.size != item.size:
        return False
    sha = listed.sha256
    if sha is None:
        stat = remote.stat(key)
        sha = stat.sha256 if stat is not None and stat.size == item.size else None
    return sha == item.sha256
