"""A small HTTP proxy on 127.0.0.1 that forwards to an emulator and injects faults on request.

Faults are rules: the first `times` requests whose method and path match get the fault. The
proxy counts what it did, so a test can assert the fault really happened.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "te"}


class Fault(StrEnum):
    STATUS_503 = "503"
    DROP = "drop"  # read the request, then close the connection without an answer
    STALL = "stall"  # answer only after `stall_seconds`
    WRONG_CHECKSUM = "wrong_checksum"  # forward, then alter the checksum the answer carries
    ANSWER = "answer"  # answer `status` with `body` in the service's own error format


@dataclass
class Rule:
    fault: Fault
    method: str = ""  # "" matches every method
    path: str = ""  # a regex searched in the path and query
    times: int = 1
    after: int = 0  # let this many matching requests through untouched first
    stall_seconds: float = 5.0
    status: int = 403
    body: bytes = b""
    content_type: str = "application/json"
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if (self.method and self.method != method) or re.search(self.path, path) is None:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        return self.fired < self.times


@dataclass
class FaultProxy:
    upstream: str
    url: str = ""
    rules: list[Rule] = field(default_factory=lambda: [])
    requests: list[str] = field(default_factory=lambda: [])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def take(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.requests.append(f"{method} {path}")
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.fired += 1
                    return rule
        return None


def _corrupt(body: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, list[tuple[str, str]]]:
    """Change the checksum the answer reports (GCS JSON) or the bytes it carries (S3 GET)."""
    changed = re.sub(rb'"crc32c": ?"[^"]*"', b'"crc32c": "AAAAAA=="', body)
    if changed != body:
        return changed, headers
    if body:
        return bytes([body[0] ^ 0xFF]) + body[1:], headers
    return body, headers


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _handle(self) -> None:
            rule = proxy.take(self.command, self.path)
            body = self._body()
            if rule is not None and rule.fault is Fault.DROP:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if rule is not None and rule.fault is Fault.STATUS_503:
                self._answer(503, [("Content-Type", "text/plain")], b"injected 503")
                return
            if rule is not None and rule.fault is Fault.ANSWER:
                self._answer(rule.status, [("Content-Type", rule.content_type)], rule.body)
                return
            if rule is not None and rule.fault is Fault.STALL:
                time.sleep(rule.stall_seconds)
            status, headers, answer = self._forward(body)
            if rule is not None and rule.fault is Fault.WRONG_CHECKSUM:
                answer, headers = _corrupt(answer, headers)
            self._answer(status, headers, answer)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                # A HEAD answer's length is the object's size: it must pass through unchanged.
                dropped = HOP_HEADERS - ({"content-length"} if self.command == "HEAD" else set())
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in dropped]
                return response.status, kept, data
            finally:
                conn.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
