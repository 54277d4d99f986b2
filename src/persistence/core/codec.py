"""Optional zstd compression of database copies and Qdrant snapshots, streamed in chunks.

Memory stays bounded whatever the file size: one chunk in, one chunk out. `zstandard` is
imported only when a file is actually compressed or read back, so commands that never touch a
compressed file do not load it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from persistence.core.fsio import (
    CHUNK_SIZE,
    PRIVATE_FILE_MODE,
    CopiedFile,
    open_regular,
    write_all,
)

ZSTD_SUFFIX = ".zst"
DEFAULT_ZSTD_LEVEL = 3
# zstd's own range for ordinary use (negative "fast" levels are not offered).
MAX_ZSTD_LEVEL = 22


class Codec(StrEnum):
    NONE = "none"
    ZSTD = "zstd"


@dataclass(frozen=True)
class Compression:
    codec: Codec = Codec.NONE
    level: int = DEFAULT_ZSTD_LEVEL


def parse_compression(text: str) -> Compression:
    """`none`, `zstd` or `zstd:LEVEL` (1-22); anything else raises ValueError naming the forms."""
    name, sep, level_text = text.strip().lower().partition(":")
    expected = "expected none, zstd or zstd:LEVEL (LEVEL 1-22)"
    if name == Codec.NONE and not sep:
        return Compression()
    if name != Codec.ZSTD:
        raise ValueError(expected)
    if not sep:
        return Compression(Codec.ZSTD)
    if not level_text.isdigit() or not 1 <= int(level_text) <= MAX_ZSTD_LEVEL:
        raise ValueError(expected)
    return Compression(Codec.ZSTD, int(level_text))


@dataclass(frozen=True)
class Compressed:
    stored: CopiedFile  # the .zst file as it lies in the backup
    original: CopiedFile  # the bytes it decompresses to


def compress_file(source: Path, target: Path, level: int) -> Compressed:
    """Write `target` as the zstd frame of `source`, hashing both sides in the same pass."""
    import zstandard  # lazily: only runs that compress need it

    compressor = zstandard.ZstdCompressor(level=level, write_checksum=True).compressobj()
    original, stored = hashlib.sha256(), hashlib.sha256()
    original_size = stored_size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    dst_fd = os.open(target, flags, PRIVATE_FILE_MODE)
    try:
        with source.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                original.update(chunk)
                original_size += len(chunk)
                stored_size += _emit(dst_fd, compressor.compress(chunk), stored.update, target)
        stored_size += _emit(dst_fd, compressor.flush(), stored.update, target)
    finally:
        os.close(dst_fd)
    return Compressed(
        stored=CopiedFile(stored_size, stored.hexdigest()),
        original=CopiedFile(original_size, original.hexdigest()),
    )


def _emit(fd: int, data: bytes, update: Callable[[bytes], None], target: Path) -> int:
    if data:
        update(data)
        write_all(fd, data, target)
    return len(data)


def decompress_file(
    source: Path, target: Path, on_chunk: Callable[[int], None] | None = None
) -> CopiedFile:
    """Write the original bytes of the zstd file `source` to a new `target`; their hash."""
    import zstandard

    digest = hashlib.sha256()
    size = 0
    # Opened first, and as a regular file only: a fifo in the backup in this file's place
    # raises NotRegularFile (damage) and leaves no target, instead of blocking the restore.
    handle = os.fdopen(open_regular(source), "rb")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        dst_fd = os.open(target, flags, PRIVATE_FILE_MODE)
    except OSError:
        handle.close()
        raise
    try:
        with (
            handle,
            zstandard.ZstdDecompressor().stream_reader(handle) as reader,
        ):
            while chunk := reader.read(CHUNK_SIZE):
                digest.update(chunk)
                write_all(dst_fd, chunk, target)
                size += len(chunk)
                if on_chunk is not None:
                    on_chunk(len(chunk))
    except zstandard.ZstdError as exc:
        raise OSError(f"{source} is not a readable zstd file: {exc}") from exc
    finally:
        os.close(dst_fd)
    return CopiedFile(size, digest.hexdigest())


@contextmanager
def readable_original(path: Path, codec: str | None) -> Generator[tuple[Path, CopiedFile | None]]:
    """The file as its original bytes: itself, or a decompressed temporary copy beside it.

    Yields the path and, for a compressed file, the size and sha256 of what it decompressed
    to (None when nothing was decompressed). The temporary copy is removed on exit.
    """
    if codec is None or codec == Codec.NONE:
        yield path, None
        return
    # In the temp folder, never inside the backup: a killed run must not leave an extra file there.
    with tempfile.TemporaryDirectory(prefix="decompressed-") as work:
        plain = Path(work) / path.name.removesuffix(ZSTD_SUFFIX)
        original = decompress_file(path, plain)
        yield plain, original
