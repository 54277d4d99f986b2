"""Reading a file out of a backup that a stranger may have planted: no links, a size cap."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from persistence.core.errors import VerificationError

_CHUNK = 1024 * 1024


def read_capped(path: Path, cap: int, what: str) -> tuple[bytes, str]:
    """The bytes of the regular file `path` and their sha256, read in one streaming pass.

    A symlink (to `/dev/zero`, to another backup), a fifo or a device is refused without being
    followed or opened for reading; a file above `cap` bytes is refused before it fills memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VerificationError(f"{what} {path} is a symlink: refused") from None
        raise VerificationError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise VerificationError(f"{what} {path} is not a regular file: refused")
        if info.st_size > cap:
            raise VerificationError(_too_big(path, what, cap))
        digest = hashlib.sha256()
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, _CHUNK):
            total += len(chunk)
            if total > cap:  # grew while being read
                raise VerificationError(_too_big(path, what, cap))
            digest.update(chunk)
            chunks.append(chunk)
    except OSError as exc:
        raise VerificationError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks), digest.hexdigest()


def _too_big(path: Path, what: str, cap: int) -> str:
    return (
        f"{what} {path} is larger than {cap // (1024 * 1024) or cap} "
        f"{'MiB' if cap >= 1024 * 1024 else 'bytes'}, the limit for a {what} (far above any "
        "real one): refused as damaged or planted"
    )
