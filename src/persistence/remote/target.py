"""`BACKUP_REMOTE`: which remote, parsed once, and the remote object it opens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from persistence.core.errors import ConfigError
from persistence.remote.base import Remote
from persistence.remote.retry import RetryPolicy

HOW_TO_SET = (
    "set BACKUP_REMOTE (or --remote) to gs://BUCKET[/PREFIX], s3://BUCKET[/PREFIX], "
    "an absolute path or file:///PATH"
)
_GCS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class RemoteKind(StrEnum):
    GCS = "gcs"
    S3 = "s3"
    FOLDER = "folder"


@dataclass(frozen=True)
class RemoteTarget:
    kind: RemoteKind
    bucket: str = ""
    prefix: str = ""
    path: Path | None = None

    @property
    def display(self) -> str:
        if self.kind is RemoteKind.FOLDER:
            return str(self.path)
        scheme = "gs" if self.kind is RemoteKind.GCS else "s3"
        return f"{scheme}://{self.bucket}/{self.prefix}".rstrip("/")


def parse_remote(value: str | None) -> RemoteTarget | None:
    """None when unset; a ConfigError (exit 2) naming the accepted forms when malformed.

    The value itself is never echoed: a mistyped URL may carry a key.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if sep and scheme in ("gs", "s3"):
        return _parse_bucket(RemoteKind.GCS if scheme == "gs" else RemoteKind.S3, rest)
    if sep and scheme == "file":
        if not rest.startswith("/"):
            raise ConfigError(f"BACKUP_REMOTE file URL takes no host; {HOW_TO_SET}")
        return _parse_path(rest)
    if not sep and text.startswith("/"):
        return _parse_path(text)
    raise ConfigError(f"BACKUP_REMOTE is not a remote this tool knows; {HOW_TO_SET}")


def _parse_bucket(kind: RemoteKind, rest: str) -> RemoteTarget:
    bucket, _slash, prefix = rest.partition("/")
    if "@" in bucket or ":" in bucket:
        raise ConfigError(
            "BACKUP_REMOTE must not carry credentials or a port: use the standard "
            "credential variables (GOOGLE_APPLICATION_CREDENTIALS, AWS_*) instead"
        )
    pattern = _GCS_BUCKET if kind is RemoteKind.GCS else _S3_BUCKET
    if not pattern.match(bucket):
        raise ConfigError(f"BACKUP_REMOTE names no valid {kind.value} bucket; {HOW_TO_SET}")
    prefix = prefix.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ConfigError("BACKUP_REMOTE prefix must be plain folder names (no //, . or ..)")
    return RemoteTarget(kind=kind, bucket=bucket, prefix=prefix)


def _parse_path(text: str) -> RemoteTarget:
    path = Path(text)
    if ".." in path.parts:
        raise ConfigError("BACKUP_REMOTE path must not contain ..")
    return RemoteTarget(kind=RemoteKind.FOLDER, path=path)


def require_target(value: str | None) -> RemoteTarget:
    target = parse_remote(value)
    if target is None:
        raise ConfigError(f"no remote configured: {HOW_TO_SET}")
    return target


def open_remote(target: RemoteTarget, policy: RetryPolicy | None = None) -> Remote:
    """The implementation for `target`; SDKs are imported only here, on first use."""
    used = policy or RetryPolicy()
    if target.kind is RemoteKind.FOLDER:
        from persistence.remote.folder import FolderRemote

        assert target.path is not None
        return FolderRemote(target.path)
    if target.kind is RemoteKind.GCS:
        from persistence.remote.gcs import GcsRemote

        return GcsRemote(target.bucket, target.prefix, used)
    from persistence.remote.s3 import S3Remote

    return S3Remote(target.bucket, target.prefix, used)
