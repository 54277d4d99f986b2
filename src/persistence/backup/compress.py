"""After capture, database copies and Qdrant snapshots are replaced by their zstd frames.

A separate pass over the fresh copy (streamed, one chunk in memory): the capture code stays
the same for every codec, and `none` (the default) skips this entirely.
"""

from __future__ import annotations

from pathlib import Path

from persistence.components.names import DATABASE_COMPONENTS, QDRANT_COMPONENT
from persistence.core.codec import ZSTD_SUFFIX, Codec, Compression, compress_file
from persistence.core.paths import join_inside
from persistence.store.manifest import ComponentRecord, ComponentStatus, FileRecord


def compress_records(
    records: list[ComponentRecord], staging: Path, compression: Compression
) -> list[ComponentRecord]:
    if compression.codec is Codec.NONE:
        return records
    return [
        _compress_component(record, staging / record.name, compression.level)
        if record.status is ComponentStatus.CAPTURED
        and (record.name in DATABASE_COMPONENTS or record.name == QDRANT_COMPONENT)
        else record
        for record in records
    ]


def _compressible(record: ComponentRecord) -> set[str]:
    """Database copies, and Qdrant snapshot archives (never an embedded Qdrant folder)."""
    if record.name in DATABASE_COMPONENTS:
        return {f.path for f in record.files if f.kind == "file" and f.codec is None}
    if record.qdrant is None:
        return set()
    return {c.file for c in record.qdrant.collections if c.codec is None}


def _compress_component(record: ComponentRecord, folder: Path, level: int) -> ComponentRecord:
    chosen = _compressible(record)
    replaced: dict[str, FileRecord] = {}
    files: list[FileRecord] = []
    for item in record.files:
        if item.path not in chosen:
            files.append(item)
            continue
        source = join_inside(folder, item.path)
        stored_path = item.path + ZSTD_SUFFIX
        done = compress_file(source, join_inside(folder, stored_path), level)
        source.unlink()
        new = item.model_copy(
            update={
                "path": stored_path,
                "size": done.stored.size,
                "sha256": done.stored.sha256,
                "codec": Codec.ZSTD.value,
                "original_size": done.original.size,
                "original_sha256": done.original.sha256,
            }
        )
        replaced[item.path] = new
        files.append(new)
    qdrant = record.qdrant
    if qdrant is not None:
        collections = [
            c.model_copy(
                update={
                    "file": replaced[c.file].path,
                    "size": replaced[c.file].size,
                    "sha256": replaced[c.file].sha256,
                    "codec": Codec.ZSTD.value,
                    "original_size": replaced[c.file].original_size,
                    "original_sha256": replaced[c.file].original_sha256,
                }
            )
            if c.file in replaced
            else c
            for c in qdrant.collections
        ]
        qdrant = qdrant.model_copy(update={"collections": collections})
    stored_bytes = sum(f.size for f in files if f.kind == "file")
    return record.model_copy(update={"files": files, "qdrant": qdrant, "bytes": stored_bytes})
