"""Faults between the client and a real emulator: retried success or one clean failure."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence.offsite.layout import data_objects
from persistence.offsite.listing import scan_remote
from persistence.offsite.push import push_backup
from persistence.remote.base import Remote, RemoteError
from persistence.remote.gcs import CHUNK_BYTES
from persistence.remote.retry import RetryPolicy
from persistence.remote.transfer import download_verified
from tests.conftest import AppState
from tests.remote.conftest import RemoteSetup, make_setup
from tests.remote.emulators import Emulator
from tests.remote.fault_proxy import Fault, FaultProxy, Rule, fault_proxy
from tests.remote.helpers import make_backup

# Uploads: GCS posts to /upload/..., S3 puts the object or its parts.
UPLOAD = {"gcs": ("", r"^/upload/"), "s3": ("PUT", r"")}
FAST = RetryPolicy(attempts=3, deadline_seconds=10.0, first_delay=0.05, request_timeout=5.0)
DOWNLOAD = {"gcs": ("GET", r"alt=media"), "s3": ("GET", r"")}


@pytest.fixture(params=["gcs", "s3"])
def proxied(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RemoteSetup, FaultProxy]]:
    kind = str(request.param)
    server: Emulator = request.getfixturevalue(f"{kind}_server")
    with fault_proxy(server.url) as proxy:
        setup = make_setup(kind, tmp_path, request, endpoint=proxy.url)
        for name, value in setup.env.items():
            monkeypatch.setenv(name, value)
        yield setup, proxy


def _file(tmp_path: Path, size: int) -> tuple[Path, str]:
    path = tmp_path / "payload.bin"
    path.write_bytes(os.urandom(size))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch(remote: Remote, key: str) -> bytes:
    sink = io.BytesIO()
    remote.download(key, sink)
    return sink.getvalue()


def test_503_then_success(proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path) -> None:
    setup, proxy = proxied
    method, path = UPLOAD[setup.kind]
    rule = proxy.add(Rule(Fault.STATUS_503, method, path, times=2))
    source, sha = _file(tmp_path, 300_000)
    info = setup.open().put_file("obj.bin", source, sha256=sha)
    assert rule.fired == 2
    assert (info.size, info.sha256) == (300_000, sha)
    assert _fetch(setup.open(), "obj.bin") == source.read_bytes()


def test_connection_dropped_mid_upload_is_retried(
    proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path
) -> None:
    setup, proxy = proxied
    method, path = UPLOAD[setup.kind]
    source, sha = _file(tmp_path, CHUNK_BYTES + 4321)  # chunked: the drop hits one chunk/part
    rule = proxy.add(Rule(Fault.DROP, method, path, times=1))
    info = setup.open().put_file("big.bin", source, sha256=sha)
    assert rule.fired == 1
    assert info.size == source.stat().st_size
    assert hashlib.sha256(_fetch(setup.open(), "big.bin")).hexdigest() == sha


def test_stall_past_the_deadline_is_one_clean_failure(
    proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path
) -> None:
    setup, proxy = proxied
    method, path = UPLOAD[setup.kind]
    proxy.add(Rule(Fault.STALL, method, path, times=1000, stall_seconds=3.0))
    policy = RetryPolicy(attempts=2, deadline_seconds=4.0, first_delay=0.05, request_timeout=1.0)
    source, sha = _file(tmp_path, 1000)
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        setup.open(policy).put_file("stalled.bin", source, sha256=sha)
    assert time.monotonic() - started < 60
    message = caught.value.message
    assert "stalled.bin" in message
    assert "\n" not in message
    assert "upload_id" not in message
    proxy.clear()
    # Never a false complete: the object is either absent or whole with its sha256.
    after = setup.open().stat("stalled.bin")
    assert after is None or (after.size, after.sha256) == (1000, sha)


def test_wrong_checksum_once_is_retried(
    proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path
) -> None:
    setup, proxy = proxied
    source, sha = _file(tmp_path, CHUNK_BYTES + 999)
    if setup.kind == "gcs":
        # The last chunk's answer carries the object's crc32c, which the client checks.
        rule = proxy.add(Rule(Fault.WRONG_CHECKSUM, "PUT", r"upload_id=.*", times=1))
        setup.open().put_file("sum.bin", source, sha256=sha)
        fetched = _fetch(setup.open(), "sum.bin")
    else:
        # S3 answers ranged GETs without a checksum: only the sha256 re-hash can catch this.
        setup.open().put_file("sum.bin", source, sha256=sha)
        rule = proxy.add(Rule(Fault.WRONG_CHECKSUM, "GET", r"sum\.bin", times=1))
        target = tmp_path / "back.bin"
        download_verified(
            setup.open(), "sum.bin", target, size=source.stat().st_size, sha256=sha, policy=FAST
        )
        fetched = target.read_bytes()
    assert rule.fired >= 1
    assert hashlib.sha256(fetched).hexdigest() == sha


def test_wrong_checksum_always_is_one_clean_failure(
    proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path
) -> None:
    setup, proxy = proxied
    source, sha = _file(tmp_path, 5000)
    setup.open().put_file("bad.bin", source, sha256=sha)
    method, path = DOWNLOAD[setup.kind]
    proxy.add(Rule(Fault.WRONG_CHECKSUM, method, path, times=1000))
    with pytest.raises(RemoteError) as caught:
        download_verified(
            setup.open(), "bad.bin", tmp_path / "bad.bin", size=5000, sha256=sha, policy=FAST
        )
    assert "bad.bin" in caught.value.message
    assert "sha256" in caught.value.message or "checksum" in caught.value.message
    assert "\n" not in caught.value.message


FORBIDDEN = {
    "gcs": (
        b'{"error": {"code": 403, "message": "ci@p.iam.gserviceaccount.com does not have '
        b'storage.objects.create access to the Google Cloud Storage object."}}',
        "application/json",
        "storage.objects.create",
    ),
    "s3": (
        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
        b"<Message>Access Denied</Message></Error>",
        "application/xml",
        "s3:PutObject",
    ),
}


def test_forbidden_is_one_line_naming_status_message_and_permission(
    proxied: tuple[RemoteSetup, FaultProxy], tmp_path: Path
) -> None:
    setup, proxy = proxied
    body, content_type, permission = FORBIDDEN[setup.kind]
    method, path = UPLOAD[setup.kind]
    rule = Rule(Fault.ANSWER, method, path, times=1000, body=body, content_type=content_type)
    proxy.add(rule)
    source, sha = _file(tmp_path, 100)
    with pytest.raises(RemoteError) as caught:
        setup.open().put_file("denied.bin", source, sha256=sha)
    message = caught.value.message
    assert rule.fired == 1  # permanent: never retried
    assert "denied.bin" in message
    assert "HTTP 403" in message
    assert ("does not have" in message) if setup.kind == "gcs" else ("Access Denied" in message)
    assert f"need the permission {permission}" in message
    assert "upload_id" not in message and "?" not in message  # no session URL, no query
    assert "\n" not in message


def test_push_failing_midway_is_never_complete_and_resumes_counted(
    proxied: tuple[RemoteSetup, FaultProxy], app_state: AppState
) -> None:
    setup, proxy = proxied
    backup = make_backup(app_state.settings)
    total = len(data_objects(backup.manifest)) + 2
    method, path = UPLOAD[setup.kind]
    # Three objects go up, then the service answers 503 to every upload until it gives up.
    proxy.add(Rule(Fault.STATUS_503, method, path, times=10_000, after=3))
    policy = RetryPolicy(attempts=2, deadline_seconds=5.0, first_delay=0.05, request_timeout=5.0)
    with pytest.raises(RemoteError) as caught:
        push_backup(setup.open(policy), backup)
    assert "HTTP 503" in caught.value.message or "503" in caught.value.message
    proxy.clear()
    assert [b.complete for b in scan_remote(setup.open())] == [False]
    resumed = push_backup(setup.open(), backup)
    assert resumed.objects_skipped == 3
    assert resumed.objects_sent == total - 3
    assert [b.complete for b in scan_remote(setup.open())] == [True]
