"""One side of a comparison: what a backup holds, or what the data root holds now."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from persistence.components.names import (
    DATABASE_COMPONENTS,
    FILE_COMPONENTS,
    LOGS,
    QDRANT_COMPONENT,
)
from persistence.components.registry import source_of
from persistence.core.errors import BackupError
from persistence.core.paths import SafePaths, join_inside
from persistence.core.settings import BackupSettings
from persistence.core.walk import printable, walk_tree
from persistence.qdrant.client import QdrantRestClient
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import ComponentStatus


@dataclass(frozen=True)
class FileState:
    kind: str
    size: int
    mtime: float
    sha256: str | None  # None: a live file not hashed yet (hashed only when it must be)
    link_target: str | None
    location: Path


@dataclass(frozen=True)
class CollectionState:
    points_count: int | None
    vectors_config: JsonValue


@dataclass
class ComponentSide:
    name: str
    status: str
    bytes: int = 0
    files: dict[str, FileState] = field(default_factory=lambda: dict[str, FileState]())
    database: Path | None = None  # the file whose tables are counted
    frozen: bool = True  # a backup copy (nobody writes it) rather than a live file
    codec: str | None = None  # how the backup stores `database` (None: a plain copy)


@dataclass
class Side:
    label: str
    components: dict[str, ComponentSide]
    collections: dict[str, CollectionState] | None  # None: Qdrant could not be read here
    collections_note: str | None = None


def backup_side(backup: CompleteBackup) -> Side:
    components: dict[str, ComponentSide] = {}
    collections: dict[str, CollectionState] = {}
    for record in backup.manifest.components:
        folder = backup.path / record.name
        files = {
            f.path: FileState(
                f.kind, f.size, f.mtime, f.sha256, f.link_target, join_inside(folder, f.path)
            )
            for f in record.files
        }
        side = ComponentSide(record.name, record.status.value, record.bytes, files)
        if record.name in DATABASE_COMPONENTS and record.status is ComponentStatus.CAPTURED:
            stored = next((f for f in record.files if f.kind == "file"), None)
            if stored is not None:
                side.database, side.codec = files[stored.path].location, stored.codec
        components[record.name] = side
        if record.qdrant is not None and record.qdrant.mode == "server":
            for item in record.qdrant.collections:
                collections[item.name] = CollectionState(item.points_count, item.vectors_config)
    return Side(backup.backup_id, components, collections)


def live_side(settings: BackupSettings, paths: SafePaths) -> Side:
    components: dict[str, ComponentSide] = {}
    for name in FILE_COMPONENTS:
        source = source_of(paths, name)
        if name == LOGS and not paths.include_logs:
            components[name] = ComponentSide(name, ComponentStatus.SKIPPED.value)
        elif not source.exists():
            components[name] = ComponentSide(name, ComponentStatus.ABSENT.value)
        elif name in DATABASE_COMPONENTS:
            size = source.stat().st_size
            state = FileState("file", size, source.stat().st_mtime, None, None, source)
            components[name] = ComponentSide(
                name,
                ComponentStatus.CAPTURED.value,
                size,
                {source.name: state},
                database=source,
                frozen=False,
            )
        else:
            components[name] = _live_tree(name, source)
    collections, note = _live_collections(settings)
    status = ComponentStatus.CAPTURED if note is None else ComponentStatus.SKIPPED
    components[QDRANT_COMPONENT] = ComponentSide(QDRANT_COMPONENT, status.value)
    return Side("live", components, collections, note)


def _live_tree(name: str, source: Path) -> ComponentSide:
    files: dict[str, FileState] = {}
    for entry in walk_tree(source):
        mode = entry.info.st_mode
        shown = printable(entry.relative)  # a name that is not UTF-8 is shown escaped
        if stat.S_ISLNK(mode):
            link = printable(str(entry.path.readlink()))
            files[shown] = FileState("symlink", 0, entry.info.st_mtime, None, link, entry.path)
        elif stat.S_ISDIR(mode):
            files[shown] = FileState("dir", 0, entry.info.st_mtime, None, None, entry.path)
        elif stat.S_ISREG(mode):
            files[shown] = FileState(
                "file", entry.info.st_size, entry.info.st_mtime, None, None, entry.path
            )
    total = sum(f.size for f in files.values() if f.kind == "file")
    return ComponentSide(name, ComponentStatus.CAPTURED.value, total, files, frozen=False)


def _live_collections(
    settings: BackupSettings,
) -> tuple[dict[str, CollectionState] | None, str | None]:
    if not settings.qdrant_url:
        return None, "QDRANT_URL is not set: Qdrant was not compared"
    wanted = settings.collection_names()
    try:
        with QdrantRestClient(
            settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=settings.qdrant_timeout
        ) as client:
            names = client.list_collections() if wanted is None else wanted
            found: dict[str, CollectionState] = {}
            for name in names:
                info = client.collection_info(name)
                found[name] = CollectionState(info.points_count, info.vectors_config)
    except BackupError as exc:
        return None, f"Qdrant could not be read: {exc.message}"
    return found, None
