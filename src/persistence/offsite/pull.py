"""pull: bring one complete remote backup into the local backup root, atomically.

Objects land in a staging folder, each re-hashed against the manifest; only when all are in
does one rename make the backup visible, exactly as a create commits. The manifest and its
sidecar are written byte for byte as they were pushed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from persistence.core.atomic import write_atomic
from persistence.core.errors import BackupError
from persistence.core.fsio import fsync_dir, fsync_tree, make_private_dir, sync_filesystem
from persistence.core.paths import join_inside
from persistence.core.progress import ComponentProgress, ProgressCallback, ignore_progress
from persistence.offsite.layout import data_objects
from persistence.offsite.listing import RemoteBackup
from persistence.remote.base import Remote
from persistence.remote.retry import RetryPolicy
from persistence.remote.transfer import download_verified
from persistence.store.manifest import MANIFEST_NAME, SIDECAR_NAME, ComponentStatus, load_manifest
from persistence.store.staging import open_staging, remove_tree

PULL_STAGE = "pull"


class PullResult(BaseModel):
    backup_id: str
    path: str
    pulled: bool  # False: the backup was already here, nothing was downloaded
    objects_received: int = 0
    bytes_received: int = 0


def pull_backup(
    remote: Remote,
    backup_dir: Path,
    backup: RemoteBackup,
    policy: RetryPolicy,
    progress: ProgressCallback = ignore_progress,
) -> PullResult:
    """Download `backup` (complete on the remote) unless present; the caller holds the lock."""
    manifest = backup.manifest
    if manifest is None:
        raise BackupError(f"{backup.backup_id} is not complete on {remote.display}")
    final = backup_dir / backup.backup_id
    if final.exists() or final.is_symlink():
        load_manifest(final)  # a broken local folder of that name must not pass for the backup
        return PullResult(backup_id=backup.backup_id, path=str(final), pulled=False)
    make_private_dir(backup_dir)
    staging = open_staging(backup_dir, backup.backup_id)
    try:
        result = _fill(remote, staging, backup, policy, progress)
        write_atomic(staging / MANIFEST_NAME, backup.manifest_data)
        write_atomic(staging / SIDECAR_NAME, backup.sidecar_data)
        load_manifest(staging)
        sync_filesystem(staging)
        fsync_tree(staging)
        staging.rename(final)
        fsync_dir(backup_dir)
    except BaseException:
        remove_tree(staging)
        raise
    return result.model_copy(update={"path": str(final)})


def _fill(
    remote: Remote,
    staging: Path,
    backup: RemoteBackup,
    policy: RetryPolicy,
    progress: ProgressCallback,
) -> PullResult:
    assert backup.manifest is not None
    objects = data_objects(backup.manifest)
    meter = ComponentProgress(
        PULL_STAGE,
        progress,
        bytes_total=sum(o.size for o in objects),
        files_total=len(objects),
    )
    meter.start(f"pulling {backup.backup_id} from {remote.display}")
    for component in backup.manifest.components:
        if component.status is ComponentStatus.CAPTURED:
            make_private_dir(staging / component.name)
            for record in component.files:
                if record.kind == "dir":
                    make_private_dir(join_inside(staging / component.name, record.path))
    result = PullResult(backup_id=backup.backup_id, path=str(staging), pulled=True)
    for item in objects:
        # The remote manifest is input from elsewhere: no path in it may leave the staging folder.
        target = join_inside(staging, item.relative)
        make_private_dir(target.parent)
        download_verified(
            remote,
            f"{backup.base}/{item.relative}",
            target,
            size=item.size,
            sha256=item.sha256,
            policy=policy,
            on_bytes=lambda n: meter.advance(bytes_done=n),
        )
        meter.advance(files_done=1)
        result.objects_received += 1
        result.bytes_received += item.size
    meter.finish(f"pulled {backup.backup_id}")
    return result
