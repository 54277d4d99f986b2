"""Snapshot downloads of the Qdrant stand-in: Range requests, gzip when the client allows it,
and the faults of a stream (truncation, stall)."""

from __future__ import annotations

import re
import socket
import zlib
from typing import BinaryIO

from tests.qdrant_standin.protocol import Abort, BaseQdrantHandler
from tests.qdrant_standin.state import Fault, StoredSnapshot

CHUNK = 64 * 1024


class DownloadRoutes(BaseQdrantHandler):
    def _snapshot(self, collection: str, name: str) -> StoredSnapshot | None:
        raise NotImplementedError

    def _download(self, collection: str, name: str, fault: Fault | None) -> None:
        snapshot = self._snapshot(collection, name)
        if snapshot is None:
            return
        size = snapshot.path.stat().st_size
        start, end, status = 0, size - 1, 200
        wanted = self.headers_lc.get("range")
        if wanted:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
            if m is None or (not m[1] and not m[2]):
                self._error(416, "Range Not Satisfiable")
                return
            if m[1]:
                start, end = int(m[1]), int(m[2]) if m[2] else size - 1
            else:
                start, end = max(0, size - int(m[2])), size - 1
            end = min(end, size - 1)
            if start > end:
                self._error(416, "Range Not Satisfiable")
                return
            status = 206
        length = end - start + 1
        compress = self._gzip_allowed() and status == 200
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Disposition", f'attachment; filename="{name}"')
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        if compress:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        with snapshot.path.open("rb") as handle:
            handle.seek(start)
            if compress:
                self._send_gzip_chunked(handle, length)
            else:
                self._send_raw(handle, length, fault)

    def _send_raw(self, handle: BinaryIO, length: int, fault: Fault | None) -> None:
        sent, stalled = 0, False
        while sent < length:
            step = min(CHUNK, length - sent)
            if fault is not None and fault.truncate_after is not None:
                step = min(step, fault.truncate_after - sent)
                if step <= 0:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_WR)
                    raise Abort
            if fault is not None and fault.stall_after is not None and not stalled:
                if sent >= fault.stall_after:
                    self.wfile.flush()
                    self.state.stop_event.wait(fault.stall_seconds)
                    stalled = True
                else:
                    step = min(step, fault.stall_after - sent)
            self.wfile.write(handle.read(step))
            sent += step

    def _send_gzip_chunked(self, handle: BinaryIO, length: int) -> None:
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
        remaining = length
        while remaining:
            data = handle.read(min(CHUNK, remaining))
            remaining -= len(data)
            self._chunk(compressor.compress(data))
        self._chunk(compressor.flush())
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
