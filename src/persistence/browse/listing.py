"""ls-backup: the files, components and Qdrant collections of one backup, read from its manifest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath

from persistence.browse.models import BackupContents, CollectionEntry, ComponentEntry, FileEntry
from persistence.core.errors import ConfigError
from persistence.store.catalog import CompleteBackup


def normalized_filter(path: str | None) -> str | None:
    """'storage/notes/' -> 'storage/notes'; '' or '.' or '/' -> no filter."""
    if path is None:
        return None
    # Never stripped of spaces: "notes " and "notes" are two files (the panel strips its box).
    cleaned = str(PurePosixPath("/", path)).strip("/")
    if ".." in cleaned.split("/"):
        raise ConfigError(f"{path!r}: a path inside a backup never contains '..'")
    return cleaned or None


def matches(full_path: str, wanted: str | None) -> bool:
    return wanted is None or full_path == wanted or full_path.startswith(wanted + "/")


def contents_of(backup: CompleteBackup, path: str | None = None) -> BackupContents:
    """Every entry (or those at/under `path`, written as `<component>/<path in it>`)."""
    wanted = normalized_filter(path)
    manifest = backup.manifest
    files = [
        FileEntry(
            component=record.name,
            path=item.path,
            kind=item.kind,
            size=item.size,
            mtime=datetime.fromtimestamp(item.mtime, UTC) if item.mtime else None,
            sha256=item.sha256,
            link_target=item.link_target,
        )
        for record in manifest.components
        for item in record.files
        if matches(f"{record.name}/{item.path}", wanted)
    ]
    components = [
        ComponentEntry(
            name=c.name,
            status=c.status.value,
            method=c.method,
            bytes=c.bytes,
            file_count=c.file_count,
        )
        for c in manifest.components
        if wanted is None or matches(wanted, c.name)
    ]
    if wanted is not None and not files and not any(c.name == wanted for c in components):
        raise ConfigError(
            f"nothing at {wanted} in {backup.backup_id}; see ls-backup {backup.backup_id}"
        )
    collections = [
        CollectionEntry(
            name=c.name, points_count=c.points_count, size=c.size, vectors_config=c.vectors_config
        )
        for record in manifest.components
        if record.qdrant is not None
        and matches(record.name, wanted.split("/")[0] if wanted else None)
        for c in record.qdrant.collections
    ]
    return BackupContents(
        ok=True,
        backup_id=backup.backup_id,
        created_at=manifest.started_at,
        path_filter=wanted,
        components=components,
        files=files,
        collections=collections,
    )
