"""The `Remote` interface every off-site target implements, and its error and info types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from persistence.core.errors import BackupError, ExitCode

ByteCallback = Callable[[int], None]
SHA256_METADATA_KEY = "sha256"


def ignore_bytes(_count: int) -> None:
    """Default byte counter for callers that show no progress."""


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object; `key` is relative to the remote's prefix."""

    key: str
    size: int
    checksum: str | None  # the service's own integrity value, e.g. "crc32c:..."
    sha256: str | None  # the sha256 this tool stored as metadata when it uploaded the object


class RemoteError(BackupError):
    """An operation on the remote failed; the message names the object and the cause."""


class TransientRemoteError(RemoteError):
    """A failure worth retrying (429, 5xx, a dropped connection, a timeout)."""


class DamagedObjectError(RemoteError):
    """An object whose bytes are not what the backup's manifest records: the off-site copy is
    damaged or was tampered with (exit 4, like a damaged local backup)."""

    exit_code = ExitCode.VERIFY_FAILED


class Remote(Protocol):
    """Objects under one prefix. Every method is safe to repeat after any failure."""

    @property
    def display(self) -> str:
        """Where the objects go, fit to show: no credentials, ever."""
        ...

    def put_file(
        self, key: str, source: Path, *, sha256: str, on_bytes: ByteCallback = ignore_bytes
    ) -> ObjectInfo:
        """Upload in bounded memory; the object appears only once it is whole and checked."""
        ...

    def put_bytes(self, key: str, data: bytes, *, sha256: str) -> ObjectInfo: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`; `stat` for hashes a listing may omit."""
        ...

    def download(self, key: str, sink: BinaryIO, *, on_bytes: ByteCallback = ignore_bytes) -> None:
        """Stream one object into `sink`; a missing object raises RemoteError."""
        ...

    def delete(self, key: str) -> None:
        """Remove one object; an object already gone is not an error."""
        ...


def check_key(key: str) -> str:
    """Keys are plain relative POSIX paths: nothing may climb out of the prefix."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise RemoteError(f"refusing object key {key!r}: not a plain relative path")
    return key


def join_prefix(prefix: str, key: str) -> str:
    return f"{prefix}/{key}" if prefix else key


def listing_prefix(prefix: str, key_prefix: str) -> str:
    """The full name prefix to list `key_prefix` under `prefix`, never matching a sibling."""
    if key_prefix:
        return join_prefix(prefix, key_prefix)
    return f"{prefix}/" if prefix else ""
