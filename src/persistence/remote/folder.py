"""A remote on a mounted disk or NAS share: plain files, written so none is ever half there.

Each object is written to a temporary name, fsynced, checked against its sha256 and renamed
into place; its size and hashes are kept in a small sidecar under `.remote-meta/`, the tool's
own index, so `stat` never has to re-read the data.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, ValidationError

from persistence.core.atomic import NAME_MAX, atomic_temp_globs, atomic_temp_owner, write_atomic
from persistence.core.errors import ConfigError
from persistence.core.fsio import CHUNK_SIZE, fsync_dir, write_all
from persistence.core.processes import process_alive
from persistence.remote.base import (
    ByteCallback,
    ObjectInfo,
    RemoteError,
    check_key,
    ignore_bytes,
)

META_DIR = ".remote-meta"
TEMP_PREFIX = ".remote-tmp-"


class _ObjectMeta(BaseModel):
    """An object's entry in `.remote-meta/`, written before the object is renamed into place."""

    model_config = ConfigDict(strict=True, extra="ignore")

    size: int
    sha256: str


def _stand_in(name: str) -> str:
    return hashlib.sha256(os.fsencode(name)).hexdigest()[:32]


def _fits(name: str) -> bool:
    return len(os.fsencode(name)) <= NAME_MAX


def _entry_name(name: str) -> str:
    """The index entry of object `name`: `<name>.json`, or for a name too long to take the
    suffix `<digest>.long` (never the entry of another object: those all end in `.json`)."""
    entry = f"{name}.json"
    return entry if _fits(entry) else f"{_stand_in(name)}.long"


def _object_temp(target: Path) -> Path:
    """`.remote-tmp-<pid>-<name>`, with a digest of the name where the name is too long."""
    temp = f"{TEMP_PREFIX}{os.getpid()}-{target.name}"
    return target.with_name(
        temp if _fits(temp) else f"{TEMP_PREFIX}{os.getpid()}-{_stand_in(target.name)}"
    )


def _dead(pid: int | None) -> bool:
    return pid is not None and not process_alive(pid)  # None: not a temp name of ours


def _object_temp_owner(name: str) -> int | None:
    """The pid in `.remote-tmp-<pid>-<name>`, the temp an object is written to."""
    pid = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(pid) if pid.isascii() and pid.isdigit() else None


def _indexed(meta: Path) -> bool:
    try:
        return meta.exists()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # no object was ever written with such an entry
            return False
        raise


def _remove_stale_temps(target: Path, meta: Path) -> None:
    """What a push killed while writing this object left (its temp file and the temp of its
    index entry): a resumed push rewrites the object, and nothing else ever removes them."""
    temps = [
        *target.parent.glob(f"{TEMP_PREFIX}*-{glob.escape(target.name)}"),
        *target.parent.glob(f"{TEMP_PREFIX}*-{_stand_in(target.name)}"),
    ]
    for path in temps:
        # Keys are the user's file names, so an object may be named like a temp: every
        # object has its index entry (written before it is renamed into place), a temp never.
        if _indexed(meta.parent / _entry_name(path.name)):
            continue
        if _dead(_object_temp_owner(path.name)):
            path.unlink(missing_ok=True)
    if meta.parent.is_dir():
        for pattern in atomic_temp_globs(meta):
            for path in meta.parent.glob(pattern):
                if _dead(atomic_temp_owner(path.name)):
                    path.unlink(missing_ok=True)


