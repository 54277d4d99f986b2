"""verify --remote: does every object of a remote backup match its manifest?

Without --deep nothing is downloaded: size and the sha256 stored with each object are compared
with the manifest, and objects the service keeps no checksum of are counted. With --deep each
object is downloaded into a private temporary folder in the backup root and re-hashed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import BaseModel

from persistence.core.errors import ExitCode
from persistence.core.progress import ComponentProgress, ProgressCallback, ignore_progress
from persistence.offsite.layout import BackupObject, data_objects
from persistence.offsite.listing import RemoteBackup
from persistence.remote.base import ObjectInfo, Remote, RemoteError
from persistence.remote.retry import RetryPolicy
from persistence.remote.transfer import download_verified
from persistence.store.catalog import STAGING_PREFIX

VERIFY_STAGE = "verify-remote"


class FailedObject(BaseModel):
    key: str
    problem: str


class RemoteVerifyReport(BaseModel):
    ok: bool
    backup_id: str
    remote: str
    deep: bool
    objects_checked: int = 0
    # Stores that keep no checksum of their own (some S3-compatible ones) are noted, not failed:
    # the size and the stored sha256 still match, and --deep re-hashes the bytes.
    objects_without_service_checksum: int = 0
    failed_objects: list[FailedObject] = []
    exit_code: int = 0


def verify_remote(
    remote: Remote,
    backup: RemoteBackup,
    *,
    deep: bool,
    scratch_dir: Path,
    policy: RetryPolicy,
    progress: ProgressCallback = ignore_progress,
) -> RemoteVerifyReport:
    """Check `backup` (complete on the remote); `scratch_dir` holds --deep downloads."""
    assert backup.manifest is not None
    objects = data_objects(backup.manifest)
    meter = ComponentProgress(
        VERIFY_STAGE, progress, bytes_total=sum(o.size for o in objects), files_total=len(objects)
    )
    meter.start(f"verifying {backup.backup_id} on {remote.display}")
    failed: list[FailedObject] = []
    unchecked = 0
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix=f"{STAGING_PREFIX}verify-") as tmp:
        for item in objects:
            key = f"{backup.base}/{item.relative}"
            info = remote.stat(key)
            problem = _shallow_problem(info, item)
            unchecked += info is not None and info.checksum is None
            if problem is None and deep:
                problem = _deep_problem(remote, key, item, Path(tmp), policy, meter)
            if problem is not None:
                failed.append(FailedObject(key=key, problem=problem))
            meter.advance(files_done=1)
    meter.finish()
    ok = not failed
    return RemoteVerifyReport(
        ok=ok,
        backup_id=backup.backup_id,
        remote=remote.display,
        deep=deep,
        objects_checked=len(objects),
        objects_without_service_checksum=unchecked,
        failed_objects=failed,
        exit_code=0 if ok else int(ExitCode.VERIFY_FAILED),
    )


def _shallow_problem(info: ObjectInfo | None, item: BackupObject) -> str | None:
    if info is None:
        return "missing"
    if info.size != item.size:
        return f"size {info.size} bytes, the manifest says {item.size}"
    if info.sha256 != item.sha256:
        return "the sha256 stored with the object differs from the manifest"
    return None


def _deep_problem(
    remote: Remote,
    key: str,
    item: BackupObject,
    scratch: Path,
    policy: RetryPolicy,
    meter: ComponentProgress,
) -> str | None:
    target = scratch / "object"
    try:
        download_verified(
            remote,
            key,
            target,
            size=item.size,
            sha256=item.sha256,
            policy=policy,
            on_bytes=lambda n: meter.advance(bytes_done=n),
        )
    except RemoteError as exc:
        return exc.message
    finally:
        target.unlink(missing_ok=True)
    return None
