"""Restore routes of the Qdrant stand-in: multipart upload and recover-from-location.

An uploaded snapshot recovers the collection: its vector size and shard count come from the
archive's config.json, its points count from the archive the stand-in built (known by its
sha256) or, for an archive it did not build, from the real engine (offline count).
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from tests.qdrant_standin.archive import BuiltArchive, sha256_file
from tests.qdrant_standin.protocol import BaseQdrantHandler
from tests.qdrant_standin.state import Fault, StandinCollection, StoredSnapshot

PRIORITIES = ("snapshot", "replica", "no_sync")


# Refused in collection names by the upload route's strict validation only (names made
# before Qdrant 1.5 may hold them): `src/actix/api/mod.rs`, `validation.rs`.
STRICT_NAME_CHARS = frozenset('<>:"\\|?*')


class RestoreRoutes(BaseQdrantHandler):
    def _upload(self, name: str, query: dict[str, str], fault: Fault | None = None) -> None:
        if any(char in STRICT_NAME_CHARS for char in name):
            self._error(
                422,
                "Validation error in path parameters: [collection_name: "
                'collection name cannot contain "<>:\\"/\\\\|?*\\0" chars]',
            )
            return
        boundary = re.search(r"boundary=\"?([^\";]+)", self.headers_lc.get("content-type", ""))
        part = multipart_file(self.body, boundary[1].encode()) if boundary else None
        if part is None:
            self._error(400, "Bad request: multipart field `snapshot` is required")
            return
        filename, data = part
        # Qdrant keeps the upload under the base name of the uploaded file name (a uuid when
        # there is none); only `*.snapshot` files show in the list.
        kept = PurePosixPath(filename).name or uuid.uuid4().hex
        if fault is not None and fault.snapshot_name is not None:
            kept = fault.snapshot_name
        stored = self.state.snapshot_dir / f"{uuid.uuid4().hex}.upload"
        stored.write_bytes(data)
        if fault is not None and fault.other_snapshot is not None:
            self._other_client_snapshot(name, fault.other_snapshot)
        if self._recover(name, stored, kept, query.get("checksum"), query):
            self._answer(query)

    def _other_client_snapshot(self, name: str, snapshot_name: str) -> None:
        """Another client's snapshot of `name` (as it was before our upload recovers it)."""
        with self.state.lock:
            collection = self.state.collections.get(name)
            archive = collection.archive if collection is not None else None
            if collection is None or archive is None:
                return
            copy = self.state.snapshot_dir / f"{uuid.uuid4().hex}.snapshot"
            shutil.copyfile(archive.path, copy)
            stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
            collection.snapshots[snapshot_name] = StoredSnapshot(
                snapshot_name, copy, archive.size, archive.sha256, stamp
            )

    def _keep_failed_upload(self, name: str, stored: Path, kept_name: str | None) -> None:
        """A recovery that fails after the upload was saved keeps the file: it was moved
        into `<snapshots>/<collection>/` first (`src/actix/api/snapshot_api.rs`,
        `do_save_uploaded_snapshot`) and nothing removes it on a 400 or a 500."""
        if kept_name is None:
            stored.unlink()  # a recover from a location: the stand-in's own copy
            return
        stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        with self.state.lock:
            collection = self.state.collections.get(name)
            if collection is None:
                self.state.stray_uploads.setdefault(name, []).append(kept_name)
            elif kept_name.endswith(".snapshot") and not self.state.s3_storage:
                size = stored.stat().st_size
                collection.snapshots[kept_name] = StoredSnapshot(
                    kept_name, stored, size, None, stamp
                )

    def _answer(self, query: dict[str, str]) -> None:
        if query.get("wait", "true") == "false":
            self._accepted()
        else:
            self._ok(True)

    def _recover_location(self, name: str, query: dict[str, str]) -> None:
        try:
            body = json.loads(self.body)
            location = str(body["location"])
        except (ValueError, KeyError, TypeError):
            self._error(422, "Json deserialize error: missing field `location`")
            return
        if not location.startswith("file://"):
            self._error(400, "Bad request: the stand-in recovers only file:// locations")
            return
        path = Path(unquote(location.removeprefix("file://"))).resolve()
        if not path.is_relative_to(self.state.snapshot_dir.resolve()):
            self._error(403, f"Forbidden: Snapshot file {path} is outside of the snapshots folder")
            return
        if not path.is_file():
            self._error(404, f"Not found: Snapshot file {path} does not exist")
            return
        copy = self.state.snapshot_dir / f"{uuid.uuid4().hex}.upload"
        shutil.copyfile(path, copy)
        query = {**query, "priority": str(body.get("priority") or "snapshot")}
        if self._recover(name, copy, None, body.get("checksum"), query):
            self._answer(query)

    def _recover(
        self,
        name: str,
        stored: Path,
        kept_name: str | None,
        checksum: str | None,
        query: dict[str, str],
    ) -> bool:
        """Recover `name` from `stored`; False once an error was answered.

        `kept_name` is the name the uploaded file keeps on the server (listed only when it
        ends with `.snapshot`); None (a recover from a location) lists a generated name.
        """
        priority = query.get("priority", "snapshot")
        if priority not in PRIORITIES:
            stored.unlink()
            self._error(400, f"Query deserialize error: unknown variant `{priority}`")
            return False
        actual = sha256_file(stored)
        if checksum is not None and checksum.lower() != actual:
            stored.unlink()
            self._error(
                400, f"Bad request: Snapshot checksum mismatch: expected {checksum}, got {actual}"
            )
            return False
        try:
            with tarfile.open(stored, "r:") as archive:
                config = json.load(archive.extractfile("config.json"))  # type: ignore[arg-type]  # member exists or KeyError
            dim = int(config["params"]["vectors"]["size"])
            shards = int(config["params"].get("shard_number", 1))
        except (tarfile.TarError, KeyError, ValueError, TypeError, OSError) as exc:
            self._keep_failed_upload(name, stored, kept_name)
            self._error(400, f"Bad request: Invalid snapshot: {exc}")
            return False
        with self.state.lock:
            existing = self.state.collections.get(name)
            if existing is not None and (existing.dim, existing.shards) != (dim, shards):
                self._keep_failed_upload(name, stored, kept_name)
                self._error(
                    400,
                    "Bad request: Wrong input: Snapshot is not compatible with "
                    "existing collection: vector params or shard number differ",
                )
                return False
        known = self.state.known_archives.get(actual)
        if known is not None:
            points, shard_counts = known.points_count, known.shard_counts
        else:
            # An archive the stand-in did not build: count it with the real engine.
            from persistence.qdrant.offline import count_points_offline

            counted = count_points_offline(stored, stored.with_suffix(".work"))
            points = counted.total
            shard_counts = tuple(s.points for s in counted.shards)
        # The collection's data is its own copy: deleting the uploaded snapshot (as a restore
        # must) leaves the recovered collection intact, as on a real server.
        data_copy = stored.with_suffix(".collection")
        shutil.copyfile(stored, data_copy)
        built = BuiltArchive(data_copy, actual, stored.stat().st_size, points, shard_counts, dim)
        list_name = (
            f"{name}-upload-{uuid.uuid4().hex[:8]}.snapshot" if kept_name is None else kept_name
        )
        stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        with self.state.lock:
            collection = StandinCollection(name, dim, shards, points, built)
            if existing is not None:
                collection.snapshots = existing.snapshots
            # Uploaded files stay in the list, without a checksum, as on a real server; with
            # S3 snapshot storage they stay on local disk, out of the listing.
            if list_name.endswith(".snapshot") and not self.state.s3_storage:
                collection.snapshots[list_name] = StoredSnapshot(
                    list_name, stored, built.size, None, stamp
                )
            self.state.collections[name] = collection
            self.state.known_archives[actual] = built
        return True


def multipart_file(body: bytes, boundary: bytes) -> tuple[str, bytes] | None:
    """The (filename, bytes) of the multipart field named `snapshot`, if present."""
    for part in body.split(b"--" + boundary)[1:]:
        head, sep, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        header = head.decode("utf-8", "replace")
        if re.search(r'name="snapshot"', header) is None:
            continue
        filename = re.search(r'filename="([^"]*)"', header)
        return (filename[1] if filename else "upload.snapshot"), data.removesuffix(b"\r\n")
    return None
