"""Error types the shells turn into one clear line and a documented exit code."""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    LOCKED = 3
    VERIFY_FAILED = 4


class BackupError(Exception):
    """A failure with a message meant for the user: what failed, where, and what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(BackupError):
    """Settings or command-line input that cannot be used as given."""

    exit_code = ExitCode.USAGE


class PathSafetyError(ConfigError):
    """A path that would read or write outside the places the user allowed."""


class LockBusyError(BackupError):
    """Another run holds the backup lock."""

    exit_code = ExitCode.LOCKED


class ComponentError(BackupError):
    """One component could not be captured or restored."""


class QdrantError(ComponentError):
    """The Qdrant server refused, failed or lied."""


class VerificationError(BackupError):
    """A backup did not pass verification."""

    exit_code = ExitCode.VERIFY_FAILED


def describe_os_error(exc: OSError, component: str, *, into_backup_root: bool = True) -> str:
    """One line for an OSError; `into_backup_root` says whether moving BACKUP_DIR would help
    (it would not for a restore, which writes into the data root)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        remedy = (
            "free space or move BACKUP_DIR to a bigger disk"
            if into_backup_root
            else "free space on the disk that holds it"
        )
        return f"{component}: no room to write{where} ({exc.strerror}); {remedy}"
    if exc.errno == errno.EROFS:
        return f"{component}: read-only filesystem{where}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{component}: permission denied{where}"
    return f"{component}: {exc.strerror or exc}{where}"
