"""HTTP plumbing of the Qdrant stand-in: envelopes, errors, auth, gzip, body reading.

The routes live in server.py (collections, snapshots, downloads) and restore_routes.py
(upload and recover); they all answer through the helpers here.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.qdrant_standin.archive import collection_config
from tests.qdrant_standin.state import (
    Fault,
    RequestRecord,
    StandinCollection,
    StandinState,
    StoredSnapshot,
)

NO_KEY = "Must provide an API key or an Authorization bearer token"
BAD_KEY = "Invalid API key or JWT"


class Abort(Exception):
    """The handler broke the connection on purpose (truncation fault)."""


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: StandinState, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state


class BaseQdrantHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.state = cast(StandinServer, self.server).state
        self.last_answered: float | None = None
        with self.state.lock:
            self.state.connections += 1
        super().setup()
        with self.state.lock:
            self.state.open_sockets.append(self.connection)
        # Idle keep-alive connections close after `http_keep_alive_timeout_sec` (5 s by
        # default, `src/settings.rs`): the socket timeout ends the wait for a next request.
        self.connection.settimeout(self.state.idle_close_seconds)

    def log_message(self, format: str, *args: object) -> None:
        del format, args  # quiet: the request log is in state.requests

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- plumbing -----------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        if self._closing_under_request():
            return
        self.started = time.perf_counter()
        self.status = 0
        self.recorded = False
        parts = urlsplit(self.path)
        # Decoded per segment, as Qdrant does: routes use `segments` (so `a%2Fb` stays one
        # segment); `path` (segments joined) is for the request log and fault matching.
        self.segments = [unquote(segment) for segment in parts.path.split("/")[1:]]
        path = "/" + "/".join(self.segments)
        query = dict(parse_qsl(parts.query))
        self.headers_lc = {k.lower(): v for k, v in self.headers.items()}
        try:
            # The upload's access check answers before the body is read and the connection
            # goes (`src/common/auth/`, `src/actix/api/snapshot_api.rs`): a client still
            # sending a big file usually sees a reset connection rather than the 403.
            upload = path.endswith("/snapshots/upload")
            early = upload and self._has_body()
            if early and not self._authorized(method, path):
                self.close_connection = True
                return
            self.body = self._read_body()
            # Faults aimed at the upload are for the upload itself, not a body-less probe.
            probe = upload and not early
            fault = None if probe else self.state.take_fault(method, path)
            if fault is not None and fault.before is not None:
                fault.before()
            if fault is not None and fault.drop_connection:
                raise Abort
            if fault is not None and fault.status is not None and fault.proxy_status is None:
                self._error(fault.status, fault.error, plain=fault.plain_text)
            elif early or self._authorized(method, path):
                self._route(method, path, query, fault)
        except Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.last_answered = time.monotonic()
            if not self.recorded:  # no answer was sent (a dropped connection, a refused upload)
                self._record(self.status)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Logged before the first byte of the answer leaves: a client that has its answer
        # must find its request in the log (logging after the answer raced with the tests).
        if getattr(self, "recorded", True) is False:  # not for an error before dispatch
            self.status = code
            self._record(code)
        super().send_response(code, message)

    def _record(self, status: int) -> None:
        self.recorded = True
        parts = urlsplit(self.path)
        record = RequestRecord(
            self.command,
            "/" + "/".join(self.segments),
            dict(parse_qsl(parts.query)),
            dict(self.headers_lc),
            status,
        )
        with self.state.lock:
            self.state.requests.append(record)

    def _closing_under_request(self) -> bool:
        """A request that lands as the server closes the idle connection gets no answer."""
        if self.last_answered is None:
            return False
        idle = time.monotonic() - self.last_answered
        if idle < self.state.idle_close_seconds - self.state.idle_race:
            return False
        self.close_connection = True
        return True

    def _has_body(self) -> bool:
        te = self.headers_lc.get("transfer-encoding", "").lower()
        return te == "chunked" or int(self.headers_lc.get("content-length", "0") or 0) > 0

    def _read_body(self) -> bytes:
        if self.headers_lc.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers_lc.get("content-length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def _gzip_allowed(self) -> bool:
        if not self.state.gzip_when_allowed:
            return False
        for item in self.headers_lc.get("accept-encoding", "").split(","):
            token, _, params = item.strip().partition(";")
            if token.strip().lower() == "gzip" and params.replace(" ", "") != "q=0":
                return True
        return False

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        if self._gzip_allowed() and body:
            body = gzip.compress(body)
            self.send_response(status)
            self.send_header("Content-Encoding", "gzip")
        else:
            self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 6)

    def _ok(self, result: object, status: int = 200) -> None:
        envelope = {"result": result, "status": "ok", "time": self._elapsed()}
        self._send(status, json.dumps(envelope).encode(), "application/json")

    def _accepted(self) -> None:
        envelope = {"status": "accepted", "time": self._elapsed()}
        self._send(202, json.dumps(envelope).encode(), "application/json")

    def _error(self, status: int, text: str, *, plain: bool = False) -> None:
        if plain:
            self._send(status, text.encode(), "text/plain; charset=utf-8")
            return
        envelope = {"status": {"error": text}, "time": self._elapsed()}
        self._send(status, json.dumps(envelope).encode(), "application/json")

    def _authorized(self, method: str, path: str) -> bool:
        state = self.state
        if state.basic_auth is not None and not self._basic_auth_ok(state.basic_auth):
            return False
        if state.write_key is None and state.read_key is None:
            return True
        key = self.headers_lc.get("api-key")
        if key is None and self.headers_lc.get("authorization", "").startswith("Bearer "):
            key = self.headers_lc["authorization"].removeprefix("Bearer ")
        if key is None:
            self._error(401, NO_KEY, plain=True)
            return False
        if key == state.write_key:
            return True
        if key in state.scoped_keys:
            return self._scoped(path, state.scoped_keys[key])
        if key == state.read_key:
            if method == "GET":
                return True
            needed = "Manage" if path.endswith(("/upload", "/recover")) else "Write"
            self._error(403, f"Forbidden: {needed} access is required")
            return False
        self._error(401, BAD_KEY, plain=True)
        return False

    def _scoped(self, path: str, allowed: set[str]) -> bool:
        """A JWT scoped to some collections: `/cluster` needs global access."""
        segments = self.segments
        if path in ("/", "/collections") or (
            len(segments) >= 2 and segments[0] == "collections" and segments[1] in allowed
        ):
            return True
        self._error(403, "Forbidden: Global access is required")
        return False

    def _basic_auth_ok(self, expected: tuple[str, str]) -> bool:
        """HTTP basic auth, as a reverse proxy in front of Qdrant would demand it."""
        header = self.headers_lc.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            given = base64.b64decode(encoded, validate=True).decode() if encoded else ""
        except (ValueError, UnicodeDecodeError):
            given = ""
        if scheme.lower() == "basic" and given == f"{expected[0]}:{expected[1]}":
            return True
        self.status = 401
        body = b"401 Authorization Required"
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="qdrant"')
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return False

    def _collection(self, name: str) -> StandinCollection | None:
        with self.state.lock:
            found = self.state.collections.get(name)
        if found is None:
            self._error(404, f"Not found: Collection `{name}` doesn't exist!")
        return found

    def _route(self, method: str, path: str, query: dict[str, str], fault: Fault | None) -> None:
        raise NotImplementedError


def describe(snapshot: StoredSnapshot, *, s3: bool = False) -> dict[str, object]:
    """A SnapshotDescription; with S3 snapshot storage the server knows no checksum."""
    return {
        "name": snapshot.name,
        "creation_time": snapshot.creation_time,
        "size": snapshot.size,
        "checksum": None if s3 else snapshot.checksum,
    }


def collection_info(collection: StandinCollection, offset: int = 0) -> dict[str, object]:
    """CollectionInfo; its points_count is approximate (`info_points`, or off by `offset`)."""
    return {
        "status": "green",
        "optimizer_status": "ok",
        "indexed_vectors_count": 0,
        "points_count": (
            collection.points_count + offset
            if collection.info_points is None
            else collection.info_points
        ),
        "segments_count": collection.shards,
        "config": collection_config(collection.dim, collection.shards),
        "payload_schema": {},
    }