class FolderRemote:
    def __init__(self, root: Path) -> None:
        # A missing mount must fail loudly: creating the folder would fill the system disk.
        if not root.is_dir():
            raise ConfigError(
                f"remote folder {root} does not exist or is not a folder "
                "(is the disk mounted?); create it first"
            )
        self._root = root

    @property
    def display(self) -> str:
        return str(self._root)

    def _path(self, key: str) -> Path:
        return self._root / check_key(key)

    def _meta_path(self, key: str) -> Path:
        path = self._root / META_DIR / check_key(key)
        return path.with_name(_entry_name(path.name))

    def put_file(
        self, key: str, source: Path, *, sha256: str, on_bytes: ByteCallback = ignore_bytes
    ) -> ObjectInfo:
        with source.open("rb") as handle:
            return self._write(key, handle, sha256, on_bytes)

    def put_bytes(self, key: str, data: bytes, *, sha256: str) -> ObjectInfo:
        import io

        return self._write(key, io.BytesIO(data), sha256, ignore_bytes)

    def _write(self, key: str, stream: BinaryIO, sha256: str, on_bytes: ByteCallback) -> ObjectInfo:
        target = self._path(key)
        try:
            self._make_parents(target)
            _remove_stale_temps(target, self._meta_path(key))
            tmp = _object_temp(target)
            digest, size = hashlib.sha256(), 0
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                while chunk := stream.read(CHUNK_SIZE):
                    digest.update(chunk)
                    write_all(fd, chunk, tmp)
                    size += len(chunk)
                    on_bytes(len(chunk))
                os.fsync(fd)
            finally:
                os.close(fd)
            if digest.hexdigest() != sha256:
                tmp.unlink()
                raise RemoteError(
                    f"upload of {key} to {self.display} refused: its content does not match "
                    "the sha256 recorded in the manifest"
                )
            info = ObjectInfo(key=key, size=size, checksum=f"sha256:{sha256}", sha256=sha256)
            meta = self._meta_path(key)
            self._make_parents(meta)
            write_atomic(meta, _ObjectMeta(size=size, sha256=sha256).model_dump_json().encode())
            tmp.replace(target)
            fsync_dir(target.parent)
        except OSError as exc:
            raise RemoteError(f"writing {key} to {self.display} failed: {exc.strerror}") from exc
        return info

    def _make_parents(self, path: Path) -> None:
        """The folders above `path`, below the remote's root, which is never created: a disk
        unmounted mid-push (its mount folder removed) fails the push instead of being
        recreated on the system disk."""
        here = self._root
        for part in path.parent.relative_to(self._root).parts:
            here = here / part
            try:
                here.mkdir()
            except FileExistsError:
                pass
            except FileNotFoundError as exc:
                raise RemoteError(
                    f"remote folder {self._root} vanished (was the disk unmounted?)"
                ) from exc

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RemoteError(f"reading {key} on {self.display} failed: {exc.strerror}") from exc
        sha256 = self._recorded(key, size)
        checksum = None if sha256 is None else f"sha256:{sha256}"
        return ObjectInfo(key=key, size=size, checksum=checksum, sha256=sha256)

    def _recorded(self, key: str, size: int) -> str | None:
        """The sha256 written with the object, if it still describes it."""
        try:
            meta = _ObjectMeta.model_validate_json(self._meta_path(key).read_bytes())
        except (OSError, ValidationError):
            return None
        return meta.sha256 if meta.size == size else None

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        # Walk only the folder the prefix names, not the whole disk.
        start = self._root / prefix.rsplit("/", 1)[0] if "/" in prefix else self._root
        for current, dirs, files in os.walk(start):
            here = Path(current)
            if here == self._root:
                dirs[:] = [d for d in dirs if d != META_DIR]
            dirs.sort()
            for name in sorted(files):
                if name.startswith(TEMP_PREFIX):
                    continue
                key = (here / name).relative_to(self._root).as_posix()
                if key.startswith(prefix):
                    info = self.stat(key)
                    if info is not None:
                        yield info

    def download(self, key: str, sink: BinaryIO, *, on_bytes: ByteCallback = ignore_bytes) -> None:
        try:
            # Non-blocking open: a fifo put in an object's place must not hang the pull.
            fd = os.open(self._path(key), os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise RemoteError(f"{key} on {self.display} is not a regular file")
                while chunk := handle.read(CHUNK_SIZE):
                    sink.write(chunk)
                    on_bytes(len(chunk))
        except FileNotFoundError as exc:
            raise RemoteError(f"{key} is not on {self.display}") from exc
        except OSError as exc:
            raise RemoteError(f"reading {key} on {self.display} failed: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._meta_path(key)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                message = f"deleting {key} on {self.display} failed: {exc.strerror}"
                raise RemoteError(message) from exc
