"""The manifest: what a backup holds, how it was made, and the hash of every byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    JsonValue,
    ValidationError,
    model_validator,
)

from persistence import TOOL_NAME
from persistence.core.errors import VerificationError
from persistence.core.results import ComponentStatus
from persistence.store.manifest_types import (
    MAX_FILES_PER_COMPONENT,
    STRICT,
    ByteCount,
    EntryPath,
    LinkTarget,
    Mode,
    Mtime,
    NoNul,
    Sha256,
)
from persistence.store.sealed import MANIFEST_NAME as MANIFEST_NAME
from persistence.store.sealed import MAX_MANIFEST_BYTES as MAX_MANIFEST_BYTES
from persistence.store.sealed import SIDECAR_NAME as SIDECAR_NAME
from persistence.store.sealed import SealedManifest as SealedManifest
from persistence.store.sealed import read_sealed as read_sealed
from persistence.store.sealed import sidecar_for as sidecar_for
from persistence.store.sealed import sidecar_text as sidecar_text

SCHEMA_VERSION = 1


class FileRecord(BaseModel):
    """One entry of a component; `path` is relative (POSIX) to `<backup>/<component>/`."""

    model_config = STRICT

    path: EntryPath
    kind: Literal["file", "symlink", "dir"] = "file"
    size: ByteCount = 0
    sha256: Sha256 | None = None
    mode: Mode = 0o600
    mtime: Mtime = 0.0
    link_target: LinkTarget | None = None
    # Optional and additive (older backups stay readable): `size`/`sha256` are always the file
    # as stored in the backup; a compressed one also records what it decompresses to.
    codec: NoNul | None = None
    original_size: ByteCount | None = None
    original_sha256: Sha256 | None = None
    # Incremental backups (optional, additive): the source's identity at capture time, and
    # the backup this file was hard-linked from instead of copied (None: copied).
    mtime_ns: int | None = None
    inode: int | None = None
    ctime_ns: int | None = None
    linked_from: NoNul | None = None
    # Databases: identity of the live file and its journals while it was copied, so a restore
    # plan can tell "unchanged since the backup" without reading or copying it.
    source_fingerprint: NoNul | None = None

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> FileRecord:
        # The tool never writes these combinations: one in a manifest means it was edited.
        if self.kind != "symlink" and self.link_target is not None:
            raise ValueError(f"{self.path}: a link target on a {self.kind}")
        if self.kind != "file" and (self.size or self.sha256 is not None):
            raise ValueError(f"{self.path}: a size or sha256 on a {self.kind}")
        if self.kind == "file" and self.sha256 is None:
            raise ValueError(f"{self.path}: a file without a sha256")
        return self


class QdrantCollectionRecord(BaseModel):
    model_config = STRICT

    name: NoNul
    snapshot_name: NoNul
    file: EntryPath  # relative to the qdrant component folder
    size: ByteCount
    sha256: Sha256
    server_checksum: str | None = None
    points_count: ByteCount | None = None
    # True when points_count is the exact count (`points/count` with exact=true); older
    # manifests hold the approximate count of collection info.
    points_count_exact: bool = False
    vectors_config: JsonValue = None
    shard_number: int | None = None
    replication_factor: int | None = None
    collection_config: JsonValue = None  # the whole config, to recreate the collection
    payload_schema: JsonValue = None  # payload indexes
    server_snapshot_deleted: bool = False
    codec: str | None = None  # as in FileRecord: size/sha256 are the stored file's
    original_size: int | None = None
    original_sha256: str | None = None

    @property
    def content_sha256(self) -> str:
        """The sha256 of the snapshot as Qdrant made it (what an upload sends)."""
        return self.original_sha256 or self.sha256


class QdrantShardRecord(BaseModel):
    """One shard snapshot of a distributed collection, taken on a node where it is local."""

    model_config = STRICT

    shard_id: int
    file: EntryPath  # relative to the qdrant component folder
    size: ByteCount
    sha256: Sha256
    points_count: ByteCount | None = None  # as the hosting node reported it for its local shard
    shard_key: JsonValue = None
    node: str | None = None  # the node's REST URL as shown (credentials removed)


class QdrantClusterCollectionRecord(BaseModel):
    """A collection of a cluster: its layout, to recreate it, and one file per shard."""

    model_config = STRICT

    name: str
    points_count: int | None = None  # exact total (`points/count` with exact=true)
    vectors_config: JsonValue = None
    shard_number: int
    replication_factor: int | None = None
    collection_config: JsonValue = None
    payload_schema: JsonValue = None
    shard_keys: list[JsonValue] = Field(default_factory=lambda: [])
    shards: list[QdrantShardRecord] = Field(default_factory=lambda: [])


class QdrantRecord(BaseModel):
    model_config = STRICT

    mode: Literal["server", "cluster", "embedded", "not-configured"]
    url: str | None = None
    nodes: list[str] = Field(default_factory=lambda: [])  # cluster: every node's URL as shown
    server_version: str | None = None
    collections: list[QdrantCollectionRecord] = Field(default_factory=lambda: [])
    cluster_collections: list[QdrantClusterCollectionRecord] = Field(default_factory=lambda: [])
    # Snapshots earlier runs left on the server (found through the journal), deleted now.
    orphans_removed: list[str] = Field(default_factory=lambda: [])


class ComponentRecord(BaseModel):
    model_config = STRICT

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
    model_config = STRICT

    schema_version: int = SCHEMA_VERSION
    tool: str = TOOL_NAME
    tool_version: str
    backup_id: str
    host: str
    # Aware: a planted manifest with a naive time cannot be sorted beside the others (a listing,
    # a create's choice of the newest backup) and is refused as invalid instead.
    started_at: AwareDatetime
    finished_at: AwareDatetime
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


def load_manifest(backup_path: Path, *, check_sidecar: bool = True) -> Manifest:
    """Read and validate a backup's manifest; a tampered or foreign one raises VerificationError.

    Read without following links and with a size cap (see `read_capped`), hashed as it is
    read: one planted file must not block every command on the backup root.
    """
    return parse_sealed(read_sealed(backup_path, check_sidecar=check_sidecar))


def parse_sealed(sealed: SealedManifest) -> Manifest:
    """The validated manifest of this tool (VerificationError for a foreign or newer one)."""
    manifest_path = sealed.path
    manifest = _parse(manifest_path, sealed.data)
    if manifest.tool != TOOL_NAME:
        raise VerificationError(f"{manifest_path} was not written by {TOOL_NAME}")
    if manifest.schema_version > SCHEMA_VERSION:
        raise VerificationError(
            f"{manifest_path} has schema version {manifest.schema_version}; "
            f"this tool reads up to {SCHEMA_VERSION}: upgrade the tool"
        )
    return manifest


def _parse(manifest_path: Path, data: bytes) -> Manifest:
    # Parsed and validated in one pass by pydantic-core (every listing reads every manifest);
    # the Python parse below runs only to name what is wrong.
    try:
        return Manifest.model_validate_json(data)
    except ValidationError:
        pass
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
            component = _at(_at(raw, "components"), loc[1])
            entry = _at(_at(component, "files"), loc[3])
            name = f"{_at(component, 'name')}/{_at(entry, 'path')}"
        except (KeyError, IndexError):
            return dotted
        field = ".".join(str(part) for part in loc[4:]) or "entry"
        return f"entry {str(name)[:300]!r} ({field})"
    return dotted


def _at(value: JsonValue, key: int | str) -> JsonValue:
    """`value[key]` in raw JSON, KeyError where the document has another shape there."""
    if isinstance(key, str) and isinstance(value, dict):
        return value[key]
    if isinstance(key, int) and isinstance(value, list):
        return value[key]
    raise KeyError(key)
