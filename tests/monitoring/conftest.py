"""Real HTTP endpoints on 127.0.0.1 for notifications: one that answers, one that hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# A path that plays the part of a healthchecks.io check UUID: a secret that must not leak.
SECRET_PATH = "/ping/0f1e2d3c-secret-check-uuid"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    body: bytes
    content_type: str


@dataclass
class NotifyServer:
    base: str
    received: list[Received] = field(default_factory=list[Received])
    status_code: int = 200

    @property
    def ping_url(self) -> str:
        return self.base + SECRET_PATH

    @property
    def webhook_url(self) -> str:
        return self.base + "/hook/secret-token"

    def paths(self) -> list[str]:
        return [r.path for r in self.received]


@pytest.fixture
def notify_server() -> Iterator[NotifyServer]:
    state = NotifyServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.received.append(
                Received(self.command, self.path, body, self.headers.get("Content-Type", ""))
            )
            self.send_response(state.status_code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        do_GET = _record  # http.server's naming
        do_POST = _record

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class HangingServer:
    """Accepts connections and never answers; measures how long each client stayed."""

    url: str
    held_seconds: list[float] = field(default_factory=list[float])


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    state = HangingServer(f"http://127.0.0.1:{listener.getsockname()[1]}{SECRET_PATH}")
    stop = threading.Event()

    def hold(conn: socket.socket) -> None:
        began = time.monotonic()
        conn.settimeout(0.2)
        with conn:
            while not stop.is_set():
                try:
                    if conn.recv(65536) == b"":  # the client gave up and closed
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
        state.held_seconds.append(time.monotonic() - began)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@pytest.fixture
def hanging_url(hanging_server: HangingServer) -> str:
    return hanging_server.url


@pytest.fixture
def refused_url() -> str:
    """A port nothing listens on: connections are refused at once."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}{SECRET_PATH}"
