"""The snapshot journal: every server-side snapshot we asked for, written down BEFORE asking.

A create the server finishes after we gave up (a timeout, a killed run) would otherwise stay
on the server's disk forever: Qdrant runs the create in a spawned task that a client
disconnect does not cancel (`src/actix/helpers.rs` in qdrant/qdrant). The journal lives in
the backup root (`.qdrant-snapshot-journal.json`, a few hundred bytes per entry); an entry
is removed once its snapshot was downloaded and deleted, and any later command that talks to
the same server deletes what the entries of dead runs point at (`sweep`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
import uuid
from collections.abc import Generator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from persistence.core.atomic import write_atomic
from persistence.core.errors import QdrantError
from persistence.core.fsio import PRIVATE_FILE_MODE

JOURNAL_NAME = ".qdrant-snapshot-journal.json"


class JournalEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    server: str  # the node's URL as shown (credentials removed)
    collection: str
    shard: int | None = None
    requested_at: float  # our clock, seconds since the epoch
    before: list[str]  # the snapshot names that existed just before the request
    name: str | None = None  # once the server told us (or we found it)
    host: str
    pid: int


class _JournalFile(BaseModel):
    entries: list[JournalEntry] = []


class SnapshotJournal:
    """Read-modify-write of one small JSON file under an advisory lock of its own."""

    def __init__(self, root: Path) -> None:
        self.path = root / JOURNAL_NAME
        self._lock_path = root / (JOURNAL_NAME + ".lock")

    def record_request(
        self, server: str, collection: str, shard: int | None, before: list[str]
    ) -> str:
        entry = JournalEntry(
            id=uuid.uuid4().hex,
            server=server,
            collection=collection,
            shard=shard,
            requested_at=time.time(),
            before=sorted(before),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        with self._edit() as entries:
            entries.append(entry)
        return entry.id

    def record_name(self, entry_id: str, name: str) -> None:
        with self._edit() as entries:
            for index, entry in enumerate(entries):
                if entry.id == entry_id:
                    entries[index] = entry.model_copy(update={"name": name})

    def forget(self, entry_id: str) -> None:
        with self._edit() as entries:
            entries[:] = [e for e in entries if e.id != entry_id]

    def leftovers(self, server: str, deadline: float) -> list[JournalEntry]:
        """Entries for `server` whose run is over: its process is gone, or it is us, or it
        asked longer ago than the snapshot deadline allows any run to wait."""
        with self._locked():
            entries = self._read()
        expired = time.time() - deadline
        return [
            e
            for e in entries
            if e.server == server and (e.requested_at < expired or not _other_live_run(e))
        ]

    @contextlib.contextmanager
    def _locked(self) -> Generator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise QdrantError(
                f"cannot open the snapshot journal {self.path}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _edit(self) -> Generator[list[JournalEntry]]:
        with self._locked():
            entries = self._read()
            yield entries
            try:
                if entries:
                    data = _JournalFile(entries=entries).model_dump_json(indent=1).encode()
                    write_atomic(self.path, data)
                else:
                    self.path.unlink(missing_ok=True)
            except OSError as exc:
                raise QdrantError(
                    f"cannot write the snapshot journal {self.path}: {exc.strerror}"
                ) from None

    def _read(self) -> list[JournalEntry]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise QdrantError(
                f"cannot read the snapshot journal {self.path}: {exc.strerror}"
            ) from None
        try:
            return list(_JournalFile.model_validate_json(raw).entries)
        except ValidationError:
            # A damaged journal must not block backups; keep it aside for a human to read.
            aside = self.path.with_name(f"{JOURNAL_NAME}.damaged-{int(time.time())}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            return []


def _other_live_run(entry: JournalEntry) -> bool:
    if entry.host != socket.gethostname():
        return True  # another machine's process cannot be checked: wait for the deadline
    if entry.pid == os.getpid():
        return False
    try:
        os.kill(entry.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
