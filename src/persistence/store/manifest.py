"""The manifest: what a backup holds, how it was made, and the hash of every byte."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
)

from persistence import TOOL_NAME
from persistence.core.errors import VerificationError
from persistence.store.manifest_io import read_capped

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIDECAR_NAME = "manifest.json.sha256"
# A manifest lists every file: ~250 bytes each, so 128 MiB is half a million files. Far above
# any real one, far below what exhausts memory (a link to /dev/zero is refused before this).
MAX_MANIFEST_BYTES = 128 * 1024 * 1024
MAX_SIDECAR_BYTES = 4096


class ComponentStatus(StrEnum):
    CAPTURED = "captured"
    ABSENT = "absent"
    FAILED = "failed"
    SKIPPED = "skipped"


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


def _fits_the_os(path: str) -> str:
    if len(path.encode("utf-8", "surrogateescape")) > PATH_MAX_BYTES:
        raise ValueError(f"path longer than {PATH_MAX_BYTES} bytes")
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
            raise ValueError(f"name {part[:40]!r}... longer than {NAME_MAX_BYTES} bytes")
    return path


NoNul = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
EntryPath = Annotated[NoNul, StringConstraints(min_length=1), AfterValidator(_fits_the_os)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ByteCount = Annotated[int, Field(ge=0, le=MAX_SIZE)]
_STRICT = ConfigDict(frozen=True, allow_inf_nan=False)


class FileRecord(BaseModel):
    """One entry of a component; `path` is relative (POSIX) to `<backup>/<component>/`."""

    model_config = _STRICT

    path: EntryPath
    kind: Literal["file", "symlink", "dir"] = "file"
    size: ByteCount = 0
    sha256: Sha256 | None = None
    mode: int = Field(default=0o600, ge=0, le=RECORDED_MODE_BITS)
    mtime: float = Field(default=0.0, ge=MIN_MTIME, le=MAX_MTIME)
    link_target: Annotated[NoNul, AfterValidator(_fits_the_os)] | None = None


class QdrantCollectionRecord(BaseModel):
    model_config = _STRICT

    name: NoNul
    snapshot_name: NoNul
    file: EntryPath  # relative to the qdrant component folder
    size: ByteCount
    sha256: Sha256
    server_checksum: str | None = None
    points_count: ByteCount | None = None
    vectors_config: JsonValue = None
    server_snapshot_deleted: bool = False


class QdrantRecord(BaseModel):
    model_config = _STRICT

    mode: Literal["server", "embedded", "not-configured"]
    url: str | None = None
    server_version: str | None = None
    collections: list[QdrantCollectionRecord] = Field(default_factory=lambda: [])


class ComponentRecord(BaseModel):
    model_config = _STRICT

    name: NoNul
    status: ComponentStatus
    source: str | None = None
    method: str | None = None
    bytes: ByteCount = 0
    file_count: ByteCount = 0
    files: list[FileRecord] = Field(default_factory=lambda: [], max_length=MAX_FILES_PER_COMPONENT)
    warnings: list[str] = Field(default_factory=lambda: [])
    error: str | None = None
    qdrant: QdrantRecord | None = None


class Manifest(BaseModel):
    model_config = _STRICT

    schema_version: int = SCHEMA_VERSION
    tool: str = TOOL_NAME
    tool_version: str
    backup_id: str
    host: str
    started_at: datetime
    finished_at: datetime
    duration_seconds: float = Field(ge=0)
    settings: dict[str, str | None]
    components: list[ComponentRecord]
    warnings: list[str] = Field(default_factory=lambda: [])

    def component(self, name: str) -> ComponentRecord | None:
        return next((c for c in self.components if c.name == name), None)

    @property
    def total_bytes(self) -> int:
        return sum(c.bytes for c in self.components)


def manifest_bytes(manifest: Manifest) -> bytes:
    return (manifest.model_dump_json(indent=2) + "\n").encode("utf-8")


def sidecar_text(manifest_data: bytes) -> str:
    return f"{hashlib.sha256(manifest_data).hexdigest()}  {MANIFEST_NAME}\n"


def load_manifest(backup_path: Path, *, check_sidecar: bool = True) -> Manifest:
    """Read and validate a backup's manifest; a tampered or foreign one raises VerificationError.

    Read without following links and with a size cap (see `read_capped`), hashed as it is
    read: one planted file must not block every command on the backup root.
    """
    manifest_path = backup_path / MANIFEST_NAME
    data, digest = read_capped(manifest_path, MAX_MANIFEST_BYTES, "manifest")
    if check_sidecar:
        sidecar_path = backup_path / SIDECAR_NAME
        try:
            sidecar, _ = read_capped(sidecar_path, MAX_SIDECAR_BYTES, "manifest hash file")
            recorded = sidecar.decode("ascii").split()[0]
        except (VerificationError, UnicodeDecodeError, IndexError) as exc:
            raise VerificationError(f"missing or empty manifest hash file {sidecar_path}") from exc
        if recorded != digest:
            raise VerificationError(
                f"{manifest_path} does not match its recorded hash: the manifest was changed"
            )
    manifest = _parse(manifest_path, data)
    if manifest.tool != TOOL_NAME:
        raise VerificationError(f"{manifest_path} was not written by {TOOL_NAME}")
    if manifest.schema_version > SCHEMA_VERSION:
        raise VerificationError(
            f"{manifest_path} has schema version {manifest.schema_version}; "
            f"this tool reads up to {SCHEMA_VERSION}: upgrade the tool"
        )
    return manifest


def _parse(manifest_path: Path, data: bytes) -> Manifest:
    try:
        raw: JsonValue = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise VerificationError(f"{manifest_path} is not a valid manifest: {exc}") from exc
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _entry_named(raw, first["loc"])
        raise VerificationError(
            f"{manifest_path} is not a valid manifest: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else "")
        ) from exc


def _entry_named(raw: JsonValue, loc: tuple[int | str, ...]) -> str:
    """`storage/docs/a.txt: mode` rather than `components.1.files.3.mode`: name the entry."""
    dotted = ".".join(str(part) for part in loc)
    if len(loc) >= 4 and loc[0] == "components" and loc[2] == "files":
        try:
            component = raw["components"][loc[1]]  # pyright: ignore
            entry = component["files"][loc[3]]  # pyright: ignore
            name = f"{component['name']}/{entry['path']}"  # pyright: ignore
        except (KeyError, IndexError, TypeError):
            return dotted
        field = ".".join(str(part) for part in loc[4:]) or "entry"
        return f"entry {str(name)[:300]!r} ({field})"
    return dotted
