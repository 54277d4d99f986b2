"""A small typed REST client for the Qdrant calls a backup needs, over httpx.

Why not qdrant-client: its snapshot download reads the whole body into memory and then tries
to parse it as JSON, and its 5 s default timeout is far too short for snapshot work. Answers
are parsed with the small models of models.py, so a shape change fails loudly here.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, JsonValue, SecretStr, ValidationError

from persistence.core.errors import QdrantError
from persistence.core.redact import redact
from persistence.core.settings import redact_url
from persistence.qdrant import models
from persistence.qdrant.wire import error_text, request_path, split_userinfo

logger = logging.getLogger(__name__)

SnapshotPriority = Literal["snapshot", "replica", "no_sync"]
_M = TypeVar("_M", bound=BaseModel)
HTTP_OK, HTTP_ACCEPTED, HTTP_UNAUTHORIZED, HTTP_FORBIDDEN = 200, 202, 401, 403


class QdrantTimeout(QdrantError):
    """A request got no answer in time (the server may still be working on it)."""


class Action(Enum):
    """What a request was for: its label in messages and what a 403 means for it."""

    SERVER_VERSION = ("read the server version", "read the server (needs read access)")
    CLUSTER = ("read the cluster status", "read the cluster status (needs read access)")
    LIST_COLLECTIONS = ("list collections", "list collections (needs read access)")
    READ_COLLECTION = ("read the collection", "read this collection (needs read access)")
    CREATE_SNAPSHOT = ("create a snapshot", "create snapshots (needs write access)")
    LIST_SNAPSHOTS = ("list snapshots", "list snapshots (needs read access)")
    DOWNLOAD_SNAPSHOT = ("download the snapshot", "download snapshots (needs read access)")
    DELETE_SNAPSHOT = ("delete the snapshot", "delete snapshots (needs write access)")
    UPLOAD_SNAPSHOT = ("upload the snapshot", "restore snapshots (needs manage access)")
    DELETE_COLLECTION = ("delete the collection", "delete collections (needs manage access)")

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def forbidden_hint(self) -> str:
        return f"this API key may not {self.value[1]}"


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    size: int
    checksum: str | None
    creation_time: str | None


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    points_count: int | None
    vectors_config: JsonValue


class QdrantRestClient:
    """One connection to one Qdrant server; every call has an explicit timeout.

    The API key lives only in the httpx client's default headers: it is never formatted into
    a message, and any error text the server sends back is scrubbed of it just in case.
    A `user:password@` part of the URL (a reverse proxy's basic auth) is taken out of the URL
    httpx sees and sent as `httpx.BasicAuth` instead: httpx logs every request's full URL.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretStr | None,
        timeout: float,
    ) -> None:
        given = url.rstrip("/")
        self.url, auth, userinfo = split_userinfo(given)
        self.shown_url = redact_url(given)
        self.timeout = timeout
        self._secret = api_key.get_secret_value() if api_key is not None else None
        self._given_url = given
        self._basic_auth = auth is not None
        # Texts that would reveal the URL's password: the raw userinfo and the password, both
        # as written in the URL and decoded; longest first so the widest match is replaced.
        password = auth[1] if auth is not None else ""
        raw_password = userinfo.partition(":")[2]
        self._hidden = sorted(
            {t for t in (userinfo, raw_password, password) if t}, key=len, reverse=True
        )
        headers = {"api-key": self._secret} if self._secret else {}
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            auth=httpx.BasicAuth(*auth) if auth is not None else None,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QdrantRestClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- server -------------------------------------------------------------------------

    def server_version(self) -> str:
        response = self._send("GET", "/", Action.SERVER_VERSION, None)
        return self._parse(response, models.VersionInfo, Action.SERVER_VERSION, None).version

    def peer_count(self) -> int:
        """Peers in the cluster; 1 when cluster mode is disabled."""
        response = self._send("GET", "/cluster", Action.CLUSTER, None)
        status = self._parse(
            response, models.Envelope[models.ClusterStatus], Action.CLUSTER, None
        ).result
        if status is None or status.status != "enabled" or not status.peers:
            return 1
        return len(status.peers)

    def require_single_node(self, refusal: str) -> None:
        """Raise when the server is one node of several: its snapshots hold only its shards."""
        peers = self.peer_count()
        if peers > 1:
            raise QdrantError(
                f"Qdrant at {self.shown_url} is a cluster of {peers} peers: a snapshot holds "
                f"only the shards of the node that makes it; {refusal}"
            )

    def list_collections(self) -> list[str]:
        response = self._send("GET", "/collections", Action.LIST_COLLECTIONS, None)
        parsed = self._parse(
            response, models.Envelope[models.CollectionsResponse], Action.LIST_COLLECTIONS, None
        )
        if parsed.result is None:
            return []
        return [item.name for item in parsed.result.collections]

    def collection_info(self, name: str) -> CollectionInfo:
        response = self._send(
            "GET", request_path("collections", name), Action.READ_COLLECTION, name
        )
        info = self._parse(
            response, models.Envelope[models.CollectionInfo], Action.READ_COLLECTION, name
        ).result
        if info is None:
            raise self._error(Action.READ_COLLECTION, name, "the server sent no collection info")
        return CollectionInfo(
            name=name, points_count=info.points_count, vectors_config=info.config.params.vectors
        )

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

    def create_snapshot(self, collection: str) -> SnapshotInfo:
        """Create a snapshot and wait for it; raises QdrantTimeout if the answer is late."""
        response = self._send(
            "POST",
            request_path("collections", collection, "snapshots"),
            Action.CREATE_SNAPSHOT,
            collection,
            params={"wait": "true"},
        )
        parsed = self._parse(
            response,
            models.Envelope[models.SnapshotDescription],
            Action.CREATE_SNAPSHOT,
            collection,
        )
        if parsed.result is None:
            raise self._error(Action.CREATE_SNAPSHOT, collection, "the server sent no description")
        return _snapshot_info(parsed.result)

    def list_snapshots(self, collection: str) -> list[SnapshotInfo]:
        response = self._send(
            "GET",
            request_path("collections", collection, "snapshots"),
            Action.LIST_SNAPSHOTS,
            collection,
        )
        parsed = self._parse(
            response,
            models.Envelope[list[models.SnapshotDescription]],
            Action.LIST_SNAPSHOTS,
            collection,
        )
        return [_snapshot_info(item) for item in parsed.result or []]

    def delete_snapshot(self, collection: str, name: str) -> None:
        response = self._send(
            "DELETE",
            request_path("collections", collection, "snapshots", name),
            Action.DELETE_SNAPSHOT,
            collection,
            params={"wait": "true"},
        )
        self._parse(response, models.Envelope[bool], Action.DELETE_SNAPSHOT, collection)

    @contextmanager
    def stream_snapshot(
        self, collection: str, name: str, *, read_timeout: float
    ) -> Generator[httpx.Response]:
        """Open the download of a snapshot; the caller reads the body in chunks.

        `Accept-Encoding: identity` so that the bytes on the wire are the snapshot itself and
        match the server's checksum (a compressed body would not).
        """
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        path = request_path("collections", collection, "snapshots", name)
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

    def upload_snapshot_file(
        self, collection: str, file_path: Path, sha256: str, priority: SnapshotPriority
    ) -> None:
        """POST the file as multipart field `snapshot`; httpx streams the open file in chunks."""
        params = {"wait": "true", "priority": priority, "checksum": sha256}
        with file_path.open("rb") as handle:
            files = {"snapshot": (file_path.name, handle, "application/octet-stream")}
            response = self._send(
                "POST",
                request_path("collections", collection, "snapshots", "upload"),
                Action.UPLOAD_SNAPSHOT,
                collection,
                params=params,
                files=files,
            )
        self._parse(response, models.Envelope[bool], Action.UPLOAD_SNAPSHOT, collection)

    # --- plumbing -----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        action: Action,
        collection: str | None,
        *,
        params: Mapping[str, str | int] | None = None,
        files: dict[str, Any] | None = None,
    ) -> httpx.Response:
        logger.debug("qdrant %s %s%s", method, self.shown_url, path)
        try:
            response = self._http.request(method, path, params=params, files=files)
        except httpx.TimeoutException as exc:
            raise QdrantTimeout(
                self._prefix(collection) + f": {action.label} got no answer within "
                f"{self.timeout:g} s ({type(exc).__name__})"
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, action, collection) from None
        if response.status_code not in (HTTP_OK, HTTP_ACCEPTED):
            raise self._status_error(response, action, collection)
        return response

    def _parse(
        self, response: httpx.Response, model: type[_M], action: Action, collection: str | None
    ) -> _M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else None
            where = ".".join(str(part) for part in first["loc"]) if first else "?"
            raise self._error(
                action, collection, f"unexpected answer from the server (field {where})"
            ) from None

    def _prefix(self, collection: str | None) -> str:
        if collection is None:
            return f"Qdrant at {self.shown_url}"
        return f"Qdrant collection '{collection}' at {self.shown_url}"

    def _error(self, action: Action, collection: str | None, detail: str) -> QdrantError:
        return QdrantError(f"{self._prefix(collection)}: cannot {action.label}: {detail}")

    def _scrub(self, text: str) -> str:
        # httpx messages may quote the URL (with any user:password) and a server could echo
        # the key back: neither may reach a message.
        text = text.replace(self._given_url, self.shown_url)
        for hidden in self._hidden:
            text = text.replace(hidden, "***")
        # Then every credential shape (a header echoed as `Authorization: Basic …`).
        return redact(text, [self._secret] if self._secret else [])

    def _transport_error(
        self, exc: httpx.HTTPError, action: Action, collection: str | None
    ) -> QdrantError:
        if isinstance(exc, httpx.ConnectError):
            detail = f"cannot connect ({self._scrub(str(exc)) or type(exc).__name__})"
        else:
            detail = f"{type(exc).__name__}: {self._scrub(str(exc))}"
        return self._error(action, collection, detail)

    def _status_error(
        self, response: httpx.Response, action: Action, collection: str | None
    ) -> QdrantError:
        status = response.status_code
        text = self._scrub(error_text(response))
        detail = f"HTTP {status}: {text}" if text else f"HTTP {status}"
        if status == HTTP_FORBIDDEN:
            detail += f" ({action.forbidden_hint})"
        elif status == HTTP_UNAUTHORIZED:
            detail += " (the server wants a valid API key: check QDRANT_API_KEY" + (
                ", and the user:password in QDRANT_URL)" if self._basic_auth else ")"
            )
        return self._error(action, collection, detail)


def _snapshot_info(description: models.SnapshotDescription) -> SnapshotInfo:
    checksum = description.checksum.lower() if description.checksum else None
    return SnapshotInfo(
        name=description.name,
        size=description.size,
        checksum=checksum,
        creation_time=description.creation_time,
    )
