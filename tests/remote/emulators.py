"""Real storage emulators on 127.0.0.1, started as subprocesses for the remote tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

FAKE_KEY_ID = "AKIAFAKEKEY7EXAMPLE42"
FAKE_SECRET = "fakeSecret/K7MDENG/bPxRfiCYzz9EXAMPLEKEY42"
GCS_BUCKET = "app-backup-test"
S3_BUCKET = "app-backup-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Emulator:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]


def _bin(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else (shutil.which(name) or name)


@contextmanager
def _serve(command: list[str], probe_path: str, log: Path) -> Iterator[Emulator]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port" if "start" in command else "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {log.read_text()[-2000:]}")
            try:
                httpx.get(url + probe_path, timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Emulator(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gcs_emulator(log: Path) -> Iterator[Emulator]:
    command = [
        _bin("gcp-storage-emulator"),
        "start",
        "--host",
        "127.0.0.1",
        "--in-memory",
        "--default-bucket",
        GCS_BUCKET,
        "-q",
    ]
    with _serve(command, "/storage/v1/b", log) as emulator:
        yield emulator


@contextmanager
def s3_emulator(log: Path) -> Iterator[Emulator]:
    with _serve([_bin("moto_server"), "-H", "127.0.0.1"], "/", log) as emulator:
        import boto3

        boto3.session.Session().client(
            "s3",
            endpoint_url=emulator.url,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            region_name="us-east-1",
        ).create_bucket(Bucket=S3_BUCKET)
        yield emulator
