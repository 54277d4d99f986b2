"""A small typed REST client for the Qdrant calls a backup needs, over httpx.

Why not qdrant-client: its snapshot download reads the whole body into memory and then tries
to parse it as JSON, and its 5 s default timeout is far too short for snapshot work. Answers
are parsed with the small models of models.py, so a shape change fails loudly here. The HTTP
plumbing (timeouts, retries, error texts) is in transport.py.

Snapshot calls take an optional shard: `/collections/{c}/shards/{id}/snapshots...` are the
shard variants a cluster backup uses; without one they address the whole collection.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Self

import httpx
from pydantic import JsonValue

from persistence.core.errors import QdrantError
from persistence.qdrant import models
from persistence.qdrant.actions import (
    Action,
    ClusterView,
    CollectionInfo,
    SnapshotInfo,
    SnapshotListing,
)
from persistence.qdrant.transport import (
    HTTP_ACCEPTED,
    HTTP_FORBIDDEN,
    HTTP_OK,
    QdrantStatusError,
    QdrantTimeout,
    QdrantTransport,
    server_date,
)
from persistence.qdrant.wire import request_path

logger = logging.getLogger(__name__)

SnapshotPriority = Literal["snapshot", "replica", "no_sync"]
# A reverse proxy gave up waiting for the server; the server itself goes on (it runs the
# create in a spawned task: `src/actix/helpers.rs`, `time_or_accept`).
PROXY_GAVE_UP = frozenset({502, 504})

__all__ = [
    "CollectionInfo",
    "QdrantRestClient",
    "QdrantTimeout",
    "SnapshotInfo",
    "SnapshotListing",
    "SnapshotPriority",
]


def snapshots_path(collection: str, shard: int | None, *rest: str) -> str:
    if shard is None:
        return request_path("collections", collection, "snapshots", *rest)
    return request_path("collections", collection, "shards", str(shard), "snapshots", *rest)


class QdrantRestClient(QdrantTransport):
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- server -------------------------------------------------------------------------

    def server_version(self) -> str:
        response = self._send("GET", "/", Action.SERVER_VERSION, None)
        return self._parse(response, models.VersionInfo, Action.SERVER_VERSION, None).version

    def cluster_view(self) -> ClusterView:
        """Peers in the cluster (1 when cluster mode is off).

        `/cluster` needs global read access: a collection-scoped JWT gets 403 there, which
        says nothing about the server's shape, so it becomes a warning instead of a failure.
        """
        try:
            response = self._send("GET", "/cluster", Action.CLUSTER, None)
        except QdrantStatusError as exc:
            if exc.status != HTTP_FORBIDDEN:
                raise
            return ClusterView(
                peers=None,
                warning=(
                    f"Qdrant at {self.shown_url}: this API key may not read /cluster (a "
                    "collection-scoped key?); going on as if the server were a single node"
                ),
            )
        status = self._parse(
            response, models.Envelope[models.ClusterStatus], Action.CLUSTER, None
        ).result
        if status is None or status.status != "enabled" or not status.peers:
            return ClusterView(peers=1, warning=None)
        return ClusterView(peers=len(status.peers), warning=None)

    def require_single_node(self, refusal: str) -> str | None:
        """Raise when the server is one node of several; return a warning if unknown."""
        view = self.cluster_view()
        if view.peers is not None and view.peers > 1:
            raise QdrantError(
                f"Qdrant at {self.shown_url} is a cluster of {view.peers} peers: a snapshot "
                f"holds only the shards of the node that makes it; {refusal}"
            )
        return view.warning

    def list_collections(self) -> list[str]:
        response = self._send("GET", "/collections", Action.LIST_COLLECTIONS, None)
        parsed = self._parse(
            response, models.Envelope[models.CollectionsResponse], Action.LIST_COLLECTIONS, None
        )
        if parsed.result is None:
            return []
        return [item.name for item in parsed.result.collections]

    def collection_info(self, name: str) -> CollectionInfo:
        action = Action.READ_COLLECTION
        response = self._send("GET", request_path("collections", name), action, name)
        info = self._parse(response, models.Envelope[models.CollectionInfo], action, name).result
        raw = self._parse(response, models.Envelope[models.RawCollectionInfo], action, name)
        if info is None or raw.result is None:
            raise self._error(action, name, "the server sent no collection info")
        params = info.config.params
        return CollectionInfo(
            name=name,
            points_count=info.points_count,
            vectors_config=params.vectors,
            shard_number=params.shard_number,
            replication_factor=params.replication_factor,
            config=raw.result.config,
            payload_schema=raw.result.payload_schema,
        )

    def count_points(self, name: str) -> int:
        """The exact number of points (collection info's `points_count` is approximate)."""
        response = self._send(
            "POST",
            request_path("collections", name, "points", "count"),
            Action.COUNT_POINTS,
            name,
            json={"exact": True},
            read_only=True,
        )
        parsed = self._parse(
            response, models.Envelope[models.CountResult], Action.COUNT_POINTS, name
        )
        if parsed.result is None:
            raise self._error(Action.COUNT_POINTS, name, "the server sent no count")
        return parsed.result.count

    def create_collection(self, name: str, body: JsonValue) -> None:
        response = self._send(
            "PUT",
            request_path("collections", name),
            Action.CREATE_COLLECTION,
            name,
            params={"timeout": max(1, int(self.timeout))},
            json=body,
        )
        self._parse(response, models.Envelope[bool], Action.CREATE_COLLECTION, name)

    def delete_collection(self, name: str) -> None:
        response = self._send(
            "DELETE",
            request_path("collections", name),
            Action.DELETE_COLLECTION,
            name,
            params={"timeout": max(1, int(self.timeout))},
        )
        self._parse(response, models.Envelope[bool], Action.DELETE_COLLECTION, name)

    # --- snapshots ----------------------------------------------------------------------

    def create_snapshot(self, collection: str, shard: int | None = None) -> SnapshotInfo | None:
        """Ask for a snapshot; None when the server is still making it.

        None covers a 202, a timeout and a proxy's 502/504: in every case the server goes on
        and the snapshot appears in the list once written; the caller polls for it.
        """
        action = Action.CREATE_SNAPSHOT
        try:
            response = self._send(
                "POST", snapshots_path(collection, shard), action, collection,
                params={"wait": "true"},
            )  # fmt: skip
        except QdrantTimeout:
            logger.info("qdrant: create for '%s' timed out; the server goes on", collection)
            return None
        except QdrantStatusError as exc:
            if exc.status not in PROXY_GAVE_UP:
                raise
            logger.info("qdrant: create for '%s' got HTTP %s from a proxy", collection, exc.status)
            return None
        if response.status_code == HTTP_ACCEPTED:
            return None
        parsed = self._parse(response, models.Envelope[models.SnapshotDescription], action, None)
        if parsed.result is None:
            return None
        return _snapshot_info(parsed.result)

    def list_snapshots(self, collection: str, shard: int | None = None) -> list[SnapshotInfo]:
        return self.list_snapshots_dated(collection, shard).snapshots

    def list_snapshots_dated(self, collection: str, shard: int | None = None) -> SnapshotListing:
        action = Action.LIST_SNAPSHOTS
        response = self._send("GET", snapshots_path(collection, shard), action, collection)
        parsed = self._parse(
            response, models.Envelope[list[models.SnapshotDescription]], action, collection
        )
        return SnapshotListing(
            snapshots=[_snapshot_info(item) for item in parsed.result or []],
            server_now=server_date(response),
        )

    def delete_snapshot(self, collection: str, name: str, shard: int | None = None) -> None:
        response = self._send(
            "DELETE",
            snapshots_path(collection, shard, name),
            Action.DELETE_SNAPSHOT,
            collection,
            params={"wait": "true"},
        )
        self._parse(response, models.Envelope[bool], Action.DELETE_SNAPSHOT, collection)

    @contextmanager
    def stream_snapshot(
        self, collection: str, name: str, *, read_timeout: float, shard: int | None = None
    ) -> Generator[httpx.Response]:
        """Open the download of a snapshot; the caller reads the body in chunks.

        `Accept-Encoding: identity` so that the bytes on the wire are the snapshot itself and
        match the server's checksum (a compressed body would not).
        """
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        path = snapshots_path(collection, shard, name)
        action = Action.DOWNLOAD_SNAPSHOT
        try:
            with self._http.stream(
                "GET", path, headers={"Accept-Encoding": "identity"}, timeout=timeout
            ) as response:
                if response.status_code != HTTP_OK:
                    response.read()
                    raise self._status_error(response, action, collection)
                yield response
        except httpx.TimeoutException as exc:
            raise QdrantTimeout(
                self._prefix(collection) + f": {action.label} stalled: no data for "
                f"{read_timeout:.1f} s ({type(exc).__name__}; see QDRANT_TIMEOUT and "
                "QDRANT_DOWNLOAD_DEADLINE)"
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, action, collection) from None

    def probe_upload_access(self, collection: str, shard: int | None = None) -> None:
        """Raise if this key may not upload snapshots, without sending one.

        Qdrant checks access before it reads the multipart body (`src/common/auth/`,
        `src/actix/api/snapshot_api.rs`): a body-less POST gets the 403 a large upload would
        often only see as a reset connection. Any other answer (400: no multipart) is fine.
        """
        try:
            self._send(
                "POST", snapshots_path(collection, shard, "upload"), Action.UPLOAD_SNAPSHOT,
                collection,
            )  # fmt: skip
        except QdrantStatusError as exc:
            if exc.status in (HTTP_FORBIDDEN, 401):
                raise
        except QdrantError:
            pass  # a transport hiccup here says nothing about access: the upload will tell

    def upload_snapshot_file(
        self,
        collection: str,
        file_path: Path,
        sha256: str,
        priority: SnapshotPriority,
        shard: int | None = None,
    ) -> None:
        """POST the file as multipart field `snapshot`; httpx streams the open file in chunks."""
        params = {"wait": "true", "priority": priority, "checksum": sha256}
        with file_path.open("rb") as handle:
            files = {"snapshot": (file_path.name, handle, "application/octet-stream")}
            response = self._send(
                "POST",
                snapshots_path(collection, shard, "upload"),
                Action.UPLOAD_SNAPSHOT,
                collection,
                params=params,
                files=files,
            )
        self._parse(response, models.Envelope[bool], Action.UPLOAD_SNAPSHOT, collection)


def _snapshot_info(description: models.SnapshotDescription) -> SnapshotInfo:
    checksum = description.checksum.lower() if description.checksum else None
    return SnapshotInfo(
        name=description.name,
        size=description.size,
        checksum=checksum,
        creation_time=description.creation_time,
    )
