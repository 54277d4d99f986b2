"""Restore and drill primitives: typed client calls, upload, version gap, offline deep count."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from persistence.core.errors import QdrantError
from persistence.qdrant import (
    QdrantRestClient,
    SnapshotCorruptError,
    count_points_offline,
    create_snapshot,
    download_snapshot,
    minor_version_gap,
    upload_snapshot,
)
from persistence.qdrant.creation import CreatePolicy
from tests.qdrant_standin.archive import build_archive
from tests.qdrant_standin.server import QdrantStandin


def _client(
    standin: QdrantStandin, key: str | None = None, timeout: float = 5.0
) -> QdrantRestClient:
    from pydantic import SecretStr

    return QdrantRestClient(standin.url, api_key=SecretStr(key) if key else None, timeout=timeout)


def test_typed_client_round_trip(qdrant_standin: QdrantStandin, tmp_path: Path) -> None:
    qdrant_standin.add_collection("docs", points=20, dim=4)
    with _client(qdrant_standin) as client:
        assert client.server_version() == "1.19.0"
        assert client.cluster_view().peers == 1
        assert client.list_collections() == ["docs"]
        info = client.collection_info("docs")
        assert (info.points_count, info.vectors_config) == (20, {"size": 4, "distance": "Cosine"})
        snap = create_snapshot(client, "docs", CreatePolicy(deadline=2)).info
        assert [s.name for s in client.list_snapshots("docs")] == [snap.name]
        got = download_snapshot(client, "docs", snap, tmp_path / snap.name, deadline_seconds=10)
        assert got.sha256 == snap.checksum == hashlib.sha256(got.path.read_bytes()).hexdigest()
        client.delete_snapshot("docs", snap.name)
        assert client.list_snapshots("docs") == []
        client.delete_collection("docs")
        assert client.list_collections() == []


def test_upload_restores_and_removes_the_uploaded_copy(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    archive = build_archive(points=33, dim=4, shards=1)
    snapshot = tmp_path / "docs-1-2026-11-21-10-00-00.snapshot"
    snapshot.write_bytes(archive.path.read_bytes())
    with _client(qdrant_standin) as client:
        result = upload_snapshot(client, "restored", snapshot, archive.sha256)
        assert result.warning is None
        assert result.deleted_copy == snapshot.name
        assert client.collection_info("restored").points_count == 33
        assert client.list_snapshots("restored") == [], "the uploaded copy must not stay"
    upload = qdrant_standin.state.uploads_to(r"/collections/restored/snapshots/upload")
    assert len(upload) == 1
    assert upload[0].query == {"wait": "true", "priority": "snapshot", "checksum": archive.sha256}
    assert upload[0].headers["content-type"].startswith("multipart/form-data")


def test_upload_with_wrong_checksum_is_refused(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    archive = build_archive(points=20)
    snapshot = tmp_path / "docs.snapshot"
    snapshot.write_bytes(archive.path.read_bytes())
    with _client(qdrant_standin) as client, pytest.raises(QdrantError) as caught:
        upload_snapshot(client, "restored", snapshot, "f" * 64)
    assert "'restored'" in str(caught.value)
    assert "HTTP 400: Bad request: Snapshot checksum mismatch" in str(caught.value)
    assert "restored" not in qdrant_standin.state.collections


def test_upload_with_read_only_key_names_the_permission(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    qdrant_standin.set_keys(write="w", read="r")
    archive = build_archive(points=20)
    snapshot = tmp_path / "docs.snapshot"
    snapshot.write_bytes(archive.path.read_bytes())
    with _client(qdrant_standin, "r") as client, pytest.raises(QdrantError) as caught:
        upload_snapshot(client, "restored", snapshot, archive.sha256)
    assert "this API key may not restore snapshots (needs manage access)" in str(caught.value)


def test_upload_of_unknown_archive_is_counted_by_the_engine(
    qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    # Repack the archive so the stand-in does not recognise its checksum.
    source = build_archive(points=12, shards=2)
    repacked = tmp_path / "repacked.snapshot"
    with tarfile.open(source.path) as src, tarfile.open(repacked, "w") as out:
        for member in src:
            member_copy = member
            if member.isfile():
                member_copy.type = tarfile.REGTYPE
                out.addfile(member_copy, src.extractfile(member))
            else:
                out.addfile(member_copy)
    digest = hashlib.sha256(repacked.read_bytes()).hexdigest()
    assert digest not in qdrant_standin.state.known_archives
    # Counting an unknown archive with the engine is slow on a loaded machine.
    with _client(qdrant_standin, timeout=60) as client:
        upload_snapshot(client, "restored", repacked, digest)
        assert client.collection_info("restored").points_count == 12


@pytest.mark.parametrize(
    ("a", "b", "gap"),
    [
        ("1.19.0", "1.19.3", 0),
        ("1.19.0", "1.20.1", 1),
        ("1.17.2", "1.19.0", 2),
        ("v1.19.0", "1.18.0", 1),
        ("1.19.0", "2.0.0", 100),
        ("garbage", "1.19.0", 100),
    ],
)
def test_minor_version_gap(a: str, b: str, gap: int) -> None:
    assert minor_version_gap(a, b) == gap


def test_offline_count_per_shard(tmp_path: Path) -> None:
    archive = build_archive(points=25, dim=4, shards=2)
    counted = count_points_offline(archive.path, tmp_path / "work")
    assert counted.total == 25
    assert [s.points for s in counted.shards] == list(archive.shard_counts) == [12, 13]
    assert [s.shard for s in counted.shards] == [0, 1]
    assert all(s.segments == 1 for s in counted.shards)
    assert list((tmp_path / "work").iterdir()) == [], "the workdir is emptied as it goes"


def test_offline_count_fails_clearly_on_a_corrupted_segment(tmp_path: Path) -> None:
    archive = build_archive(points=20, corrupt=True)
    with pytest.raises(SnapshotCorruptError, match=r"shard 0 cannot be loaded.*segment"):
        count_points_offline(archive.path, tmp_path / "work")


def test_offline_count_fails_clearly_on_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.snapshot"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(SnapshotCorruptError, match=r"junk\.snapshot"):
        count_points_offline(junk, tmp_path / "work")
    truncated = tmp_path / "cut.snapshot"
    truncated.write_bytes(build_archive(points=20).path.read_bytes()[:30000])
    with pytest.raises(SnapshotCorruptError, match=r"cut\.snapshot"):
        count_points_offline(truncated, tmp_path / "work")
