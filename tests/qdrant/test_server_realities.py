"""Errors and quirks as the real server sends them: exact counts, failed uploads that clean up,
the early 403, strict names, scoped keys, the 5 s idle close, S3 snapshot storage."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from persistence.core.errors import QdrantError
from persistence.qdrant import QdrantRestClient, QdrantUploadError, upload_snapshot
from persistence.qdrant.snapshots import fetch_snapshot
from tests.qdrant.support import API_KEY, READ_KEY
from tests.qdrant_standin.archive import build_archive, build_big_file
from tests.qdrant_standin.server import QdrantStandin
from tests.qdrant_standin.state import Fault


def _client(standin: QdrantStandin, key: str | None = None) -> QdrantRestClient:
    return QdrantRestClient(standin.url, api_key=SecretStr(key) if key else None, timeout=5.0)


def _local(tmp_path: Path, points: int = 12, dim: int = 4) -> tuple[Path, str]:
    archive = build_archive(points=points, dim=dim, shards=1)
    path = tmp_path / f"docs-1-2026-11-21-10-00-0{dim % 10}.snapshot"
    path.write_bytes(archive.path.read_bytes())
    return path, archive.sha256


def test_exact_count_is_recorded_not_the_approximate_info_count(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=20).info_points = 17
    with _client(qdrant_standin) as client:
        assert client.collection_info("docs").points_count == 17  # what the old code recorded
        fetched = fetch_snapshot(
            client, "docs", tmp_path, poll_for=5, deadline_seconds=10, delete_server_copy=True
        )
    assert fetched.exact_count == 20
    counts = qdrant_standin.state.requests_to("POST", r"/collections/docs/points/count")
    assert len(counts) == 1


def test_restore_into_a_collection_with_another_config_fails_and_leaves_no_file(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=5, dim=8)
    local, sha = _local(tmp_path, dim=4)
    with _client(qdrant_standin) as client, pytest.raises(QdrantUploadError) as caught:
        upload_snapshot(client, "docs", local, sha)
    assert "not compatible with existing collection" in caught.value.message
    assert f"the uploaded copy {local.name} was deleted" in caught.value.message
    assert caught.value.left_on_server is None
    assert qdrant_standin.snapshot_names("docs") == [], "the server kept it; we deleted it"


def test_a_failed_recovery_of_a_new_collection_says_which_file_is_left(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    junk = tmp_path / "docs-1-2026-11-21-10-00-00.snapshot"
    junk.write_bytes(b"not a tar archive" * 100)
    sha = hashlib.sha256(junk.read_bytes()).hexdigest()
    with _client(qdrant_standin) as client, pytest.raises(QdrantUploadError) as caught:
        upload_snapshot(client, "fresh", junk, sha)
    assert caught.value.left_on_server == f"<snapshots folder>/fresh/{junk.name}"
    assert "delete it on the server's disk" in caught.value.message
    assert qdrant_standin.state.stray_uploads == {"fresh": [junk.name]}


def test_early_403_on_upload_is_reported_as_missing_manage_access(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=5)
    qdrant_standin.set_keys(write=API_KEY, read=READ_KEY)
    big = build_big_file(tmp_path / "big.snapshot", 8 * 1024 * 1024)
    with _client(qdrant_standin, READ_KEY) as client, pytest.raises(QdrantError) as caught:
        upload_snapshot(client, "docs", big.path, big.sha256)
    assert "HTTP 403" in caught.value.message
    assert "needs manage access" in caught.value.message
    assert qdrant_standin.state.uploads_to(r".*/snapshots/upload") == [], "no file was sent"


def test_the_stand_in_resets_a_large_upload_without_permission(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    """What the probe avoids: the 403 is sent before the body is read, then the socket goes."""
    qdrant_standin.add_collection("docs", points=5)
    qdrant_standin.set_keys(write=API_KEY, read=READ_KEY)
    big = build_big_file(tmp_path / "big.snapshot", 32 * 1024 * 1024)
    with big.path.open("rb") as handle:
        try:
            response = httpx.post(
                f"{qdrant_standin.url}/collections/docs/snapshots/upload",
                headers={"api-key": READ_KEY},
                files={"snapshot": ("big.snapshot", handle)},
                timeout=10,
            )
        except httpx.TransportError:
            response = None  # the usual outcome: a reset connection
    assert response is None or response.status_code == 403
    refused = qdrant_standin.state.requests_to("POST", r"/collections/docs/snapshots/upload")
    assert [r.status for r in refused] == [403]


def test_pre_1_5_name_is_explained_instead_of_a_raw_422(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("old:docs", points=5)
    local, sha = _local(tmp_path)
    with _client(qdrant_standin) as client, pytest.raises(QdrantUploadError) as caught:
        upload_snapshot(client, "old:docs", local, sha)
    assert "allowed before 1.5" in caught.value.message and "422" in caught.value.message
    assert "renam" in caught.value.message
    # And the stand-in does refuse it with 422, as the server does.
    raw = httpx.post(
        f"{qdrant_standin.url}/collections/old%3Adocs/snapshots/upload",
        files={"snapshot": ("x.snapshot", b"x")},
        timeout=5,
    )
    assert raw.status_code == 422


def test_a_collection_scoped_key_on_cluster_is_a_warning(qdrant_standin: QdrantStandin) -> None:
    qdrant_standin.add_collection("docs", points=5)
    qdrant_standin.set_keys(write=API_KEY)
    qdrant_standin.state.scoped_keys["scoped-jwt"] = {"docs"}
    with _client(qdrant_standin, "scoped-jwt") as client:
        warning = client.require_single_node("refusing")
        assert warning is not None and "may not read /cluster" in warning
        assert "scoped-jwt" not in warning
        assert client.count_points("docs") == 5


def test_idle_connection_closed_by_the_server_is_not_reused(
    qdrant_standin: QdrantStandin,
) -> None:
    qdrant_standin.add_collection("docs", points=5)
    # httpx's default keep-alive expiry (5 s) reuses the connection the server is closing.
    with httpx.Client(base_url=qdrant_standin.url) as plain:
        plain.get("/collections")
        time.sleep(4.3)
        with pytest.raises(httpx.RemoteProtocolError):
            plain.get("/collections")
    before = qdrant_standin.state.connections
    with _client(qdrant_standin) as client:
        client.list_collections()
        time.sleep(4.3)
        assert client.list_collections() == ["docs"]
    assert qdrant_standin.state.connections - before == 2, "a fresh connection, not a reset"


def test_a_dropped_connection_is_retried_once_for_idempotent_requests(
    qdrant_standin: QdrantStandin,
) -> None:
    qdrant_standin.add_collection("docs", points=5)
    qdrant_standin.inject(Fault("GET", "/collections", drop_connection=True))
    qdrant_standin.inject(Fault("POST", "/collections/docs/points/count", drop_connection=True))
    with _client(qdrant_standin) as client:
        assert client.list_collections() == ["docs"]
        assert client.count_points("docs") == 5
    assert len(qdrant_standin.state.requests_to("GET", "/collections")) == 2
    qdrant_standin.inject(Fault("POST", "/collections/docs/snapshots", drop_connection=True))
    with _client(qdrant_standin) as client, pytest.raises(QdrantError, match="create a snap"):
        client.create_snapshot("docs")  # not idempotent: never sent twice
    assert len(qdrant_standin.state.requests_to("POST", "/collections/docs/snapshots")) == 1


def test_s3_snapshot_storage_without_checksums(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.add_collection("docs", points=9)
    qdrant_standin.state.s3_storage = True
    with _client(qdrant_standin) as client:
        fetched = fetch_snapshot(
            client, "docs", tmp_path, poll_for=5, deadline_seconds=10, delete_server_copy=True
        )
        assert fetched.downloaded.server_checksum is None
        data = fetched.downloaded.path.read_bytes()
        assert fetched.downloaded.sha256 == hashlib.sha256(data).hexdigest()
        result = upload_snapshot(client, "copy", fetched.downloaded.path, fetched.downloaded.sha256)
        assert result.deleted_copy is None and result.warning is None
        assert client.count_points("copy") == 9
    assert qdrant_standin.snapshot_names("docs") == []
