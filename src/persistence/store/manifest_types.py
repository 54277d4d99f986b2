"""The strict field types of a manifest: a hostile manifest fails validation, never a restore.

A manifest is input: anyone who can write to the backup disk can edit it and re-sign it. So
every value that reaches the filesystem is bounded here, once, for every reader.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

# The mode bits the tool records and applies: permissions and the sticky bit. Never setuid or
# setgid: a restore must not mint privileged programs, whoever edited the manifest.
RECORDED_MODE_BITS = 0o1777
# mtimes a filesystem can hold and datetime can show: 1901-12-13 (32-bit time_t) to 9999-12-31.
MIN_MTIME = -(2**31)
MAX_MTIME = 253_402_300_799
MAX_SIZE = 2**62  # far beyond any disk, small enough for every int64 field it meets
# Linux NAME_MAX and PATH_MAX: a longer entry can never be written, so it is a damaged manifest.
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4095
MAX_FILES_PER_COMPONENT = 10_000_000
# A character takes at most 4 bytes in UTF-8: a path this short fits every limit above.
_SURELY_SHORT = NAME_MAX_BYTES // 4


def _fits_the_os(path: str) -> str:
    if len(path) <= _SURELY_SHORT:
        return path
    if len(path.encode("utf-8", "surrogateescape")) > PATH_MAX_BYTES:
        raise ValueError(f"path longer than {PATH_MAX_BYTES} bytes")
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
            raise ValueError(f"name {part[:40]!r}... longer than {NAME_MAX_BYTES} bytes")
    return path


NoNul = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
EntryPath = Annotated[NoNul, StringConstraints(min_length=1), AfterValidator(_fits_the_os)]
LinkTarget = Annotated[NoNul, AfterValidator(_fits_the_os)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ByteCount = Annotated[int, Field(ge=0, le=MAX_SIZE, strict=True)]
Mode = Annotated[int, Field(ge=0, le=RECORDED_MODE_BITS, strict=True)]
Mtime = Annotated[float, Field(ge=MIN_MTIME, le=MAX_MTIME)]
# defer_build: a listing served from the listing cache validates no manifest, so it need not
# build their validators at start-up (~7 ms, issue 12); the first validation builds them.
STRICT = ConfigDict(frozen=True, allow_inf_nan=False, defer_build=True)
