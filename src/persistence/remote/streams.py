"""File-object wrappers that count bytes for the progress callback as an SDK streams them."""

from __future__ import annotations

from typing import BinaryIO

from persistence.remote.base import ByteCallback


class CountingReader:
    """Reads from `inner`, reporting every byte read; seek back (an SDK retry) is allowed."""

    def __init__(self, inner: BinaryIO, on_bytes: ByteCallback) -> None:
        self._inner = inner
        self._on_bytes = on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._on_bytes(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


class CountingWriter:
    """Writes to `inner`, reporting every byte written."""

    def __init__(self, inner: BinaryIO, on_bytes: ByteCallback) -> None:
        self._inner = inner
        self._on_bytes = on_bytes

    def write(self, data: bytes) -> int:
        written = self._inner.write(data)
        self._on_bytes(len(data))
        return written

    def flush(self) -> None:
        self._inner.flush()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def truncate(self, size: int | None = None) -> int:
        return self._inner.truncate(size)
