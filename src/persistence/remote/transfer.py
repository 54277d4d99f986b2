"""Downloads that are trusted only after their sha256 is checked.

A service's checksum does not always cover what reaches us (ranged GETs carry none), so every
download is re-hashed against the manifest's sha256; a mismatch is retried like a transient
failure and, if it persists, refused.
"""

from __future__ import annotations

from pathlib import Path

from persistence.core.fsio import hash_file
from persistence.remote.base import (
    ByteCallback,
    DamagedObjectError,
    Remote,
    RemoteError,
    TransientRemoteError,
    ignore_bytes,
)
from persistence.remote.retry import RetryPolicy, with_retry


def download_verified(
    remote: Remote,
    key: str,
    target: Path,
    *,
    size: int,
    sha256: str,
    policy: RetryPolicy,
    on_bytes: ByteCallback = ignore_bytes,
) -> None:
    """Write object `key` to `target` (created 0600, replaced on retry) and check its hash."""

    def attempt() -> None:
        with target.open("wb") as sink:
            target.chmod(0o600)
            remote.download(key, sink, on_bytes=capped(on_bytes, size, f"{remote.display}/{key}"))
            sink.flush()
        copied = hash_file(target)
        if (copied.size, copied.sha256) != (size, sha256):
            raise _ContentMismatch(
                f"download of {remote.display}/{key} refused: {copied.size} bytes whose sha256 "
                f"does not match the manifest ({size} bytes expected)"
            )

    try:
        with_retry(policy, attempt)
    except RemoteError as exc:
        if isinstance(exc.__cause__, _ContentMismatch):
            raise DamagedObjectError(exc.message) from exc
        raise


class _ContentMismatch(TransientRemoteError):
    """Retried first (a proxy may have mangled one response), damage once the retries agree."""


def capped(on_bytes: ByteCallback, limit: int, what: str) -> ByteCallback:
    """`on_bytes` that stops a download past `limit` bytes: an object replaced by something
    endless (a link to /dev/zero) must not fill the disk before its hash is checked."""
    received = 0

    def counted(count: int) -> None:
        nonlocal received
        received += count
        if received > limit:
            raise DamagedObjectError(
                f"download of {what} refused: more than the {limit} bytes expected"
            )
        on_bytes(count)

    return counted
