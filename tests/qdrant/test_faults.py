"""Every failure mode ends in one clear QdrantError, no .part file, and no orphan snapshot."""

from __future__ import annotations

import resource
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from persistence.core.errors import QdrantError
from tests.qdrant.support import capture, leftover_parts
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault
from tests.support.settings import settings_for

DOWNLOAD = r"/collections/docs/snapshots/.+"


@pytest.fixture
def docs(qdrant_standin: QdrantStandin) -> QdrantStandin:
    qdrant_standin.add_collection("docs", points=20)
    return qdrant_standin


def _assert_clean(standin: QdrantStandin, staging: Path) -> None:
    assert leftover_parts(staging) == []
    assert standin.snapshot_names("docs") == [], "the snapshot we created must be deleted"


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(QdrantError, match=rf"127\.0\.0\.1:{port}.*cannot connect"):
        capture(settings_for(f"http://127.0.0.1:{port}"), tmp_path)


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", r"/collections/docs", 404, "Not found: Collection `docs` doesn't exist!"),
        ("POST", r"/collections/docs/snapshots", 500, "Service internal error: No space"),
        ("POST", r"/collections/docs/snapshots", 507, "Insufficient Storage: disk full"),
        ("POST", r"/collections/docs/snapshots", 429, "Too many requests: rate limit"),
        ("GET", DOWNLOAD, 500, "Service internal error: failed to open snapshot"),
        ("GET", DOWNLOAD, 404, "Not found: Snapshot x not found"),
        ("GET", r"/collections/docs/snapshots", 422, "Validation error in path parameters"),
    ],
)
def test_http_errors_carry_status_and_qdrant_text(
    docs: QdrantStandin, tmp_path: Path, method: str, path: str, status: int, text: str
) -> None:
    docs.fail(method, path, status, text)
    with pytest.raises(QdrantError) as caught:
        capture(settings_for(docs.url), tmp_path)
    message = str(caught.value)
    assert "'docs'" in message
    assert f"HTTP {status}: {text}" in message
    assert "\n" not in message and "Traceback" not in message
    _assert_clean(docs, tmp_path)


def test_truncated_stream(docs: QdrantStandin, tmp_path: Path) -> None:
    docs.inject(Fault("GET", DOWNLOAD, truncate_after=10_000))
    with pytest.raises(QdrantError, match=r"'docs'.*download the snapshot"):
        capture(settings_for(docs.url), tmp_path)
    _assert_clean(docs, tmp_path)


def test_stall_past_deadline(docs: QdrantStandin, tmp_path: Path) -> None:
    docs.inject(Fault("GET", DOWNLOAD, stall_after=4096, stall_seconds=20))
    settings = settings_for(docs.url, qdrant_timeout=5.0, qdrant_download_deadline=1.0)
    with pytest.raises(QdrantError, match=r"'docs'.*stalled"):
        capture(settings, tmp_path)
    _assert_clean(docs, tmp_path)


def test_checksum_mismatch(docs: QdrantStandin, tmp_path: Path) -> None:
    docs.inject(Fault("POST", r"/collections/docs/snapshots", wrong_checksum=True))
    with pytest.raises(QdrantError, match=r"'docs'.*checksum mismatch.*server says 0{64}"):
        capture(settings_for(docs.url), tmp_path)
    _assert_clean(docs, tmp_path)
    assert not any((tmp_path / "qdrant").rglob("*.snapshot"))


def test_disk_error_cannot_create_folder(docs: QdrantStandin, tmp_path: Path) -> None:
    target = tmp_path / "qdrant"
    target.mkdir()
    (target / "docs").write_text("a file where the collection folder goes")
    with pytest.raises(QdrantError, match=r"'docs'.*cannot create"):
        capture(settings_for(docs.url), tmp_path)
    _assert_clean(docs, tmp_path)


@contextmanager
def file_size_limit() -> Iterator[None]:
    """A real EFBIG from the kernel after 20 KB per file, as a full disk would fail a write."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_disk_error_mid_download(docs: QdrantStandin, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    expected = r"'docs'.*cannot write .*\.part: File too large"
    with pytest.raises(QdrantError, match=expected), file_size_limit():
        capture(settings_for(docs.url), staging)
    _assert_clean(docs, staging)


def test_delete_failure_after_failed_download_is_reported(
    docs: QdrantStandin, tmp_path: Path
) -> None:
    docs.fail("GET", DOWNLOAD, 500, "read error")
    docs.fail("DELETE", DOWNLOAD, 503, "busy")
    with pytest.raises(QdrantError) as caught:
        capture(settings_for(docs.url), tmp_path)
    message = str(caught.value)
    assert "HTTP 500: read error" in message
    assert "was not deleted" in message and "HTTP 503: busy" in message
    assert leftover_parts(tmp_path) == []


def test_create_that_never_appears_fails_within_the_snapshot_deadline(
    docs: QdrantStandin, tmp_path: Path
) -> None:
    # The create answers late *and* the snapshot only shows up after the deadline passed.
    docs.inject(Fault("POST", r"/collections/docs/snapshots", delay_seconds=3.0))
    settings = settings_for(docs.url, qdrant_timeout=0.5, qdrant_snapshot_deadline=0.5)
    with pytest.raises(QdrantError, match=r"'docs'.*did not appear within 0\.5 s"):
        capture(settings, tmp_path)
    assert leftover_parts(tmp_path) == []
